"""The Jinja2 environment every writer renders with, loading templates from ``templates/``.

The templates live at the repository root and ship in the wheel as the package
``quizgen.templates`` (see pyproject.toml's package-dir mapping), so an installed quizgen finds
them with importlib.resources, zipped or not. Run from a source checkout without installing
(``PYTHONPATH=.``) that package does not exist, and the folder beside ``quizgen/`` is used.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# HTML and XML templates (and their partials) escape every value; other formats (Typst,
# Markdown, GIFT) escape with their own filters.
ESCAPED_EXTENSIONS = ("html.j2", "xml.j2")


def template_root() -> Traversable:
    try:
        return importlib.resources.files("quizgen.templates")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "templates"


@cache
def environment() -> jinja2.Environment:
    root = template_root()

    def load(name: str) -> tuple[str, None, object] | None:
        resource = root.joinpath(name)
        if not resource.is_file():
            return None
        # Templates are package data: they do not change while the process runs.
        return resource.read_text(encoding="utf-8"), None, lambda: True

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=jinja2.select_autoescape(enabled_extensions=ESCAPED_EXTENSIONS, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
