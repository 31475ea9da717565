"""Python families in a course bank: the instructor's own modules, imported like a plugin.

A bank's ``.py`` files are the instructor's code, trusted as a plugin is: they are imported, not
sandboxed. What this module adds is clear failure. The module is imported under a private
package per bank (``from ._helpers import f`` works between files of one topic folder), checked
for the names a family defines, and wrapped so that an exception raised by its code names the
file, line and function instead of surfacing as quizgen's own traceback.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import types
from pathlib import Path

from .errors import BankError, bank_frame, one_line

REQUIRED = ("ID", "TOPIC", "TITLE", "KIND", "sample", "prompt", "answer", "answer_tex",
            "closed_form", "solution", "mistakes")
HOOKS = ("sample", "prompt", "answer", "answer_tex", "closed_form", "solution", "mistakes",
         "kind", "tolerance", "variables", "choices", "oracle", "evaluate")
KINDS = ("number", "vector", "expression", "choice")


class GuardedModule:
    """A family module whose hooks raise BankError naming the instructor's file and line."""

    def __init__(self, module: types.ModuleType, root: Path, shown_root: str, origin: dict):
        self._module, self._root, self._shown_root = module, root, shown_root
        self.ORIGIN = origin

    def __repr__(self) -> str:
        return f"<course family {self._module.ID} from {self._module.__file__}>"

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if name not in HOOKS or not callable(value):
            return value

        @functools.wraps(value)
        def guarded(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except Exception as e:
                if name == "oracle" and isinstance(e, ModuleNotFoundError):
                    raise  # validate skips an oracle whose library is absent
                raise self._error(name) from None

        return guarded

    def _error(self, hook: str) -> BankError:
        error = sys.exc_info()[1]
        own = self._shown(Path(self._module.__file__))
        frame = bank_frame(error, self._root)
        if frame is None:  # e.g. called with the wrong arguments
            return BankError(f"{own}: {hook}(): {one_line(error)}")
        path, line, function = frame
        where = f"line {line}, in {function}: {one_line(error)}"
        if self._shown(path) == own:
            return BankError(f"{own}: {where}")
        return BankError(f"{own}: {hook}(): {self._shown(path)}: {where}")

    def _shown(self, path: Path) -> str:
        return Path(self._shown_root, path.relative_to(self._root)).as_posix()


def _package(root: Path) -> str:
    """A private package for one bank folder, so its modules can import each other."""
    name = "_quizgen_bank_" + hashlib.sha256(str(root).encode()).hexdigest()[:12]
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(root)]
        sys.modules[name] = package
    return name


def _topic_package(root: Path, topic: str) -> str:
    name = f"{_package(root)}.{topic}"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(root / topic)]
        package.__package__ = name
        sys.modules[name] = package
    return name


def load(path: Path, root: Path, shown_root: str, origin: dict):
    """(GuardedModule or None, problems) for one ``<topic>/<family>.py`` of a bank."""
    shown = Path(shown_root, path.relative_to(root)).as_posix()
    topic = path.parent.name
    name = f"{_topic_package(root, topic)}.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        del sys.modules[name]
        return None, [f"{shown}: line {e.lineno}: SyntaxError: {e.msg}"]
    except (Exception, SystemExit) as e:  # an import-time sys.exit is the file's fault too
        del sys.modules[name]
        frame = bank_frame(e, root)
        line = f"line {frame[1]}: " if frame and frame[0] == path else ""
        return None, [f"{shown}: {line}on import: {one_line(e)}"]
    problems = _interface_problems(module, shown, topic)
    if problems:
        return None, problems
    return GuardedModule(module, root, shown_root, origin), []


def _interface_problems(module: types.ModuleType, shown: str, topic: str) -> list[str]:
    missing = [n for n in REQUIRED if not hasattr(module, n)]
    if missing:
        return [f"{shown}: missing {', '.join(missing)} (a family module defines "
                f"{', '.join(REQUIRED)}; see docs/authoring.md)"]
    problems = []
    not_callable = [n for n in REQUIRED[4:] if not callable(getattr(module, n))]
    if not_callable:
        problems.append(f"{shown}: {', '.join(not_callable)} must be functions")
    if not (isinstance(module.ID, str) and module.ID.strip() and len(module.ID.split()) == 1):
        problems.append(f"{shown}: ID must be a text without spaces, e.g. \"{topic}.my_family\"")
    if module.TOPIC != topic:
        problems.append(f"{shown}: TOPIC is {module.TOPIC!r}, but the file is in the folder "
                        f"{topic!r} (a family lives in its topic's folder)")
    if not (isinstance(module.TITLE, dict) and isinstance(module.TITLE.get("en"), str)):
        problems.append(f"{shown}: TITLE must be a dict with 'en' (and 'zh')")
    if module.KIND not in KINDS:
        problems.append(f"{shown}: KIND is {module.KIND!r}; one of {', '.join(KINDS)}")
    return problems
