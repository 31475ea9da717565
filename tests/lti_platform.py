"""A small LTI 1.3 platform for the tests, on joserfc (a JOSE library independent of the
PyJWT/jwcrypto the tool verifies with), served over loopback HTTP like a real LMS:

    GET  /auth              OIDC authorization: checks the tool's login redirect (client id,
                            redirect URI, scope, response type and mode), answers with the
                            auto-posting form of a signed id_token, as Moodle and Canvas do
    GET  /jwks              its public keys (every fetch counted)
    POST /token             OAuth2 client credentials: verifies the tool's JWT assertion
                            against the tool's JWKS, issues a bearer token for the scopes
    POST /lineitems/<id>/scores   AGS: the score (application/vnd.ims.lis.v1.score+json),
                            kept; can be told to fail (503) or refuse (400) a number of times
    GET  /memberships       NRPS: the course's members, in pages

What the next id_token holds (user, roles, message type, custom claims) and how it is spoiled
for a negative test (another key, another kid, changed claims) is set per login through
``Platform.expect``.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLIENT_ID = "quizgen-client"
DEPLOYMENT = "1"


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"},
                               private=True)


@dataclass
class User:
    sub: str
    name: str = ""
    email: str = ""
    roles: list[str] = field(default_factory=lambda: [LEARNER])


@dataclass
class Expect:
    """What the id_token of one login says, and how a test spoils it."""

    user: User
    message_type: str = "LtiResourceLinkRequest"
    link: str = "link-1"
    custom: dict[str, str] | None = None
    claims: dict[str, Any] = field(default_factory=dict)  # set (None: remove) after building
    key: RSAKey | None = None  # sign with this key instead of the platform's
    kid: str | None = None  # name this kid in the header


class Platform:
    def __init__(self) -> None:
        self.key = new_key("platform-1")
        self.keys = [self.key]  # what /jwks publishes
        self.jwks_fetches = 0
        self.tool_jwks: dict[str, Any] | None = None  # registered at the platform
        self.tool_launch_url = "http://localhost/lti/launch"
        self.scores: list[dict[str, Any]] = []
        self.score_attempts = 0
        self.fail_scores: list[int] = []  # HTTP statuses to answer, one per attempt, first
        self.tokens: dict[str, set[str]] = {}
        self.members: list[dict[str, Any]] = []
        self.page_size = 2
        self.course_frame = ""  # what /course shows in its iframe
        self._expect: dict[str, Expect] = {}
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- registration: what the tool's configuration file says about this platform -----------

    def tool_config(self, private_key: str, public_key: str, **extra) -> dict[str, Any]:
        return {self.issuer: {
            "client_id": CLIENT_ID, "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token", "key_set_url": f"{self.url}/jwks",
            "deployment_ids": [DEPLOYMENT], "private_key_file": private_key,
            "public_key_file": public_key, **extra}}

    def expect(self, spec: Expect) -> str:
        """Register the next launch; returns the lti_message_hint that names it."""
        hint = secrets.token_hex(8)
        self._expect[hint] = spec
        return hint

    # -- the id_token -------------------------------------------------------------------------

    def id_token(self, spec: Expect, *, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": spec.user.sub, "nonce": nonce,
            "iat": now, "exp": now + 300,
            LTI + "deployment_id": DEPLOYMENT, LTI + "version": "1.3.0",
            LTI + "message_type": spec.message_type, LTI + "roles": spec.user.roles,
            LTI + "target_link_uri": self.tool_launch_url,
            LTI + "context": {"id": "course-7", "title": "Optimization 101"},
        }
        if spec.user.name:
            claims["name"] = spec.user.name
        if spec.user.email:
            claims["email"] = spec.user.email
        if spec.message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": spec.link, "title": f"Quiz ({spec.link})"}
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": [SCORE, LINEITEM], "lineitems": f"{self.url}/lineitems",
                "lineitem": f"{self.url}/lineitems/{spec.link}"}
            claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
                "context_memberships_url": f"{self.url}/memberships",
                "service_versions": ["2.0"]}
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep_link_return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-platform-data"}
        if spec.custom:
            claims[LTI + "custom"] = spec.custom
        for name, value in spec.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = spec.key or self.key
        return jwt.encode({"alg": "RS256", "kid": spec.kid or key.kid}, claims, key)

    # -- HTTP ---------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._route(request)
        except Exception as e:  # a test platform: say what went wrong
            response = Response(f"platform error: {type(e).__name__}: {e}", status=500)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path == "/jwks":
            with self._lock:
                self.jwks_fetches += 1
            return _json({"keys": [k.as_dict(private=False) for k in self.keys]})
        if path == "/auth":
            return self._authorize(request)
        if path == "/token" and request.method == "POST":
            return self._token(request)
        match = re.fullmatch(r"/lineitems/([^/]+)/scores", path)
        if match and request.method == "POST":
            return self._score(request, match.group(1))
        if path == "/memberships":
            return self._memberships(request)
        if path == "/course":  # a course page that shows the tool in a frame, as an LMS does
            return Response(f'<!DOCTYPE html><title>Course</title><h1>Optimization 101</h1>'
                            f'<iframe src="{html.escape(self.course_frame)}" width="1000" '
                            f'height="800" title="quizgen"></iframe>', mimetype="text/html")
        return Response("not found", status=404)

    def _authorize(self, request: Request) -> Response:
        q = request.args
        problems = []
        if q.get("client_id") != CLIENT_ID:
            problems.append("client_id")
        if q.get("redirect_uri") != self.tool_launch_url:
            problems.append("redirect_uri")
        if q.get("scope") != "openid" or q.get("response_type") != "id_token" \
                or q.get("response_mode") != "form_post" or q.get("prompt") != "none":
            problems.append("oidc parameters")
        if not q.get("nonce") or not q.get("state"):
            problems.append("nonce/state")
        spec = self._expect.pop(q.get("lti_message_hint", ""), None)
        if spec is None or q.get("login_hint") != spec.user.sub:
            problems.append("login_hint/lti_message_hint")
        if problems:
            return Response("refused: " + ", ".join(problems), status=400)
        token = self.id_token(spec, nonce=q["nonce"])
        page = (f'<form method="post" action="{html.escape(q["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
                "</form><script>document.forms[0].submit()</script>")
        return Response(page, mimetype="text/html")

    def _token(self, request: Request) -> Response:
        form = request.form
        bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        if form.get("grant_type") != "client_credentials" \
                or form.get("client_assertion_type") != bearer:
            return _json({"error": "unsupported_grant_type"}, 400)
        try:
            token = jwt.decode(form.get("client_assertion", ""),
                               KeySet.import_key_set(self.tool_jwks))
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": CLIENT_ID},
                sub={"essential": True, "value": CLIENT_ID},
                aud={"essential": True, "value": f"{self.url}/token"},
                exp={"essential": True}, jti={"essential": True}).validate(token.claims)
        except Exception as e:
            return _json({"error": "invalid_client", "error_description": str(e)}, 401)
        access = secrets.token_urlsafe(16)
        with self._lock:
            self.tokens[access] = set(form.get("scope", "").split())
        return _json({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                      "scope": form.get("scope", "")})

    def _authorized(self, request: Request, scope: str) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and scope in self.tokens.get(header[7:], set())

    def _score(self, request: Request, lineitem: str) -> Response:
        if not self._authorized(request, SCORE):
            return Response("unauthorized", status=401)
        if request.mimetype != "application/vnd.ims.lis.v1.score+json":
            return Response("wrong content type", status=415)
        with self._lock:
            self.score_attempts += 1
            if self.fail_scores:
                return Response("not now", status=self.fail_scores.pop(0))
            self.scores.append({"lineitem": lineitem, **json.loads(request.get_data())})
        return Response(status=204)

    def _memberships(self, request: Request) -> Response:
        if not self._authorized(request, NRPS_SCOPE):
            return Response("unauthorized", status=401)
        start = int(request.args.get("from", "0"))
        page = self.members[start:start + self.page_size]
        headers = {}
        if start + self.page_size < len(self.members):
            headers["Link"] = (f'<{self.url}/memberships?from={start + self.page_size}>; '
                               'rel="next"')
        return _json({"id": f"{self.url}/memberships", "context": {"id": "course-7"},
                      "members": page}, headers=headers,
                     mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    # -- deep linking -------------------------------------------------------------------------

    def read_deep_link_response(self, token: str) -> dict[str, Any]:
        """What a platform does with the tool's LtiDeepLinkingResponse: verify it with the
        tool's JWKS and check its claims; returns the claims."""
        claims = jwt.decode(token, KeySet.import_key_set(self.tool_jwks)).claims
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": CLIENT_ID},
                              aud={"essential": True, "value": self.issuer},
                              exp={"essential": True}, nonce={"essential": True}
                              ).validate(claims)
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[LTI + "version"] == "1.3.0"
        assert claims[LTI + "deployment_id"] == DEPLOYMENT
        return claims


def _json(data: Any, status: int = 200, *, headers=None,
          mimetype: str = "application/json") -> Response:
    return Response(json.dumps(data), status=status, mimetype=mimetype, headers=headers)


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """(action, {name: value}) of the first form of an HTML page."""
    action = html.unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
    fields = {html.unescape(n): html.unescape(v) for n, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    return action, fields


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
