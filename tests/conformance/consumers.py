"""Where the independent consumers of quizgen's output are, and how their findings are read.

The consumers are programs nobody here wrote: gift-pegjs (GIFT), the Nu Html Checker
(``vnu.jar``, run with the system's Java) and axe-core (WCAG 2.1 A/AA rules, injected into the
headless Chromium the browser tests use). ``.ci/run`` installs them (npm packages into
``tests/validators/node_modules``, Java from Debian) and sets ``QUIZGEN_REQUIRE_VALIDATORS=1``
(``CI=true`` counts too): there a missing tool fails the test; on a developer's machine
without it the test skips and says how to install it. ``QUIZGEN_VALIDATORS`` names another
folder that holds their ``node_modules``.

(A module of its own, not conftest.py: ``from conftest import`` would find whichever
conftest.py another test folder put on sys.path first.)
"""

from __future__ import annotations

import os
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


# WCAG 2.0 and 2.1 at levels A and AA (axe's "best-practice" rules are not part of WCAG).
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
