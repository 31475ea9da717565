"""Progress bars: drawn on a terminal's stderr only, erased before other output, absent from
pipes, files and CI logs; `make --students` and `validate` show them in a real terminal."""

import io
import os
import sys

import pexpect
from click.testing import CliRunner

from quizgen import progress as progress_module
from quizgen.cli import cli
from quizgen.progress import Progress, tracked


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_bar_with_the_count_and_the_line_is_erased_at_the_end(monkeypatch):
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)  # draw on every step
    stream = Terminal()
    with Progress(4, "variants", stream) as bar:
        bar.advance()
        assert stream.getvalue().endswith("\rvariants [" + "#" * 7 + "." * 23 + "] 1/4")
        bar.advance(3)
        assert stream.getvalue().endswith("[" + "#" * 30 + "] 4/4")
    assert stream.getvalue().endswith("\r\033[K")


def test_redraws_are_throttled_to_ten_a_second():
    stream = Terminal()
    bar = Progress(10_000, "validate", stream)
    for _ in range(10_000):
        bar.advance()
    assert stream.getvalue().count("\r") <= 3  # a fast loop draws once, not 10,000 times


def test_a_pipe_or_a_file_gets_nothing():
    stream = io.StringIO()
    assert list(tracked(range(5), 5, "variants", stream)) == [0, 1, 2, 3, 4]
    with Progress(3, "validate", stream) as bar:
        bar.advance(3)
        bar.clear()
    assert stream.getvalue() == ""


def test_make_students_writes_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student\na\nb\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["make", "--topic", "optimizers", "--count", "2", "--students", str(roster),
              "--format", "md", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def _in_a_terminal(*args: str) -> str:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    child = pexpect.spawn(sys.executable, ["-m", "quizgen.cli", *args], env=env,
                          encoding="utf-8", timeout=120, dimensions=(50, 200))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def test_make_students_shows_the_variants_bar_in_a_terminal(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student\n" + "".join(f"s{i}\n" for i in range(12)), encoding="utf-8")
    seen = _in_a_terminal("make", "--topic", "schedules", "--count", "2", "--students",
                          str(roster), "--format", "md", "--out", str(tmp_path / "out"))
    assert "variants [" in seen and "/12" in seen and "md sheets [" in seen
    assert "2 questions on 'schedules'" in seen


def test_validate_shows_the_bar_and_keeps_its_table_rows_whole_in_a_terminal():
    seen = _in_a_terminal("validate", "--topic", "clipping", "--seeds", "6", "--format", "md")
    lines = [line.replace("\x1b[K", "") for line in seen.splitlines()]
    rows = [line for line in lines if line.startswith("clipping.") and line.endswith("  ok")]
    assert len(rows) == 4  # each row whole, on its own line, the bar erased before it
    assert "validate [" in seen and "4 of 4 families passed" in seen
