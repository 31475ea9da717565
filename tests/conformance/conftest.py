"""Fixtures of the conformance tests: each independent consumer (see consumers.py), ready to
run or skipped / failed with the reason, and the quizzes they are tried on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from consumers import INSTALL, NODE_MODULES, SEEDS, VALIDATORS, missing


@pytest.fixture(scope="session")
def gift_pegjs() -> Callable[[list[Path]], dict]:
    """gift_pegjs(files) -> {str(file): {"ok": bool, "questions"|"error"|"failed": ...}}."""
    node = shutil.which("node")
    if node is None:
        missing("no Node.js to run gift-pegjs (Debian: apt-get install nodejs npm)")
    if not (NODE_MODULES / "gift-pegjs").is_dir():
        missing(f"gift-pegjs is not installed: {INSTALL}")

    def parse(files: list[Path]) -> dict:
        done = subprocess.run([node, str(VALIDATORS / "gift_parse.js"), *map(str, files)],
                              capture_output=True, text=True, timeout=120, check=True,
                              env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
        return json.loads(done.stdout)

    return parse


@pytest.fixture(scope="session")
def nu_checker() -> Callable[[list[Path]], dict[str, list[dict]]]:
    """nu_checker(files) -> {file name: [error messages]}: one Java start for all the files."""
    java = shutil.which("java")
    jar = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if java is None:
        missing("no Java to run the Nu Html Checker (Debian: apt-get install "
                "default-jre-headless)")
    if not jar.is_file():
        missing(f"the Nu Html Checker (vnu-jar) is not installed: {INSTALL}")

    def check(files: list[Path]) -> dict[str, list[dict]]:
        done = subprocess.run(
            [java, "-Xss4m", "-jar", str(jar), "--format", "json", "--stdout",
             "--exit-zero-always", "--also-check-css", *map(str, files)],
            capture_output=True, text=True, timeout=300)
        messages = json.loads(done.stdout)["messages"]
        found: dict[str, list[dict]] = {Path(f).name: [] for f in files}
        for m in messages:
            if m["type"] in ("error", "non-document-error"):
                found.setdefault(Path(m.get("url", "?").removeprefix("file:")).name, []).append(m)
        return found

    return check


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle, to inject into a page."""
    path = NODE_MODULES / "axe-core" / "axe.min.js"
    if not path.is_file():
        missing(f"axe-core is not installed: {INSTALL}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def chromium_browser():
    """Headless system Chromium through Playwright (no browser download). Per module: a
    Playwright left running would keep the worker's other browser tests from starting theirs."""
    from_env = os.environ.get("QUIZGEN_CHROMIUM")
    binary = from_env or next(filter(None, map(shutil.which, (
        "chromium", "chromium-browser", "google-chrome"))), None)
    if binary is None:
        missing("no Chromium on this machine (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def big_quizzes():
    """``make --topic all --count 60`` for seeds 5 and 6: every family of the bank once each
    (the count is the number of families), computed, conceptual and converted kinds alike."""
    from question_bank import families
    from quizgen.sampling import make_quiz

    return {seed: make_quiz("all", count=len(families()), seed=seed) for seed in SEEDS}
