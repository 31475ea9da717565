"""Independent consumers of quizgen's output, and the quizzes they are tried on.

The consumers are programs nobody here wrote: gift-pegjs (GIFT), the Nu Html Checker
(``vnu.jar``, run with the system's Java) and axe-core (WCAG 2.1 A/AA rules, injected into the
headless Chromium the browser tests use). ``.ci/run`` installs them (npm packages into
``tests/validators/node_modules``, Java from Debian) and sets ``QUIZGEN_REQUIRE_VALIDATORS=1``
(``CI=true`` counts too): there a missing tool fails the test; on a developer's machine
without it the test skips and says how to install it. ``QUIZGEN_VALIDATORS`` names another
folder that holds their ``node_modules``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
VALIDATORS = Path(os.environ.get("QUIZGEN_VALIDATORS") or TESTS / "validators")
NODE_MODULES = VALIDATORS / "node_modules"
INSTALL = "npm ci --prefix tests/validators --ignore-scripts"
ARTIFACTS = TESTS / "artifacts"
SEEDS = (5, 6)


def missing(reason: str) -> None:
    """Skip on a developer's machine; fail where the tools are required (CI)."""
    if os.environ.get("QUIZGEN_REQUIRE_VALIDATORS") == "1" or os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (QUIZGEN_REQUIRE_VALIDATORS=1: CI must have every validator)",
                    pytrace=False)
    pytest.skip(reason)


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


@pytest.fixture(scope="session")
def chromium_browser():
    """Headless system Chromium through Playwright (no browser download)."""
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


# WCAG 2.0 and 2.1, levels A and AA: the rules the issue asks for, nothing "best practice".
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page, axe_source: str) -> list[dict]:
    """axe-core's violations on the page as it is now (the context must bypass CSP)."""
    script = page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", AXE_TAGS)
    script.evaluate("element => element.remove()")  # leave the page as it was
    return result["violations"]


def describe_axe(violations: list[dict]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:3])
            for v in violations]


def describe_nu(messages: list[dict]) -> list[str]:
    return [f"line {m.get('lastLine', '?')}: {m['message']} [{m.get('extract', '').strip()[:80]}]"
            for m in messages]


@pytest.fixture(scope="session")
def big_quizzes():
    """``make --topic all --count 60`` for seeds 5 and 6: every family of the bank once each
    (the count is the number of families), computed, conceptual and converted kinds alike."""
    from question_bank import families
    from quizgen.sampling import make_quiz

    return {seed: make_quiz("all", count=len(families()), seed=seed) for seed in SEEDS}
