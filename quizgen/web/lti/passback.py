"""Grade passback (LTI Assignment and Grade Services) through an outbox in the database.

When an attempt is graded, or a regrade changes a learner's points, :meth:`Passback.queue`
writes the learner's score to ``lti_scores`` (one row per link and learner: a newer score
replaces one not yet sent). :meth:`Passback.send_due` sends what is due, each row claimed for a
lease first so that two ``serve`` processes never send the same one, and records the outcome:

* sent (the platform answered 2xx);
* a platform that is down, slow, rate-limiting or answering 5xx: tried again after
  ``base``, 2×, 4× … seconds (at most ``longest``), ``tries`` times in all, then failed;
* a platform that refuses the score (4xx other than 401, 408, 429): failed at once, with its
  answer, since sending the same again would be refused again;
* a 401: the cached access token is dropped and the score tried again.

A failed row stays in the table; the teacher's LMS page lists it and can send it again. A
score is a row until the platform has acknowledged it, so none is lost to a crash: at worst a
row whose 2xx never reached the database is sent twice, and AGS platforms keep the one with
the latest ``timestamp`` (the same score).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from .config import LtiConfig
from .store import LtiStore, ScoreRow

log = logging.getLogger("quizgen.lti")
RETRY_STATUS = {401, 408, 425, 429}


@dataclass(frozen=True)
class Backoff:
    base: float = 5.0  # seconds before the first retry
    longest: float = 30 * 60.0
    tries: int = 24  # about 8 hours of trying before a score is marked failed

    def delay(self, tries: int) -> float:
        return min(self.longest, self.base * 2.0 ** min(tries, 60))


class CachingConnector(ServiceConnector):
    """pylti1p3's service connector with access tokens kept per process, per client and
    scope set, until shortly before they expire (client-credentials grant, JWT assertion
    signed with the tool's key: pylti1p3's ``get_access_token``)."""

    _tokens: dict[tuple[str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    def _key(self, scope_key: str) -> tuple[str, str]:
        return (str(self._registration.get_client_id()), scope_key)

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        with self._lock:
            token, until = self._tokens.get(self._key(scope_key), ("", 0.0))
        return token if token and until > time.monotonic() else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        try:
            lifetime = float(expires_in or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        with self._lock:
            self._tokens[self._key(scope_key)] = (access_token,
                                                  time.monotonic() + max(0.0, lifetime - 30))

    @classmethod
    def forget_tokens(cls) -> None:
        with cls._lock:
            cls._tokens.clear()


def timestamp() -> str:
    """Now, as AGS wants it: ISO 8601 with milliseconds and the zone."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Passback:
    def __init__(self, config: LtiConfig, store: LtiStore, http: requests.Session, *,
                 backoff: Backoff | None = None, lease: float = 120.0,
                 poll: float = 5.0) -> None:
        self.config = config
        self.store = store
        self.http = http
        self.backoff = backoff or Backoff()
        self.lease = lease
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- queueing -----------------------------------------------------------------------------

    def listener(self, quiz: str, score_of: Callable[[str], tuple[float, float] | None]):
        """What a Classroom calls when students' scores changed (Classroom.on_scores_changed)."""
        def changed(students: set[str]) -> None:
            queued = 0
            for student in sorted(students):
                score = score_of(student)
                if score is not None:
                    queued += self.store.queue_score(quiz, student, score[0], score[1],
                                                     timestamp())
            if queued:
                self._wake.set()
        return changed

    # -- sending ------------------------------------------------------------------------------

    def send_due(self) -> int:
        """Send every score that is due now; returns how many the platforms accepted."""
        accepted = 0
        for row in self.store.due_scores():
            if self.store.claim(row, self.lease):
                accepted += self._send(row)
        return accepted

    def _send(self, row: ScoreRow) -> int:
        link = self.store.link(row.link_id)
        registration = self.config.registration(link.iss, link.client_id) if link else None
        if link is None or registration is None or not link.ags:
            self.store.finish(row, sent=False, error="the platform is no longer registered "
                                                     f"in {self.config.path.name}")
            return 0
        grade = (Grade().set_score_given(row.score_given).set_score_maximum(row.score_maximum)
                 .set_timestamp(row.timestamp).set_activity_progress("Completed")
                 .set_grading_progress("FullyGraded").set_user_id(row.user_id))
        connector = CachingConnector(registration, self.http)
        try:
            AssignmentsGradesService(connector, link.ags).put_grade(grade)
        except LtiServiceException as e:
            status = e.response.status_code
            if status == 401:
                CachingConnector.forget_tokens()
            body = (e.response.text or "")[:200]
            retry = status >= 500 or status in RETRY_STATUS
            self._failed(row, f"HTTP {status} from {e.response.url}: {body}".strip(), retry)
            return 0
        except (requests.RequestException, ValueError, KeyError) as e:
            self._failed(row, f"{type(e).__name__}: {e}", True)
            return 0
        except LtiException as e:
            self._failed(row, str(e), False)
            return 0
        self.store.finish(row, sent=True)
        log.info("score of %s sent to %s", row.student, link.iss)
        return 1

    def _failed(self, row: ScoreRow, error: str, retry: bool) -> None:
        tries = row.tries + 1
        retry_at = None
        if retry and tries < self.backoff.tries:
            retry_at = self.store.clock() + self.backoff.delay(row.tries)
        log.warning("score of %s not sent (try %d): %s%s", row.student, tries, error,
                    "" if retry_at else "; marked failed")
        self.store.finish(row, sent=False, error=error, retry_at=retry_at)

    # -- the background sender ----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lti-passback", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:  # the database away for a moment: try again next round
                log.exception("grade passback round failed")
            self._wake.wait(self.poll)
            self._wake.clear()
