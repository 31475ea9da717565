"""Sign-in limits punish the guesser, not the class: failed sign-ins back off per address and
per token prefix, the teacher's sign-in is counted apart, and a right token is never refused,
whatever anyone behind the same address tried before it."""

from __future__ import annotations

from web_helpers import ADMIN, CSRF_RE, TOKENS

from quizgen.web.security import Backoff, SignInLimiter, SignInPolicy

NAT = "203.0.113.7"  # a whole classroom behind one school address


def attempt(app, token, *, address=NAT, admin=False):
    client = app.test_client()
    env = {"REMOTE_ADDR": address}
    form = client.get("/admin" if admin else "/", environ_base=env).get_data(as_text=True)
    return client.post("/admin/login" if admin else "/login", environ_base=env,
                       data={"token": token, "csrf_token": CSRF_RE.search(form).group(1)})


def test_a_guesser_behind_the_schools_address_locks_out_nobody(make_app):
    app, _, _ = make_app()
    codes, waits = [], []
    for i in range(25):  # a different wrong token each time, as a guesser sends them
        r = attempt(app, f"{i:04d}-guess-{'x' * 16}")
        codes.append(r.status_code)
        waits.append(r.headers.get("Retry-After"))
    assert codes == [401] * 20 + [429] * 5  # 20 free, then told to back off ...
    assert waits[20:] == ["1", "2", "4", "8", "16"]  # ... doubling each time
    assert "wait 32 s" in attempt(app, "0100-guess").get_data(as_text=True)
    # The class behind the same address still signs in, and so does the teacher.
    assert attempt(app, TOKENS["s1"]).status_code == 303
    assert attempt(app, TOKENS["s2"]).status_code == 303
    assert attempt(app, ADMIN, admin=True).status_code == 303
    # A wrong try every 2 s keeps only the guesser waiting: the next right token still works.
    assert attempt(app, "0101-guess").status_code == 429
    assert attempt(app, TOKENS["s1"]).status_code == 303


def test_failures_on_one_token_prefix_back_off_from_any_address(make_app):
    app, _, _ = make_app()
    prefix = TOKENS["s2"][:4]
    codes = [attempt(app, prefix + f"-wrong-{i}", address=f"198.51.100.{i}").status_code
             for i in range(7)]
    assert codes == [401] * 5 + [429] * 2  # addresses change, the prefix does not
    assert attempt(app, TOKENS["s2"], address="198.51.100.99").status_code == 303
    # Another prefix from a fresh address is not affected.
    assert attempt(app, "zzzz-other", address="198.51.100.100").status_code == 401


def test_the_teachers_sign_in_is_limited_on_its_own(make_app):
    app, _, _ = make_app()
    for i in range(25):  # students' failures from the school's address ...
        attempt(app, f"{i:04d}-guess")
    r = attempt(app, "not-the-admin-token", admin=True)
    assert r.status_code == 401  # ... do not count against the teacher's sign-in
    codes = [attempt(app, f"admin-guess-{i}", admin=True, address="192.0.2.1").status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]
    # Student sign-ins from another address are not affected by the teacher's bucket.
    assert attempt(app, "wxyz-wrong", address="192.0.2.2").status_code == 401
    assert attempt(app, ADMIN, admin=True, address="192.0.2.1").status_code == 303
    assert attempt(app, TOKENS["s1"], address="192.0.2.1").status_code == 303


def test_a_token_pasted_with_the_spreadsheets_text_mark_signs_in(make_app, tmp_path):
    from web_helpers import write_classroom

    write_classroom(tmp_path, tokens={"s1": "-dash-first-token-AAAAAAAA", "s2": TOKENS["s2"]})
    app, _, _ = make_app(folder=tmp_path)
    assert attempt(app, "'-dash-first-token-AAAAAAAA").status_code == 303


def test_backoff_arithmetic_forgetting_and_bounded_memory():
    now = [0.0]
    limiter = SignInLimiter(SignInPolicy(address=Backoff(free=2, first=1, longest=8,
                                                          forget=60)),
                            max_keys=100, clock=lambda: now[0])
    key = [("address", "a")]
    assert [limiter.failed(key) for _ in range(8)] == [0, 0, 1, 2, 4, 8, 8, 8]
    now[0] += 61  # a quiet minute: the count starts again
    assert limiter.failed(key) == 0 and limiter.failures(key[0]) == 1
    for i in range(1000):
        limiter.failed([("address", str(i))])
    assert len(limiter._keys) == 100
    # The limiter keys a token by its first characters only, never the whole token.
    assert limiter.keys(False, "10.0.0.1", "abcdefgh") == [("address", "10.0.0.1"),
                                                           ("prefix", "abcd")]
