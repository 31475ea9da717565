"""The OIDC login and the id_token launch, as pylti1p3 does them, over the gradebook database.

pylti1p3 supplies the protocol: the login redirect (state, nonce), the registration lookup, the
key lookup in the platform's JWKS, the message validators, deep-linking responses and the
service calls. quizgen supplies its storage and cookies (:class:`ToolSessions`,
:class:`ToolCookies`) and tightens what the library leaves loose, so that every check of the
LTI 1.3 security framework holds and a refusal names the one that failed:

========  ==================================================================================
state     the ``state`` of the launch is the one the login set in *this* browser's cookie
id_token  three base64url parts, JSON objects, nested at most 32 deep
issuer    ``iss`` is a registered platform
audience  ``aud`` holds our client id; with several audiences ``azp`` is required and ours
key       the header's ``kid`` is in the platform's JWKS (fetched and cached; fetched again
          once on an unknown ``kid``, at most every ``min_refetch`` seconds), alg RS256
signature the RS256 signature verifies with that key (PyJWT)
expiry    ``exp`` is in the future, ``iat`` not (with ``leeway``), both present
deployment the deployment id is registered for this platform and client
message   LTI version 1.3.0, a message type this tool handles, the claims it needs
roles     the user is a learner or an instructor/administrator
nonce     issued by this tool's login, not expired, and used once (taken atomically from
          the database, so two processes cannot both accept it)
========  ==================================================================================

The nonce is taken last, after everything that a forger could get wrong, so a forged token
cannot burn a real user's nonce; nothing is written before every check has passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from flask import Request as FlaskRequest
from flask import Response
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.roles import StaffRole, StudentRole, TeacherRole
from pylti1p3.session import SessionService

from quizgen.safejson import JSONInputError
from quizgen.safejson import load as load_json

from .config import LtiConfig
from .store import DatabaseLaunchStorage

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
HANDLED = (RESOURCE_LINK, DEEP_LINKING)
NONCE_LIFETIME = 600  # seconds from the login to the launch
STATE_COOKIE_LIFETIME = 300
LEEWAY = 60  # seconds of clock difference allowed between platform and tool


class LaunchRefused(Exception):
    """A launch or login that fails a check; ``check`` names it on the error page."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check
        self.detail = detail


# -- pylti1p3's request, cookie and session services over Flask and the database ---------------

class ToolRequest(Request):
    def __init__(self, request: FlaskRequest, *, secure: bool) -> None:
        self._request = request
        self._secure = secure

    @property
    def session(self):  # the database-backed SessionService never uses a framework session
        raise NotImplementedError

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        source = self._request.args if self._request.method == "GET" else self._request.form
        return source.get(key, "")


class ToolCookies(CookieService):
    """The login's ``state`` cookie: only the browser that started the login carries it back.

    Over HTTPS it is ``SameSite=None; Secure; Partitioned`` (the launch is a cross-site POST
    from the LMS, often inside its iframe); over plain HTTP browsers refuse ``SameSite=None``,
    so it is ``Lax`` there (which suffices for a top-level launch on a test machine).
    """

    def __init__(self, request: FlaskRequest, *, secure: bool, path: str) -> None:
        self._request = request
        self._secure = secure
        self._path = path
        self._to_set: dict[str, tuple[str, int | None]] = {}

    def _name(self, key: str) -> str:
        return f"{self._cookie_prefix}-{key}"

    def get_cookie(self, name: str) -> str | None:
        return self._request.cookies.get(self._name(name))

    def set_cookie(self, name: str, value, exp: int | None = 3600) -> None:
        self._to_set[self._name(name)] = (str(value), exp)

    def forget(self, name: str) -> None:
        self._to_set[self._name(name)] = ("", 0)

    def apply(self, response: Response) -> Response:
        extra = {"samesite": "None", "partitioned": True} if self._secure else \
            {"samesite": "Lax"}
        for key, (value, exp) in self._to_set.items():
            response.set_cookie(key, value, max_age=exp, path=self._path, secure=self._secure,
                                httponly=True, **extra)
        return response


