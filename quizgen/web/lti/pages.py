"""The teacher's LMS page of a quiz (``/admin/lms``): the course links it was launched from,
the grade passback outbox (sent, pending with the next try, failed with the platform's
answer) with *Send again*, the LMS learners, and *Pull the course roster* (NRPS)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, redirect, request

from ..app import page
from ..classroom import ServeError
from ..i18n import UI
from ..teacher import require_admin

lms_pages = Blueprint("lms", __name__, url_prefix="/admin/lms")


def _tool():
    return current_app.extensions["quizgen"]["lti"]


def _back(query: str) -> str:
    return f"{request.script_root}/admin/lms?{query}"


def _when(epoch: float | None) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@lms_pages.get("")
def lms():
    require_admin()
    tool, room = _tool()
    ui = UI[g.lang]
    message = None
    n = request.args.get("n", "0", type=int)
    if request.args.get("m") == "resent":
        message = ui["lti_resent"].format(n=n)
    elif request.args.get("m") == "roster":
        message = ui["lti_roster_pulled"].format(n=n)
    elif request.args.get("m") == "error":
        message = f'{ui["error"]}: {request.args.get("e", "")[:300]}'
    names = room.classroom.names_map()
    scores = [{"row": s, "name": names.get(s.student, ""), "next": _when(s.next_at),
               "sent": _when(s.sent_at)} for s in tool.store.scores_of(room.slug)]
    return page("web_admin_lms.html.j2", title=room.title, message=message,
                links=tool.store.links_of(room.slug), scores=scores,
                counts=tool.store.score_counts(room.slug),
                learners=tool.store.learner_details(room.slug))


@lms_pages.post("/resend")
def resend():
    require_admin()
    tool, room = _tool()
    ids = [int(i) for i in request.form.getlist("score") if i.isdigit()][:10_000]
    n = tool.store.resend(room.slug, ids or None)
    tool.passback.wake()
    return redirect(_back(f"m=resent&n={n}"), 303)


@lms_pages.post("/roster")
def roster():
    require_admin()
    tool, room = _tool()
    from urllib.parse import quote

    from .tool import RosterError

    try:
        n = tool.pull_roster(room, request.form.get("link", "0", type=int))
    except (RosterError, ServeError) as e:
        current_app.logger.warning("roster pull failed: %s", e)
        return redirect(_back("m=error&e=" + quote(str(e)[:300])), 303)
    return redirect(_back(f"m=roster&n={n}"), 303)
