"""What an LMS launch costs `quizgen serve`, measured through the tests' own LTI 1.3 platform
(tests/lti_platform.py) on loopback.

    python bench/lti.py [--learners 200] [--questions 10] [--repeats 20]

Prints medians (ms) of:
* the OIDC login (state, nonce, redirect) and the id_token check of a returning learner's
  launch (signature, claims, nonce taken, session begun), the platform's signing excluded;
* a new learner's first launch, which also draws their variant (as `make --students` does)
  and rewrites variants.json, with none and with --learners learners already there;
* sending one score (the AGS POST with a cached access token, the outbox row updated);
and, for scale, a roster student's token sign-in in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from lti_platform import Expect, Platform, User, form_fields  # noqa: E402
from lti_world import build_world  # noqa: E402

from quizgen.model import Quiz  # noqa: E402
from quizgen.roster import Student, add_students  # noqa: E402
from quizgen.sampling import make_quiz  # noqa: E402
from quizgen.web.lti.config import write_key_pair  # noqa: E402


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def timed_launch(world, sub: str) -> tuple[float, float]:
    """(login, launch) seconds of one launch; the platform's page is fetched in between."""
    browser = world.browser()
    hint = world.platform.expect(Expect(User(sub, f"Learner {sub}")))
    started = time.perf_counter()
    login = browser.post("/lti/login", data={
        "iss": world.platform.issuer, "login_hint": sub, "lti_message_hint": hint,
        "target_link_uri": "http://localhost/lti/launch", "client_id": "quizgen-client"})
    login_s = time.perf_counter() - started
    _, fields = form_fields(requests.get(login.headers["Location"], timeout=30).text)
    started = time.perf_counter()
    launch = browser.post("/lti/launch", data=fields)
    launch_s = time.perf_counter() - started
    assert launch.status_code == 303, launch.get_data(as_text=True)
    return login_s, launch_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "quiz").mkdir()
        make_quiz("optimizers", count=args.questions, seed=3, lang="en").save(
            root / "quiz" / "quiz.json")
        keys = write_key_pair(root / "keys")
        platform = Platform()
        (root / "served").mkdir()
        world = build_world(root / "served", platform, keys, root / "quiz")
        try:
            timed_launch(world, "warm-up")  # the JWKS fetched, the question bank loaded
            logins, returning = [], []
            for _ in range(args.repeats):
                login_s, launch_s = timed_launch(world, "warm-up")
                logins.append(login_s)
                returning.append(launch_s)
            first_few = [timed_launch(world, f"new-{i}")[1] for i in range(args.repeats)]
            quiz_path = world.quiz_paths[0]
            add_students(quiz_path, Quiz.load(quiz_path),
                         [Student(f"bulk-{i}") for i in range(args.learners)])
            first_many = [timed_launch(world, f"later-{i}")[1] for i in range(args.repeats)]
            store = world.site.lti.store
            sends = []
            for i in range(args.repeats):
                store.queue_score("quiz", f"new-{i}", 1.0, 2.0, f"2026-01-01T00:00:{i:02d}Z")
            for row in store.due_scores(limit=args.repeats):
                started = time.perf_counter()
                store.claim(row, 60)
                world.site.lti.passback._send(row)
                sends.append(time.perf_counter() - started)
            print(f"quiz of {args.questions} questions, {args.repeats} repeats, medians:")
            print(f"  OIDC login                              {ms(logins)}")
            print(f"  launch, returning learner               {ms(returning)}")
            print(f"  first launch, {len(first_few) + 1:4d} learners known      {ms(first_few)}")
            print(f"  first launch, {args.learners + 2 * args.repeats:4d} learners known"
                  f"      {ms(first_many)}")
            print(f"  one score sent to the platform          {ms(sends)}"
                  f"  ({len(platform.scores)} received)")
        finally:
            world.site.close()
            platform.close()


if __name__ == "__main__":
    main()