class ToolSessions(SessionService):
    """pylti1p3's session service over :class:`DatabaseLaunchStorage`; a nonce is taken, not
    looked at, so it is good for one launch, and a state is never marked "already valid"
    (pylti1p3 would then accept the same id_token again without its cookie)."""

    def __init__(self, storage: DatabaseLaunchStorage) -> None:  # no super(): no request
        self.data_storage = storage

    def save_nonce(self, nonce: str) -> None:
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=NONCE_LIFETIME)

    def check_nonce(self, nonce: str) -> bool:
        return self.data_storage.take_value(self._get_key("nonce", nonce))

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


# -- the platforms' keys ------------------------------------------------------------------------

@dataclass
class _KeySet:
    keys: dict[str, Any]
    fetched: float


class JwksCache:
    """Each platform's JWKS, fetched on first use and kept ``max_age`` seconds; fetched again
    when a token names a ``kid`` it does not hold (a platform rotating its key), but at most
    once per ``min_refetch`` seconds per URL, so tokens with made-up ``kid``s cannot make the
    tool hammer the platform."""

    def __init__(self, http: requests.Session, *, max_age: float = 3600.0,
                 min_refetch: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http
        self.max_age = max_age
        self.min_refetch = min_refetch
        self.clock = clock
        self._sets: dict[str, _KeySet] = {}
        self._lock = threading.Lock()

    def get(self, url: str, *, unknown_kid: bool = False) -> tuple[dict[str, Any], bool]:
        """(the key set, whether it was fetched just now)."""
        now = self.clock()
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None:
            age = now - cached.fetched
            if (not unknown_kid and age < self.max_age) or (unknown_kid and age < self.min_refetch):
                return cached.keys, False
        try:
            response = self.http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = load_json(response.content)
        except (requests.RequestException, JSONInputError) as e:
            raise LaunchRefused("key", f"cannot read the platform's key set at {url} "
                                       f"({_short(e)})") from None
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise LaunchRefused("key", f"{url} is not a JWK Set (no 'keys' list)")
        keys = {"keys": [k for k in keys["keys"] if isinstance(k, dict)]}
        with self._lock:
            self._sets[url] = _KeySet(keys, now)
        return keys, True


# -- the launch ---------------------------------------------------------------------------------

def role_of(claims: dict[str, Any]) -> str | None:
    """``teacher`` for an Instructor or Administrator, ``student`` for a Learner, else None."""
    if TeacherRole(claims).check() or StaffRole(claims).check():
        return "teacher"
    if StudentRole(claims).check():
        return "student"
    return None


class ToolLaunch(MessageLaunch):
    def __init__(self, request: ToolRequest, config: LtiConfig, *, sessions: ToolSessions,
                 cookies: ToolCookies, keys: JwksCache, http: requests.Session,
                 leeway: int = LEEWAY, check_message: Callable[[dict], None] | None = None):
        super().__init__(request, config.tool, session_service=sessions,
                         cookie_service=cookies, requests_session=http)
        self._config = config
        self._keys = keys
        self._leeway = leeway
        self._check_message = check_message
        self._client_id: str | None = None
        self.set_launch_data_lifetime(3600)

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate(self) -> ToolLaunch:
        """Every check, in an order where nothing is written until all have passed."""
        if self._restored:
            raise LtiException("A restored launch can't be validated.")
        self._validated = True
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("state", self.validate_state), ("id_token", self.validate_jwt_format),
            ("issuer", self.validate_registration), ("signature", self.validate_jwt_signature),
            ("deployment", self.validate_deployment), ("message", self.validate_message),
            ("nonce", self.validate_nonce)]
        try:
            for check, step in steps:
                try:
                    step()
                except LaunchRefused:
                    raise
                except (LtiException, OIDCException) as e:
                    raise LaunchRefused(check, _explain(check, e)) from None
                except (AttributeError, KeyError, TypeError, ValueError) as e:
                    raise LaunchRefused(check, f"a claim has the wrong shape ({_short(e)})") \
                        from None
            self.save_launch_data()
        except Exception:
            self._validated = False
            raise
        self._cookie_service.forget(self._get_request_param("state"))
        return self

    def validate_jwt_format(self) -> ToolLaunch:
        parts = self._get_id_token().split(".")
        if len(parts) != 3:
            raise LaunchRefused("id_token", "not a signed JWT (it must have three parts)")
        try:
            header = load_json(self.urlsafe_b64decode(parts[0]))
            body = load_json(self.urlsafe_b64decode(parts[1]))
        except (ValueError, JSONInputError) as e:
            raise LaunchRefused("id_token", f"cannot be decoded ({_short(e)})") from None
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRefused("id_token", "its header and claims must be JSON objects")
        self._jwt = {"header": header, "body": body}
        return self

    def get_client_id(self) -> str:
        if self._client_id is None:
            self._client_id = self._audience()
        return self._client_id

    def _audience(self) -> str:
        """Our client id as the token names it: ``azp`` if present (then among ``aud``),
        else the one audience (OpenID Connect Core 3.1.3.7)."""
        body = self._jwt.get("body", {})
        aud, azp = body.get("aud"), body.get("azp")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or not audiences \
                or not all(isinstance(a, str) for a in audiences):
            raise LaunchRefused("audience", "the id_token names no audience (aud)")
        if azp is not None and not isinstance(azp, str):
            raise LaunchRefused("audience", "azp must be a string")
        if azp is None and len(audiences) > 1:
            raise LaunchRefused("audience", "several audiences and no azp naming ours")
        client_id = azp or audiences[0]
        if client_id not in audiences:
            raise LaunchRefused("audience", f"azp {client_id!r} is not among aud")
        return client_id

    def validate_registration(self) -> ToolLaunch:
        iss = self._jwt["body"].get("iss")
        if not isinstance(iss, str) or not iss:
            raise LaunchRefused("issuer", "the id_token names no issuer (iss)")
        if not any(p.issuer == iss for p in self._config.platforms):
            raise LaunchRefused("issuer", f"{iss!r} is not a platform registered in "
                                          f"{self._config.path.name}")
        client_id = self.get_client_id()
        registration = self._config.registration(iss, client_id)
        if registration is None:
            raise LaunchRefused("audience", f"the id_token is for client {client_id!r}, which "
                                            f"is not registered for {iss}")
        self._registration = registration
        return self

    def get_public_key(self) -> tuple[str, str]:
        header = self._jwt.get("header", {})
        if header.get("alg") != "RS256":
            raise LaunchRefused("signature", f"algorithm {header.get('alg')!r}: LTI 1.3 "
                                             "id_tokens are signed with RS256")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise LaunchRefused("key", "the id_token's header names no key (kid)")
        assert self._registration is not None
        if self._registration.get_key_set():  # pasted into the config: no fetching
            return self._find_key()
        url = self._registration.get_key_set_url() or ""
        keys, fresh = self._keys.get(url)
        self._registration.set_key_set(keys)
        try:
            return self._find_key()
        except LaunchRefused:
            if fresh:
                raise
        keys, _ = self._keys.get(url, unknown_kid=True)
        self._registration.set_key_set(keys)
        return self._find_key()

    def _find_key(self) -> tuple[str, str]:
        try:
            return super().get_public_key()
        except LtiException:
            kid = self._jwt["header"]["kid"]
            raise LaunchRefused("key", f"the platform's key set has no RS256 key {kid!r}") \
                from None

    def validate_jwt_signature(self) -> ToolLaunch:
        public_key, _ = self.get_public_key()
        try:
            jwt.decode(self._get_id_token(), public_key, algorithms=["RS256"],
                       audience=self.get_client_id(), issuer=self._jwt["body"]["iss"],
                       leeway=self._leeway,
                       options={"require": ["exp", "iat", "iss", "aud", "nonce"]})
        except jwt.ExpiredSignatureError:
            raise LaunchRefused("expiry", "the id_token has expired (exp is past)") from None
        except jwt.ImmatureSignatureError:
            raise LaunchRefused("expiry", "the id_token is not valid yet (iat or nbf is in "
                                          "the future)") from None
        except jwt.MissingRequiredClaimError as e:
            check = "expiry" if e.claim in ("exp", "iat") else "id_token"
            raise LaunchRefused(check, f"the id_token has no {e.claim!r} claim") from None
        except jwt.InvalidAudienceError:
            raise LaunchRefused("audience", "aud does not name this tool's client id") \
                from None
        except jwt.InvalidIssuerError:
            raise LaunchRefused("issuer", "iss does not match the registration") from None
        except jwt.InvalidSignatureError:
            raise LaunchRefused("signature", "the signature does not verify with the "
                                             "platform's key") from None
        except jwt.InvalidTokenError as e:
            raise LaunchRefused("id_token", _short(e)) from None
        return self

    def validate_message(self) -> ToolLaunch:
        body = self._jwt["body"]
        message_type = body.get(MESSAGE_TYPE)
        if message_type not in HANDLED:
            raise LaunchRefused("message type", f"{message_type!r}: this tool handles "
                                                f"{' and '.join(HANDLED)}")
        super().validate_message()
        if role_of(body) is None:
            raise LaunchRefused("roles", "neither a learner nor an instructor or "
                                         "administrator of the course")
        if self._check_message is not None:
            self._check_message(body)
        return self

    def validate_nonce(self) -> ToolLaunch:
        nonce = self._jwt["body"].get("nonce")
        if not isinstance(nonce, str) or not self._session_service.check_nonce(nonce):
            raise LaunchRefused("nonce", "not issued by this tool's login, expired, or used "
                                         "already (a replayed launch)")
        return self

    @property
    def claims(self) -> dict[str, Any]:
        return self._jwt["body"]

    @property
    def registration(self):
        return self._registration


