"""Every check of the LTI 1.3 security framework, each with its negative case: the launch is
refused with a page naming the check (never a stack trace), no session begins, and nothing is
stored (no learner, no link, no variant, no session row; the login's nonce stays unused)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lti_platform import CLIENT_ID, LTI, Expect, User, new_key

NOW = int(time.time())


def _swap_alg(fields: dict) -> None:
    """An unsigned token (alg none) with the same claims."""
    header, body, _ = fields["id_token"].split(".")
    fields["id_token"] = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": "platform-1"}).encode()).decode().rstrip("=") \
        + f".{body}."


def _other_state(fields: dict) -> None:
    fields["state"] = "state-00000000-0000-4000-8000-000000000000"


CASES = {
    # name: (Expect keyword arguments, tamper with the posted form, check, status)
    "bad signature": ({"key": new_key("platform-1")}, None, "signature", 400),
    "unsigned (alg none)": ({}, _swap_alg, "signature", 400),
    "unknown kid": ({"key": new_key("rogue-kid"), "kid": "rogue-kid"}, None, "key", 400),
    "wrong aud": ({"claims": {"aud": "someone-else"}}, None, "audience", 400),
    "several aud, no azp": ({"claims": {"aud": [CLIENT_ID, "other"]}}, None, "audience", 400),
    "azp not ours": ({"claims": {"aud": [CLIENT_ID, "other"], "azp": "other"}}, None,
                     "audience", 400),
    "unknown issuer": ({"claims": {"iss": "https://lms.invalid"}}, None, "issuer", 400),
    "expired": ({"claims": {"iat": NOW - 4000, "exp": NOW - 3600}}, None, "expiry", 400),
    "issued in the future": ({"claims": {"iat": NOW + 3600, "exp": NOW + 7200}}, None,
                             "expiry", 400),
    "no exp": ({"claims": {"exp": None}}, None, "expiry", 400),
    "wrong state": ({}, _other_state, "state", 400),
    "unknown deployment": ({"claims": {LTI + "deployment_id": "99"}}, None, "deployment",
                           400),
    "missing roles": ({"claims": {LTI + "roles": None}}, None, "message", 400),
    "no role of ours": ({"claims": {LTI + "roles": [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]}}, None, "roles", 403),
    "LTI 1.1": ({"claims": {LTI + "version": "1.1.0"}}, None, "message", 400),
    "unknown message type": ({"message_type": "LtiStartProctoring"}, None, "message type",
                             400),
    "no resource link": ({"claims": {LTI + "resource_link": None}}, None, "message", 400),
    "learner asks to deep link": ({"message_type": "LtiDeepLinkingRequest"}, None, "roles",
                                  403),
}
DETAILS = {"missing roles": "Missing Roles Claim", "LTI 1.1": "1.3.0",
           "unknown kid": "rogue-kid", "expired": "expired", "unsigned (alg none)": "RS256"}


def assert_refused(response, check: str, status: int, detail: str = "") -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert "The LMS launch was refused" in page
    assert f"Check: {check}</strong>" in page, page
    assert detail in page
    assert "Traceback" not in page and "File \"" not in page
    assert "quizgen_session" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("case", CASES)
def test_a_launch_failing_one_check_is_refused_and_nothing_is_stored(make_world, case):
    world = make_world()
    expect, tamper, check, status = CASES[case]
    browser = world.browser()
    fields = world.authorize(browser, Expect(User("u-1"), **expect))
    if tamper:
        tamper(fields)
    before = world.counts()
    response = browser.post("/lti/launch", data=fields)
    assert_refused(response, check, status, DETAILS.get(case, ""))
    assert world.counts() == before
    assert browser.get("/quiz").status_code == 303  # no session: back to the sign-in page


def test_an_unknown_kid_makes_the_tool_fetch_the_keys_once_more(make_world):
    world = make_world()
    world.learner("u-0")  # the platform's keys are cached now
    browser = world.browser()
    fields = world.authorize(browser, Expect(User("u-1"), key=new_key("rogue-kid"),
                                             kid="rogue-kid"))
    assert_refused(browser.post("/lti/launch", data=fields), "key", 400)
    assert world.platform.jwks_fetches == 2  # cached set, then fetched again for the kid


def test_a_rotated_platform_key_is_picked_up_on_its_unknown_kid(make_world):
    world = make_world()
    world.learner("u-1")
    assert world.platform.jwks_fetches == 1
    world.learner("u-2")
    assert world.platform.jwks_fetches == 1  # cached
    rotated = new_key("platform-2")
    world.platform.key, world.platform.keys = rotated, [rotated]
    world.learner("u-3")  # signed with a kid the cache lacks: fetched again, accepted
    assert world.platform.jwks_fetches == 2


def test_a_replayed_launch_is_refused_by_its_nonce(make_world):
    world = make_world()
    browser = world.browser()
    fields = world.authorize(browser, Expect(User("u-1")))
    state_cookie = f"lti1p3-{fields['state']}"
    assert browser.post("/lti/launch", data=fields).status_code == 303
    # the attacker replays the same id_token and state, and has the state cookie too
    thief = world.browser()
    thief.set_cookie(state_cookie, fields["state"], path="/lti/")
    before = world.counts()
    assert_refused(thief.post("/lti/launch", data=fields), "nonce", 400, "used already")
    assert world.counts() == before


def test_a_launch_posted_from_another_browser_is_refused_by_its_state(make_world):
    world = make_world()
    fields = world.authorize(world.browser(), Expect(User("u-1")))
    other = world.browser()  # never started the login: has no state cookie
    assert_refused(other.post("/lti/launch", data=fields), "state", 400)


def test_the_state_cookie_is_gone_after_the_launch(make_world):
    world = make_world()
    browser = world.browser()
    fields = world.authorize(browser, Expect(User("u-1")))
    browser.post("/lti/launch", data=fields)
    assert browser.get_cookie(f"lti1p3-{fields['state']}", path="/lti/") is None


def test_a_login_from_an_unknown_platform_is_refused(make_world):
    world = make_world()
    r = world.browser().post("/lti/login", data={"iss": "https://lms.invalid",
                                                 "login_hint": "u-1"})
    assert_refused(r, "issuer", 400)
    r = world.browser().post("/lti/login", data={
        "iss": world.platform.issuer, "login_hint": "u-1",
        "target_link_uri": "https://elsewhere.invalid/x"})
    assert_refused(r, "target_link_uri", 400)


def test_a_launch_without_a_login_or_by_get_is_refused(make_world):
    world = make_world()
    browser = world.browser()
    assert_refused(browser.post("/lti/launch", data={"id_token": "a.b.c", "state": "s"}),
                   "state", 400)
    assert_refused(browser.get("/lti/launch"), "request", 405)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(token=st.one_of(
    st.text(max_size=2000),
    st.builds(lambda depth: ".".join([base64.urlsafe_b64encode(
        (("[" * depth) + ("]" * depth)).encode()).decode()] * 2) + ".sig",
        st.integers(1, 20_000)),
    st.builds(lambda a, b: f"{a}.{b}.x", st.binary(max_size=3000).map(
        lambda b: base64.urlsafe_b64encode(b).decode()), st.text(max_size=3000))))
def test_any_id_token_text_is_refused_with_a_named_check_at_bounded_cost(make_world_once,
                                                                         token):
    world, browser, fields = make_world_once
    started = time.process_time()
    response = browser.post("/lti/launch", data={**fields, "id_token": token})
    assert time.process_time() - started < 1.0
    page = response.get_data(as_text=True)
    # 413: over the body limit, refused before anything reads it
    assert response.status_code in (400, 413) and "Check: " in page


@pytest.fixture
def make_world_once(make_world):
    """One world and one login (its state cookie), for many hypothesis examples."""
    world = make_world()
    browser = world.browser()
    fields = world.authorize(browser, Expect(User("u-1")))
    return world, browser, fields
