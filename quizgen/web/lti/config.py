"""The tool's registration with its platforms (``serve --lti-config FILE``) and its keys
(``quizgen lti keys DIR``).

The file is pylti1p3's tool configuration (``ToolConfJsonFile``): a JSON object keyed by each
platform's issuer, each with ``client_id``, ``auth_login_url``, ``auth_token_url``,
``key_set_url``, ``deployment_ids`` and the tool's ``private_key_file`` / ``public_key_file``
(paths relative to the file); an issuer may hold a list of such objects, one per client id.
quizgen reads one more, optional key: ``frame_ancestors``, the origins whose pages may show
the quiz in a frame (default: the origins of the issuer and of ``auth_login_url``; Canvas
needs the school's own Canvas address here). See docs/lti.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.exception import ToolConfException
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfJsonFile

REQUIRED = ("client_id", "auth_login_url", "auth_token_url", "key_set_url", "deployment_ids",
            "private_key_file", "public_key_file")
URL_KEYS = ("auth_login_url", "auth_token_url", "key_set_url")
KEY_BITS = 2048  # what LTI 1.3 platforms expect of RS256 keys


class LtiConfigError(ValueError):
    """The LTI configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Platform:
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    settings: dict[str, Any]


@dataclass
class LtiConfig:
    path: Path
    tool: ToolConfJsonFile  # what pylti1p3's login and launch look registrations up in
    platforms: list[Platform]
    frame_ancestors: tuple[str, ...]

    def jwks(self) -> dict[str, Any]:
        """The tool's public keys as a JWK Set (what ``/lti/jwks`` serves)."""
        return self.tool.get_jwks()

    def registration(self, issuer: str, client_id: str) -> Registration | None:
        try:
            if self.tool.check_iss_has_one_client(issuer):
                found = self.tool.find_registration_by_issuer(issuer)
            else:
                found = self.tool.find_registration_by_params(issuer, client_id)
        except ToolConfException:
            return None
        return found if found is not None and found.get_client_id() == client_id else None


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, else None (never text a CSP could misread)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or \
            any(c in host for c in " ;,'\"\\") or not host.isascii():
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def load_config(path: str | Path) -> LtiConfig:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LtiConfigError(f"{path}: cannot read ({e.strerror})") from None
    except (UnicodeDecodeError, ValueError) as e:
        where = f"line {e.lineno}: " if isinstance(e, json.JSONDecodeError) else ""
        raise LtiConfigError(f"{path}: {where}not valid JSON ({e})") from None
    if not isinstance(data, dict) or not data:
        raise LtiConfigError(f"{path}: must be a JSON object keyed by each platform's issuer")
    platforms: list[Platform] = []
    ancestors: list[str] = []
    for issuer, entry in data.items():
        for item in entry if isinstance(entry, list) else [entry]:
            platforms.append(_platform(path, issuer, item))
            for url in item.get("frame_ancestors") or [issuer, item["auth_login_url"]]:
                found = origin(url) if isinstance(url, str) else None
                if found is None:
                    raise LtiConfigError(f"{path}: {issuer}: frame_ancestors: {url!r} is not "
                                         "an http(s) address")
                if found not in ancestors:
                    ancestors.append(found)
    for p in platforms:
        for which in ("private_key_file", "public_key_file"):
            _check_key(path, p, which)
    try:
        tool = ToolConfJsonFile(str(path))
    except (ToolConfException, OSError, ValueError) as e:
        raise LtiConfigError(f"{path}: {e}") from None
    return LtiConfig(path, tool, platforms, tuple(ancestors))


def _platform(path: Path, issuer: str, item: Any) -> Platform:
    where = f"{path}: {issuer}"
    if origin(issuer) is None:
        raise LtiConfigError(f"{where}: the issuer must be the platform's http(s) address "
                             "exactly as its id_tokens name it")
    if not isinstance(item, dict):
        raise LtiConfigError(f"{where}: must be an object (or a list of objects)")
    missing = [k for k in REQUIRED if not item.get(k)]
    if missing:
        raise LtiConfigError(f"{where}: {', '.join(repr(k) for k in missing)} missing")
    for key in URL_KEYS:
        if not isinstance(item[key], str) or origin(item[key]) is None:
            raise LtiConfigError(f"{where}: {key!r} must be an http(s) address")
    ids = item["deployment_ids"]
    if not isinstance(ids, list) or not all(isinstance(d, str) and d for d in ids):
        raise LtiConfigError(f"{where}: 'deployment_ids' must be a list of strings "
                             '(["1"] for Moodle\'s first deployment)')
    if not isinstance(item["client_id"], str):
        raise LtiConfigError(f"{where}: 'client_id' must be a string")
    return Platform(issuer, item["client_id"], tuple(ids), item)


def _check_key(path: Path, platform: Platform, which: str) -> None:
    from cryptography.hazmat.primitives import serialization

    file = Path(platform.settings[which])
    file = file if file.is_absolute() else path.parent / file
    try:
        pem = file.read_bytes()
        if which == "private_key_file":
            serialization.load_pem_private_key(pem, password=None)
        else:
            serialization.load_pem_public_key(pem)
    except OSError as e:
        raise LtiConfigError(f"{path}: {platform.issuer}: {which}: {file}: cannot read "
                             f"({e.strerror})") from None
    except (ValueError, TypeError) as e:
        raise LtiConfigError(f"{path}: {platform.issuer}: {which}: {file}: not a PEM key "
                             f"without a password ({e})") from None


def write_key_pair(folder: str | Path, *, force: bool = False) -> tuple[Path, Path]:
    """A fresh RSA key pair for the tool: ``private.key`` (PKCS#8 PEM, readable by its owner
    only) and ``public.key`` (SubjectPublicKeyInfo PEM), in ``folder``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / "private.key", folder / "public.key"
    if not force and (private_path.exists() or public_path.exists()):
        raise LtiConfigError(f"{folder}: private.key or public.key is there already; a new "
                             "pair would sign out every platform that knows the old one "
                             "(pass --force to replace them)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    with open(fd, "wb") as f:
        f.write(private_pem)
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path
