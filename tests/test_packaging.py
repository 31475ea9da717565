"""What a non-editable `pip install .` ships: every package folder, and the data files."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_folder_is_listed_in_pyproject():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("quizgen", "reference", "question_bank")
        for init in (ROOT / top).rglob("__init__.py")
    }
    listed = set(CONFIG["packages"]) - {"quizgen.templates"}
    assert found == listed, f"missing from pyproject: {found - listed}; stale: {listed - found}"


def test_templates_and_concept_files_ship_as_package_data():
    assert CONFIG["package-dir"]["quizgen.templates"] == "templates"
    data = CONFIG["package-data"]
    shipped = {p.suffix for p in (ROOT / "templates").iterdir() if p.name != "__init__.py"}
    patterns = {pattern.removeprefix("*") for pattern in data["quizgen.templates"]}
    assert shipped <= patterns, f"template files not shipped: {shipped - patterns}"
    assert "*.toml" in data["question_bank.concepts"]
