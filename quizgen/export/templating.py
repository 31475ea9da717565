"""The Jinja2 environment every writer renders with, loading templates from ``templates/``.

The templates live at the repository root and ship in the wheel as the package
``quizgen.templates`` (see pyproject.toml's package-dir mapping), so an installed quizgen finds
them with importlib.resources, zipped or not. Run from a source checkout without installing
(``PYTHONPATH=.``) that package does not exist, and the folder beside ``quizgen/`` is used.
"""

from __future__ import annotations

import html
import importlib.resources
import math
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

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

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=jinja2.select_autoescape(enabled_extensions=ESCAPED_EXTENSIONS, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        typst_str=typst_str,
        nl2br=nl2br,
        gift_escape=gift_escape,
        md_text=md_text,
        fraction=fraction,
        num=num,
    )
    return env


def nl2br(text: str) -> Markup:
    """Plain text as (X)HTML: escaped, line breaks kept as ``<br/>``."""
    # text content, never an attribute: quotes stay quotes (GIFT would have to escape &#39;)
    lines = str(text).split("\n")
    return Markup("<br/>").join(Markup(html.escape(line, quote=False)) for line in lines)


# What Moodle's own GIFT exporter escapes (qformat_gift::repchar). The backslash is escaped
# too, so a backslash the text already has (every LaTeX command, ``\{``, ``\\``) stays a
# backslash on import instead of escaping the character after it.
_GIFT_ESCAPES = str.maketrans({
    "\\": "\\\\", "#": "\\#", "=": "\\=", "~": "\\~", "{": "\\{", "}": "\\}", ":": "\\:",
    "\n": "\\n", "\r": "",
})


def gift_escape(text: str) -> str:
    """Text for a GIFT file, escaped the way Moodle's importer unescapes it
    (``qformat_gift::escapedchar_pre``): ``\\`` → ``\\\\``, each of ``# = ~ { } :`` →
    backslash + character, a line break → ``\\n`` (a blank line would end the question)."""
    return str(text).translate(_GIFT_ESCAPES)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$])")


def md_text(text: str) -> str:
    """Plain text for Markdown: characters that would start markup (or math, ``$``) escaped;
    a line break kept as a hard break."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def fraction(percent: float) -> str:
    """A grade share as Moodle and GIFT write it: 100, 50, 33.33333, -50."""
    return f"{percent:.5f}".rstrip("0").rstrip(".")


def typst_str(text: object, code: bool = False) -> str:
    """Plain text for a Typst template, as a string literal: no character of it can be read as
    markup (``*``, ``_``, ``#``, ``$``, ``@``, ``//`` ...). With ``code`` the bare literal, for a
    function argument; otherwise ``#"...";`` for running text (the ``;`` ends the expression, so
    a ``.`` after it stays a full stop)."""
    literal = '"' + (
        str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\t", " ")
    ) + '"'
    return literal if code else f"#{literal};"


def num(value: float) -> str:
    """A number as LMS files take it: a plain decimal with the digits of the shortest repr,
    so it reads back as the same float (``5e-05`` → ``0.00005``, ``1e+16`` →
    ``10000000000000000``). No exponent: Moodle reads one, but GIFT editors and parsers
    (gift-pegjs) and many forms accept only plain decimals."""
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"an LMS file cannot hold the number {x!r}")
    return format(Decimal(repr(x)), "f")
