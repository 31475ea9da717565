"""The tool's keys (`quizgen lti keys`), its configuration file (every mistake named with the
file and key), its JWKS, `quizgen serve --lti-config` with several quizzes as a user runs it,
and the bounded cost of reading what a platform answers."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from quizgen.web.lti.config import LtiConfigError, load_config
from quizgen.web.lti.http import BoundedSession, PlatformResponseError

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]


def test_lti_keys_writes_a_private_key_only_its_owner_reads(tmp_path):
    r = subprocess.run([*QUIZGEN, "lti", "keys", str(tmp_path / "k")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "private.key" in r.stdout
    private = tmp_path / "k" / "private.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = RSAKey.import_key(private.read_bytes())
    public = RSAKey.import_key((tmp_path / "k" / "public.key").read_bytes())
    assert key.as_dict(private=False)["n"] == public.as_dict()["n"]
    assert len(public.as_dict()["n"]) >= 342  # 2048 bits, base64url
    again = subprocess.run([*QUIZGEN, "lti", "keys", str(tmp_path / "k")],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--force" in again.stderr
    assert RSAKey.import_key(private.read_bytes()).as_dict()["n"] == key.as_dict()["n"]


def _config(tmp_path, tool_keys, **changes):
    entry = {"client_id": "c", "auth_login_url": "https://lms.example.edu/auth",
             "auth_token_url": "https://lms.example.edu/token",
             "key_set_url": "https://lms.example.edu/jwks", "deployment_ids": ["1"],
             "private_key_file": str(tool_keys[0]), "public_key_file": str(tool_keys[1])}
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    path = tmp_path / "lti.json"
    path.write_text(json.dumps({"https://lms.example.edu": entry}))
    return path


@pytest.mark.parametrize("changes, message", [
    ({"client_id": None}, "'client_id' missing"),
    ({"key_set_url": "ftp://x"}, "'key_set_url' must be an http(s) address"),
    ({"deployment_ids": "1"}, "'deployment_ids' must be a list"),
    ({"private_key_file": "/nonexistent/private.key"}, "private_key_file"),
    ({"frame_ancestors": ["https://a.example; script-src *"]}, "frame_ancestors"),
])
def test_a_bad_configuration_is_named(tmp_path, tool_keys, changes, message):
    with pytest.raises(LtiConfigError, match=re.escape(message)):
        load_config(_config(tmp_path, tool_keys, **changes))


def test_a_configuration_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "lti.json"
    path.write_text('{\n  "https://lms.example.edu": {,\n}')
    with pytest.raises(LtiConfigError, match="line 2"):
        load_config(path)


def test_frame_ancestors_default_to_the_platform_and_may_be_named(tmp_path, tool_keys):
    assert load_config(_config(tmp_path, tool_keys)).frame_ancestors == (
        "https://lms.example.edu",)
    canvas = load_config(_config(tmp_path, tool_keys, frame_ancestors=[
        "https://school.instructure.com/courses"]))
    assert canvas.frame_ancestors == ("https://school.instructure.com",)


def test_the_jwks_verifies_what_the_tool_signs(make_world, tool_keys):
    world = make_world()
    keys = json.loads(world.browser().get("/lti/jwks").get_data())
    [key] = keys["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and "d" not in key  # public only
    from pylti1p3.service_connector import ServiceConnector

    registration = world.site.lti.config.registration(world.platform.issuer, "quizgen-client")
    signed = ServiceConnector(registration).encode_jwt({"iss": "x"}, registration
                                                      .get_tool_private_key(),
                                                      {"kid": registration.get_kid()})
    assert jwt.decode(signed, KeySet.import_key_set(keys)).claims == {"iss": "x"}


def test_serve_hosts_several_quizzes_and_the_lti_endpoints(tmp_path, quiz_folder, platform,
                                                           tool_keys):
    import shutil

    for name in ("algebra", "optim"):
        shutil.copytree(quiz_folder, tmp_path / name)
    config = tmp_path / "lti.json"
    config.write_text(json.dumps(platform.tool_config(str(tool_keys[0]), str(tool_keys[1]))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZGEN_")}
    proc = subprocess.Popen([*QUIZGEN, "serve", str(tmp_path / "algebra" / "quiz.json"),
                             str(tmp_path / "optim" / "quiz.json"), "--lti-config", str(config),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
            if "LTI 1.3" in lines[-1]:
                break
        out = "".join(lines)
        url = re.search(r"login (http://127\.0\.0\.1:\d+)/lti/login", out).group(1)
        assert f"{url}/algebra/" in out and f"{url}/optim/admin" in out
        with urllib.request.urlopen(url + "/lti/jwks", timeout=10) as r:
            assert json.load(r)["keys"][0]["alg"] == "RS256"
        with urllib.request.urlopen(url + "/", timeout=10) as r:
            index = r.read().decode()
        assert 'href="/algebra/"' in index and 'href="/optim/"' in index
        with urllib.request.urlopen(url + "/optim/healthz", timeout=10) as r:
            assert r.read() == b"ok\n"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_a_bad_lti_config_exits_2(tmp_path, quiz_folder):
    r = subprocess.run([*QUIZGEN, "serve", str(quiz_folder / "quiz.json"), "--lti-config",
                        str(tmp_path / "missing.json")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "--lti-config" in r.stderr and "cannot read" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture
def hostile_platform():
    """Answers too large, too deep, or too slowly."""
    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/huge":
            response = Response(b"[" + b"0," * 3_000_000 + b"0]", mimetype="application/json")
        elif path == "/deep":
            response = Response(b"[" * 5000 + b"]" * 5000, mimetype="application/json")
        elif path == "/drip":
            def drip():
                for _ in range(50):
                    time.sleep(0.1)
                    yield b" "
            response = Response(drip(), mimetype="application/json")
        else:
            response = Response(b'{"keys": []}', mimetype="application/json")
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("path, why", [("/huge", "bytes"), ("/deep", "nested"),
                                       ("/drip", "took over")])
def test_what_a_platform_answers_is_read_at_bounded_cost(hostile_platform, path, why):
    session = BoundedSession(max_bytes=1_000_000, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(PlatformResponseError, match=why):
        session.get(hostile_platform + path)
    assert time.monotonic() - started < 4
    assert session.get(hostile_platform + "/ok").json() == {"keys": []}
    assert isinstance(PlatformResponseError("x"), requests.RequestException)


def test_the_lti_bench_keeps_running():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "bench/lti.py", "--learners", "3", "--questions", "2",
                           "--repeats", "2"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "first launch" in done.stdout and "(2 received)" in done.stdout
