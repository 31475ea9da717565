"""The web mode's small parts on their own: token lookup, the token-bucket limiter (with a fake
clock), CSV cell neutralizing, roster/tokens reading, loopback detection, the database chosen."""

from __future__ import annotations

import pytest
from web_helpers import TOKENS

from quizgen.web.classroom import ServeError, read_students
from quizgen.web.security import RateLimiter, TokenIndex, csrf_ok
from quizgen.web.server import is_loopback


def test_token_index_finds_exactly_the_owner():
    index = TokenIndex({"s1": "abc123", "s2": "xyz789", "s3": ""})
    assert index.owner("abc123") == "s1" and index.owner("xyz789") == "s2"
    for wrong in ("", "abc12", "abc1234", "ABC123", "x" * 1000):
        assert index.owner(wrong) is None
    assert len(index) == 2  # an empty token gives no access


def test_csrf_comparison():
    assert csrf_ok("t0ken", "t0ken")
    assert not csrf_ok("t0ken", "t0keN") and not csrf_ok("", "") and not csrf_ok(None, "x")


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter({"a": (3, 0.5)}, clock=lambda: now[0])
    assert [limiter.allow("a", "k") for _ in range(4)] == [True, True, True, False]
    now[0] = 1.9  # 0.95 of a request refilled: not yet
    assert not limiter.allow("a", "k")
    now[0] = 3.9  # 2 s after the last (refused) try spent nothing: one more
    assert limiter.allow("a", "k") and not limiter.allow("a", "k")
    now[0] = 100.0  # never more than the capacity
    assert [limiter.allow("a", "k") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("a", "other")  # buckets are per key
    assert limiter.retry_after("a") == 2


def test_limiter_memory_is_bounded():
    limiter = RateLimiter({"a": (1, 0.0)}, max_keys=10)
    for i in range(100):
        limiter.allow("a", str(i))
    assert len(limiter._buckets) == 10


def test_read_students_from_tokens_or_roster(tmp_path):
    quiz = tmp_path / "quiz.json"
    (tmp_path / "tokens.csv").write_text(
        "student,name,token\ns1,Ann,t1\ns2,Bo,t2\n", encoding="utf-8")
    assert read_students(quiz, None) == ({"s1": "t1", "s2": "t2"}, {"s1": "Ann", "s2": "Bo"})
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeff学号,姓名\ns3,王\ns1,Ann\n", encoding="utf-8")
    tokens, names = read_students(quiz, roster)
    assert tokens["s1"] == "t1"  # tokens already handed out stay valid
    assert len(tokens["s3"]) >= 20 and names == {"s3": "王", "s1": "Ann"}
    assert "s3," in (tmp_path / "tokens.csv").read_text(encoding="utf-8")
    dup = tmp_path / "dup.csv"
    dup.write_text("student,token\ns1,same\ns2,same\n", encoding="utf-8")
    with pytest.raises(ServeError, match="share a token"):
        read_students(quiz, dup)
    with pytest.raises(ServeError, match="no such file"):
        read_students(tmp_path / "elsewhere" / "quiz.json", None)


@pytest.mark.parametrize("host,loop", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                       ("0.0.0.0", False), ("192.168.1.4", False),
                                       ("example.org", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_the_database_is_the_one_asked_for(make_app, db_url):
    _, room, _ = make_app(db_url)
    want = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert room.book.engine.dialect.name == want
    assert set(TOKENS) == set(room.tokens)
    from sqlalchemy import inspect

    tables = set(inspect(room.book.engine).get_table_names())
    assert {"web_drafts", "web_attempts", "submissions", "verdicts"} <= tables
