"""Finding a Chinese font for the PDF writer.

Typst ships Latin and math fonts but no CJK font, and a missing glyph comes out as an empty box
without any warning. So before a PDF with Chinese text is compiled, :func:`find_cjk_font` looks
for a font that really covers Chinese: in ``--font-dir`` when given, otherwise in the usual
system font folders of Linux, macOS and Windows. "Covers" is read from the font's own character
map (``cmap`` table), not guessed from its name. No font found is a :class:`FontNotFoundError`
whose message says how to install one.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typst

# Characters every zh sheet prints (题 of 第 1 题, 答 of 答案, 分 of points).
PROBE = "中文题答分"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Preferred families, best first: serif faces match the Latin body text of the exam.
PREFERRED = (
    "Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "Songti SC", "STSong",
    "SimSun", "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC",
    "Hiragino Sans GB", "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
)  # fmt: skip
# File names of CJK fonts, lower case, to avoid reading every font on the system.
CJK_FILE_HINTS = (
    "cjk", "sourcehan", "source-han", "han_sans", "han_serif", "pingfang", "songti", "stsong",
    "stheiti", "hiragino sans gb", "simsun", "simhei", "msyh", "msjh", "deng", "wqy", "wenquanyi",
    "fangsong", "kaiti", "simkai", "lxgw", "arphic", "uming", "ukai", "droidsansfallback",
)  # fmt: skip

INSTALL_HINT = (
    "install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install "
    "google-noto-serif-cjk-fonts; Arch: sudo pacman -S noto-fonts-cjk; macOS and Windows ship "
    "one) or pass --font-dir DIR, a folder holding a .ttf/.otf/.ttc font that covers Chinese "
    "such as Noto Serif CJK SC"
)


class FontNotFoundError(RuntimeError):
    """No font covering Chinese was found for an export that needs one."""


@dataclass(frozen=True)
class CjkFont:
    family: str  # the name Typst knows it by, e.g. "Noto Serif CJK SC"
    folder: str  # a folder to hand Typst (it loads font folders, not single files)


def system_font_folders() -> list[Path]:
    """Where Linux, macOS and Windows keep fonts (those that exist)."""
    home = Path.home()
    if sys.platform == "darwin":
        folders = [
            Path("/System/Library/Fonts"),
            Path("/System/Library/AssetsV2"),  # PingFang and Songti on recent macOS
            Path("/Library/Fonts"),
            home / "Library/Fonts",
        ]
    elif sys.platform == "win32":
        windir = Path(os.environ.get("WINDIR", r"C:\Windows"))
        folders = [windir / "Fonts"]
        if local := os.environ.get("LOCALAPPDATA"):
            folders.append(Path(local) / "Microsoft/Windows/Fonts")
    else:
        data_home = Path(os.environ.get("XDG_DATA_HOME", home / ".local/share"))
        folders = [
            Path("/usr/share/fonts"),
            Path("/usr/local/share/fonts"),
            data_home / "fonts",
            home / ".fonts",
        ]
    return [f for f in folders if f.is_dir()]


def find_cjk_font(font_dir: str | Path | None = None) -> CjkFont:
    """A font covering Chinese: from ``font_dir`` if given (and only there), else the system.

    Raises :class:`FontNotFoundError` naming where it looked and how to install one.
    """
    return _find_cjk_font(str(Path(font_dir).resolve()) if font_dir is not None else None)


@cache
def _find_cjk_font(font_dir: str | None) -> CjkFont:
    if font_dir is not None:
        if not Path(font_dir).is_dir():
            raise FontNotFoundError(f"--font-dir {font_dir}: no such folder")
        folders = [Path(font_dir)]
        candidates = sorted(_font_files(Path(font_dir)))
        where = f"in --font-dir {font_dir}"
    else:
        roots = system_font_folders()
        candidates = sorted(
            p for root in roots for p in _font_files(root) if _looks_cjk(p.name.lower())
        )
        folders = sorted({p.parent for p in candidates})
        where = "in " + (", ".join(map(str, roots)) or "no system font folder")
    faces = [
        info
        for folder in folders
        for info in typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(folder)]
        ).fonts()
        if info.path and Path(info.path) in candidates
    ]
    # best family first; reading a cmap costs a few milliseconds, so stop at the first that fits
    for info in sorted(faces, key=lambda i: (_rank(i.family), i.family, i.path, i.index)):
        if covers(info.path, info.index, PROBE):
            return CjkFont(info.family, str(Path(info.path).parent))
    raise FontNotFoundError(f"no font covering Chinese found {where}: {INSTALL_HINT}")


def _rank(family: str) -> int:
    return PREFERRED.index(family) if family in PREFERRED else len(PREFERRED)


def _looks_cjk(name: str) -> bool:
    return any(hint in name for hint in CJK_FILE_HINTS)


def _font_files(root: Path) -> list[Path]:
    try:
        return [
            p
            for p in root.rglob("*")
            if p.suffix.lower() in FONT_SUFFIXES and p.is_file() and os.access(p, os.R_OK)
        ]
    except OSError:
        return []


# -- reading a font's character map -----------------------------------------------------------


def covers(path: str | Path, index: int, text: str) -> bool:
    """Whether font number ``index`` of the file maps every character of ``text`` to a glyph.

    Reads the OpenType ``cmap`` table (format 4 or 12 subtables); a file that cannot be read
    covers nothing.
    """
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            ranges = _cmap_ranges(data, index)
    except (OSError, struct.error, ValueError):
        return False
    return all(any(lo <= ord(ch) <= hi for lo, hi in ranges) for ch in text)


def _cmap_ranges(data: bytes | mmap.mmap, index: int) -> list[tuple[int, int]]:
    offset = 0
    if data[:4] == b"ttcf":  # a collection: pick the font's table directory
        (count,) = struct.unpack_from(">I", data, 8)
        if index >= count:
            raise ValueError("font index out of range")
        (offset,) = struct.unpack_from(">I", data, 12 + 4 * index)
    (tables,) = struct.unpack_from(">H", data, offset + 4)
    cmap = None
    for k in range(tables):
        tag, _, table_offset, _ = struct.unpack_from(">4sIII", data, offset + 12 + 16 * k)
        if tag == b"cmap":
            cmap = table_offset
    if cmap is None:
        raise ValueError("no cmap table")
    (subtables,) = struct.unpack_from(">H", data, cmap + 2)
    ranges: list[tuple[int, int]] = []
    for k in range(subtables):
        platform, encoding, sub = struct.unpack_from(">HHI", data, cmap + 4 + 8 * k)
        if (platform, encoding) not in ((3, 1), (3, 10), (0, 3), (0, 4), (0, 6)):
            continue  # not a Unicode map
        start = cmap + sub
        (fmt,) = struct.unpack_from(">H", data, start)
        if fmt == 4:
            (seg_x2,) = struct.unpack_from(">H", data, start + 6)
            n = seg_x2 // 2
            ends = struct.unpack_from(f">{n}H", data, start + 14)
            starts = struct.unpack_from(f">{n}H", data, start + 16 + seg_x2)
            ranges += [(lo, hi) for lo, hi in zip(starts, ends) if lo != 0xFFFF]
        elif fmt == 12:
            (groups,) = struct.unpack_from(">I", data, start + 12)
            for g in range(groups):
                lo, hi, _ = struct.unpack_from(">III", data, start + 16 + 12 * g)
                ranges.append((lo, hi))
    return ranges
