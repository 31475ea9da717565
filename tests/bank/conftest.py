"""A course bank in a tmp folder, and a clean built-in bank after every test."""

import pytest
from bank_helpers import LABEL_SMOOTHING, write

from question_bank import use_course_families


@pytest.fixture
def bank(tmp_path):
    """A bank folder holding the issue's label-smoothing family; add files with write()."""
    return write(tmp_path / "ml101", {"course/label_smoothing.toml": LABEL_SMOOTHING})


@pytest.fixture(autouse=True)
def builtins_only():
    yield
    use_course_families(())
