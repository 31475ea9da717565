"""docs/authoring.md, followed step by step: every ```console block is run in order, in one
folder, through a `quizgen` on PATH, and its output must be what the page shows (`...` alone
on a line stands for any lines, inside a line for any text)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authoring.md"
SCAFFOLD = ROOT / "quizgen" / "bank" / "scaffolds" / "family.toml"


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every `$ ` line of every console block."""
    steps = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ "), lines[i]
            command = [lines[i][2:]]
            i += 1
            if "<<'EOF'" in command[0]:  # a here-document: the file the reader writes
                while lines[i] != "EOF":
                    command.append(lines[i])
                    i += 1
                command.append(lines[i])
                i += 1
            expected = []
            while i < len(lines) and not lines[i].startswith("$ "):
                expected.append(lines[i])
                i += 1
            steps.append(("\n".join(command), expected))
    return steps


def matches(expected: list[str], output: str) -> bool:
    pattern = "".join(r"(?:.*\n)*?" if line == "..." else
                      re.escape(line).replace(re.escape("..."), ".*") + r"\n"
                      for line in expected)
    return re.fullmatch(pattern, output) is not None


@pytest.fixture
def shell_env(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "quizgen"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m quizgen.cli "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "QUIZGEN_BANK"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "100"
    return env


def test_the_page_runs_as_written(tmp_path, shell_env):
    steps = console_steps(DOC.read_text(encoding="utf-8"))
    assert len(steps) >= 8  # new, validate, topics, make, answers, grade, results, new x2
    work = tmp_path / "work"
    work.mkdir()
    for command, expected in steps:
        done = subprocess.run(["bash", "-c", command], cwd=work, env=shell_env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        assert done.returncode == 0, (command, done.stdout)
        assert matches(expected, done.stdout), (command, done.stdout)


def test_the_toml_excerpt_is_the_scaffold_s_own_text():
    excerpt = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    scaffold = SCAFFOLD.read_text(encoding="utf-8").splitlines()
    for line in excerpt.splitlines():
        code = re.split(r"\s+# ", line)[0].rstrip()
        if not code:
            continue
        pattern = re.escape(code).replace(re.escape("(...)"), r"\(.*\)").replace(
            re.escape("..."), ".*")
        assert any(re.match(pattern, s) for s in scaffold), line


def test_matches_understands_the_ellipses():
    assert matches(["a", "...", "c ... e"], "a\nb\nb\nc d e\n")
    assert matches(["...", "x"], "x\n") and not matches(["a"], "a\nb\n")
