"""A JSON body too deep or malformed gets a 400 with a one-line message on every endpoint (it
used to reach the parser's recursion and come back as a generic 500 page); the depth check
itself is one pass whatever the body."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_helpers import TOKENS, csrf_of, sign_in

from quizgen.web.security import MAX_JSON_DEPTH, json_body_problem

DEEP = b"[" * 30_000 + b"]" * 30_000  # 60 KB, under the 64 KB body limit


@pytest.mark.parametrize("path", ["/preview", "/quiz", "/login", "/logout", "/admin/login",
                                  "/admin/regrade", "/admin/sessions/end", "/nowhere"])
@pytest.mark.parametrize("body, needle", [
    (DEEP, "nested deeper than 32 levels"),
    (b'{"question": "q1", "text": ', "malformed: line 1 column 28"),
    (b'{"question": "q1", "text": "\xff"}', "not UTF-8"),
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


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@given(st.integers(0, 80), st.text(max_size=20))
def test_depth_is_counted_outside_strings(depth, text):
    body = json.dumps(nested(depth, text + "[[[{{{")).encode()  # brackets inside a string
    problem = json_body_problem(body)
    assert (problem is None) == (depth <= MAX_JSON_DEPTH)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096) | st.text(alphabet='[]{}"\\,:1 ', max_size=4096).map(str.encode))
def test_any_body_gets_an_answer_never_an_exception(body):
    problem = json_body_problem(body)
    if problem is None:
        json.loads(body)  # what it accepts, the parser reads
    else:
        assert "\n" not in problem
