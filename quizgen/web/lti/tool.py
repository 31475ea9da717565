"""The LTI 1.3 tool: the ``/lti`` endpoints an LMS calls, and what the quizzes' apps need of it.

``/lti/login``   OIDC login initiation (GET or POST): a state cookie, a nonce, and a redirect to
                 the platform's authorization endpoint
``/lti/launch``  the id_token POST: checked (:mod:`quizgen.web.lti.launch`), then a learner
                 lands on their own variant and an instructor on the teacher page; a deep
                 linking request gets the list of quizzes this server hosts
``/lti/choose``  the instructor's choice, answered with a signed LtiDeepLinkingResponse
``/lti/jwks``    the tool's public keys

A launch begins a session of the chosen quiz's app (method ``lti``) and sets that app's cookie,
``SameSite=None; Secure; Partitioned`` over HTTPS so that it works in the LMS's iframe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask, Response, jsonify, request
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.roles import StudentRole
from werkzeug.exceptions import HTTPException

from quizgen.export.templating import environment
from quizgen.roster import Student

from ..classroom import ServeError
from ..i18n import UI
from ..security import CSP, security_headers
from .config import LtiConfig, origin
from .http import BoundedSession
from .launch import (
    DEEP_LINKING,
    LTI,
    JwksCache,
    LaunchRefused,
    ToolCookies,
    ToolLaunch,
    ToolLogin,
    ToolRequest,
    ToolSessions,
    role_of,
)
from .passback import Backoff, CachingConnector, Passback
from .store import DatabaseLaunchStorage, LtiStore

if TYPE_CHECKING:
    from ..site import Room

log = logging.getLogger("quizgen.lti")
MAX_ROSTER_PAGES = 100
MAX_MEMBERS = 20_000
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


class RosterError(Exception):
    pass


@dataclass
class LtiOptions:
    secure_cookies: bool = False  # as serve --secure-cookies: Secure even if it looks like HTTP
    leeway: int = 60
    min_refetch: float = 10.0  # seconds between two fetches of a JWKS for an unknown kid
    backoff: Backoff = field(default_factory=Backoff)
    http: requests.Session | None = None  # default: a BoundedSession


class LtiTool:
    def __init__(self, config: LtiConfig, store: LtiStore, rooms: dict[str, Room],
                 options: LtiOptions | None = None) -> None:
        self.config = config
        self.store = store
        self.rooms = rooms
        self.options = options or LtiOptions()
        self.http = self.options.http or BoundedSession()
        self.keys = JwksCache(self.http, min_refetch=self.options.min_refetch)
        self.storage = DatabaseLaunchStorage(store)
        self.passback = Passback(config, store, self.http, backoff=self.options.backoff)

    # -- wiring a quiz's app in ---------------------------------------------------------------

    def attach(self, room: Room) -> None:
        from .pages import lms_pages

        room.classroom.learner_source = lambda: self.store.learners_of(room.slug)
        room.classroom.on_scores_changed(
            self.passback.listener(room.slug, room.classroom.score_of))
        room.app.extensions["quizgen"]["lti"] = (self, room)
        room.app.register_blueprint(lms_pages)

    # -- the launch ---------------------------------------------------------------------------

    def secure(self) -> bool:
        return self.options.secure_cookies or request.is_secure

    def _services(self) -> tuple[ToolRequest, ToolCookies, ToolSessions]:
        secure = self.secure()
        return (ToolRequest(request, secure=secure),
                ToolCookies(request, secure=secure, path=(request.script_root or "") + "/"),
                ToolSessions(self.storage))

    def new_launch(self, check_message: Callable[[dict], None] | None = None) -> ToolLaunch:
        req, cookies, sessions = self._services()
        return ToolLaunch(req, self.config, sessions=sessions, cookies=cookies, keys=self.keys,
                          http=self.http, leeway=self.options.leeway,
                          check_message=check_message)

    def restore(self, launch_id: str) -> ToolLaunch | None:
        """A deep-linking launch saved at its validation, taken (it answers one choice)."""
        if not launch_id.startswith("lti1p3-launch-") or len(launch_id) > 80:
            return None
        body = self.storage.get_value(launch_id)
        if not isinstance(body, dict) or not self.storage.take_value(launch_id):
            return None
        launch = self.new_launch()
        launch.set_launch_id(launch_id).set_auto_validation(False)
        launch.set_jwt({"body": body}).set_restored()
        launch.validate_registration()
        return launch

    def quiz_for(self, claims: dict[str, Any]) -> str:
        """The quiz a resource link opens: its custom parameter ``quiz`` (what deep linking
        writes), or ``?quiz=`` of its target URL, or the one quiz served."""
        custom = claims.get(LTI + "custom")
        wanted = custom.get("quiz") if isinstance(custom, dict) else None
        if not wanted:
            target = claims.get(LTI + "target_link_uri")
            query = parse_qs(urlsplit(target).query) if isinstance(target, str) else {}
            wanted = (query.get("quiz") or [None])[0]
        if not wanted and len(self.rooms) == 1:
            wanted = next(iter(self.rooms))
        if not wanted:
            raise LaunchRefused("quiz", "the link does not say which quiz it opens; add it "
                                        "again through the activity chooser (deep linking), "
                                        "or give it the custom parameter quiz=NAME (served "
                                        f"here: {', '.join(self.rooms)})")
        if wanted not in self.rooms:
            raise LaunchRefused("quiz", f"{str(wanted)[:80]!r} is not served here (served: "
                                        f"{', '.join(self.rooms)})")
        return wanted

    def save_link(self, claims: dict[str, Any], client_id: str, quiz: str):
        link = claims.get(LTI + "resource_link") or {}
        context = claims.get(LTI + "context") or {}
        nrps = claims.get(NRPS) or {}
        ags = claims.get(AGS)
        return self.store.save_link(
            iss=claims["iss"], client_id=client_id,
            deployment_id=claims[LTI + "deployment_id"], resource_link_id=str(link["id"]),
            quiz=quiz, title=str(link.get("title") or ""),
            context_id=str(context.get("id") or ""),
            context_title=str(context.get("title") or context.get("label") or ""),
            ags=ags if isinstance(ags, dict) else None,
            nrps_url=nrps.get("context_memberships_url") if isinstance(nrps, dict) else None)

    # -- the roster (Names and Role Provisioning Services) ----------------------------------

    def pull_roster(self, room: Room, link_id: int) -> int:
        """Add the course's learners to the quiz (variants, names, emails); returns how many
        learners the platform listed."""
        link = self.store.link(link_id)
        if link is None or link.quiz != room.slug or not link.nrps_url:
            raise RosterError("that link has no roster service (NRPS) for this quiz")
        registration = self.config.registration(link.iss, link.client_id)
        if registration is None:
            raise RosterError(f"{link.iss} is no longer registered")
        service = NamesRolesProvisioningService(CachingConnector(registration, self.http),
                                                {"context_memberships_url": link.nrps_url})
        members: list[Any] = []
        url: str | None = link.nrps_url
        try:
            for _ in range(MAX_ROSTER_PAGES):
                page, url = service.get_members_page(url)
                members += page if isinstance(page, list) else []
                if not url or len(members) >= MAX_MEMBERS:
                    break
        except (LtiException, requests.RequestException, ValueError) as e:
            raise RosterError(f"the platform's roster service: {e}") from None
        learners = []
        for m in members[:MAX_MEMBERS]:
            if not isinstance(m, dict) or not isinstance(m.get("user_id"), str) \
                    or m.get("status", "Active") != "Active":
                continue
            roles = {LTI + "roles": m.get("roles") if isinstance(m.get("roles"), list) else []}
            if not StudentRole(roles).check() or role_of(roles) == "teacher":
                continue
            name = _text(m.get("name")) or " ".join(
                filter(None, [_text(m.get("given_name")), _text(m.get("family_name"))]))
            student = self.store.learner(room.slug, link.iss, m["user_id"][:255], name=name,
                                         email=_text(m.get("email")),
                                         taken=room.classroom.knows)
            learners.append(Student(student, name))
        room.classroom.add_learners(learners)
        return len(learners)

    # -- the /lti app -------------------------------------------------------------------------

    def app(self, static_root: str, max_body: int) -> Flask:
        app = Flask("quizgen.web.lti", static_folder=None)
        app.config.update(MAX_CONTENT_LENGTH=max_body, MAX_FORM_MEMORY_SIZE=max_body)

        def page(template: str, status: int = 200, **context: Any) -> Response:
            lang = "zh" if request.accept_languages.best_match(["en", "zh"]) == "zh" else "en"
            html = environment().get_template(template).render(
                ui=UI[lang], lang=lang, other_lang=lang, root=static_root, csrf="",
                **context)
            return Response(html, status=status, mimetype="text/html")

        def refused(e: LaunchRefused, status: int = 400) -> Response:
            log.warning("LTI launch refused: %s", e)
            return page("lti_error.html.j2", status, check=e.check, detail=e.detail)

        @app.after_request
        def _headers(response: Response) -> Response:
            security_headers(response.headers, frame_ancestors=self.config.frame_ancestors)
            return response

        @app.errorhandler(HTTPException)
        def _http_error(e: HTTPException):
            return refused(LaunchRefused("request", e.description or e.name), e.code or 400)

        @app.errorhandler(ServeError)
        def _serve_error(e: ServeError):
            log.error("LTI launch: %s", e)
            return refused(LaunchRefused("quiz", str(e)), 500)

        @app.route("/login", methods=["GET", "POST"])
        def login() -> Response:
            req, cookies, sessions = self._services()
            target = req.get_param("target_link_uri")
            if target and origin(target) != origin(request.url_root):
                return refused(LaunchRefused("target_link_uri", f"{target[:200]!r} is not an "
                                                                "address of this tool"))
            try:
                return ToolLogin(req, self.config, sessions=sessions,
                                 cookies=cookies).redirect(request.url_root + "launch")
            except LaunchRefused as e:
                return refused(e)

        @app.post("/launch")
        def launch() -> Response:
            chosen: dict[str, str] = {}

            def check(claims: dict[str, Any]) -> None:
                if claims[LTI + "message_type"] == DEEP_LINKING:
                    if role_of(claims) != "teacher":
                        raise LaunchRefused("roles", "only an instructor can choose a quiz "
                                                     "for the course")
                else:
                    chosen["quiz"] = self.quiz_for(claims)
                if len(str(claims.get("sub", ""))) > 255:
                    raise LaunchRefused("message", "the user id (sub) is over 255 characters")

            launch = self.new_launch(check)
            try:
                launch.validate()
            except LaunchRefused as e:
                return refused(e, 403 if e.check == "roles" else 400)
            claims = launch.claims
            if claims[LTI + "message_type"] == DEEP_LINKING:
                response = page("lti_choose.html.j2", launch=launch.get_launch_id(),
                                quizzes=[r.summary() for r in self.rooms.values()])
                return launch._cookie_service.apply(response)
            room = self.rooms[chosen["quiz"]]
            link = self.save_link(claims, launch.get_client_id(), room.slug)
            role = role_of(claims)
            presentation = claims.get(LTI + "launch_presentation")
            locale = presentation.get("locale") if isinstance(presentation, dict) else None
            lang = "zh" if str(locale or "").lower().startswith("zh") else None
            if role == "teacher":
                response = Response(status=303, headers={"Location": room.url("/admin")})
                room.start_session(request, response, "teacher", None, lang=lang)
            else:
                name = _text(claims.get("name")) or " ".join(filter(None, [
                    _text(claims.get("given_name")), _text(claims.get("family_name"))]))
                student = self.store.learner(room.slug, claims["iss"], str(claims["sub"]),
                                             name=name, email=_text(claims.get("email")),
                                             taken=room.classroom.knows)
                room.classroom.add_learners([Student(student, name)])
                self.store.enrol(link, student)
                response = Response(status=303, headers={"Location": room.url("/quiz")})
                room.start_session(request, response, "student", student, lang=lang)
            return launch._cookie_service.apply(response)

        @app.post("/choose")
        def choose() -> Response:
            try:
                launch = self.restore(request.form.get("launch", ""))
            except LaunchRefused as e:  # the platform left lti.json since the request
                return refused(e)
            room = self.rooms.get(request.form.get("quiz", ""))
            if launch is None:
                return refused(LaunchRefused("deep linking", "this choice was made already or "
                                                             "has expired; start again from "
                                                             "the course"))
            if room is None:
                return refused(LaunchRefused("quiz", "no such quiz is served here"))
            deep_link = launch.get_deep_link()
            settings = launch.claims["https://purl.imsglobal.org/spec/lti-dl/claim/"
                                     "deep_linking_settings"]
            target = settings.get("deep_link_return_url", "")
            if origin(target) is None:
                return refused(LaunchRefused("deep linking", "the platform's return address "
                                                             "is not an http(s) address"))
            title = room.title
            resource = (DeepLinkResource().set_url(request.url_root + "launch")
                        .set_title(title).set_custom_params({"quiz": room.slug})
                        .set_lineitem(LineItem().set_score_maximum(room.total_points)
                                      .set_label(title).set_resource_id(room.slug)))
            token = deep_link.get_response_jwt([resource])
            response = page("lti_return.html.j2", action=target, jwt=token, title=title)
            response.headers["Content-Security-Policy"] = CSP.replace(
                "form-action 'self'", f"form-action {origin(target)}")
            return response

        @app.get("/jwks")
        def jwks() -> Response:
            response = jsonify(self.config.jwks())
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        return app


def _text(value: Any, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""