def _explain(check: str, e: Exception) -> str:
    text = str(e)
    if check == "state":
        return ("the launch did not come back to the browser that started the login (no "
                f"matching state cookie: {text})")
    if check == "message" and "version" in text.lower():
        return f"LTI version: {text}"
    if check == "message" and "roles" in text.lower():
        return f"roles: {text}"
    if check == "deployment":
        return f"{text} (not in deployment_ids of the registration)"
    return text


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


# -- the login ----------------------------------------------------------------------------------

class _Redirect(Redirect[Response]):
    def __init__(self, location: str, cookies: ToolCookies) -> None:
        self._location = location
        self._cookies = cookies

    def do_redirect(self) -> Response:
        response = Response(status=302, headers={"Location": self._location})
        return self._cookies.apply(response)

    def do_js_redirect(self) -> Response:  # never used: a plain redirect needs no script
        return self.do_redirect()

    def set_redirect_url(self, location: str) -> None:
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location


class ToolLogin(OIDCLogin):
    def __init__(self, request: ToolRequest, config: LtiConfig, *, sessions: ToolSessions,
                 cookies: ToolCookies) -> None:
        super().__init__(request, config.tool, session_service=sessions,
                         cookie_service=cookies)
        self._config = config

    def get_redirect(self, url: str) -> _Redirect:
        return _Redirect(url, self._cookie_service)

    def validate_oidc_login(self):
        iss = self._get_request_param("iss")
        if not iss:
            raise LaunchRefused("issuer", "the login request names no issuer (iss)")
        if not any(p.issuer == iss for p in self._config.platforms):
            raise LaunchRefused("issuer", f"{iss!r} is not a platform registered in "
                                          f"{self._config.path.name}")
        if not self._get_request_param("login_hint"):
            raise LaunchRefused("login", "the login request has no login_hint")
        try:
            return super().validate_oidc_login()
        except Exception as e:  # ToolConfException for an unknown client id, among others
            raise LaunchRefused("audience", f"client {self._get_request_param('client_id')!r}"
                                            f" is not registered for {iss} ({_short(e)})") \
                from None
