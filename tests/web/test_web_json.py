"""A JSON body too deep or malformed gets a 400 with a one-line message on every endpoint (it
used to reach the parser's recursion and come back as a generic 500 page). The depth-bounded
reader itself (quizgen.safejson) is tested with the grading inputs."""

from __future__ import annotations

import pytest
from web_helpers import TOKENS, csrf_of, sign_in

DEEP = b"[" * 30_000 + b"]" * 30_000  # 60 KB, under the 64 KB body limit


@pytest.mark.parametrize("path", ["/preview", "/quiz", "/login", "/logout", "/admin/login",
                                  "/admin/regrade", "/admin/sessions/end", "/nowhere"])
@pytest.mark.parametrize("body, needle", [
    (DEEP, "nested deeper than 32 levels"),
    (b'{"question": "q1", "text": ', "not valid JSON (Expecting value, line 1 column 28)"),
    (b'{"question": "q1", "text": "\xff"}', "can't decode byte 0xff"),
])
def test_bad_json_is_a_400_with_one_line(make_app, path, body, needle):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    r = client.post(path, data=body, content_type="application/json",
                    headers={"X-CSRF-Token": csrf_of(client, "/quiz")})
    assert r.status_code == 400, path
    reply = r.get_json()
    assert reply["ok"] is False and needle in reply["error"] and "\n" not in reply["error"]


def test_a_good_preview_still_works(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    r = client.post("/preview", json={"question": "q1", "text": "1/2"},
                    headers={"X-CSRF-Token": csrf_of(client, "/quiz")})
    assert r.status_code == 200 and r.get_json()["read_as"] == "1/2"
