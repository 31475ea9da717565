"""Every QTI 2.1 package validated against the IMS QTI 2.1 XML Schema: items (multi-part
questions among them), the assessmentTest of a quiz made with --variants, and the manifest
(IMS Content Packaging 1.1).

The schema set (``qtiv2p1/imsqti_v2p1.xsd`` with its imports: ``w3/xml.xsd``,
``w3/XInclude.xsd``, ``w3/mathml2/``, ``apipv1p0/``; and ``imscp_v1p1.xsd``) is not in this
repository and is on no package registry this project can reach (PyPI, npm, Debian). The
published files are mirrored, with their imports pointed at local copies, in the public
repository oat-sa/qti-sdk (``src/qtism/data/storage/xml/schemes``); copy that folder to
``tests/validators/qti-schemas/`` (git-ignored) or name it in ``QUIZGEN_QTI_SCHEMAS``. Without it
these tests skip and say why (see consumers.qti_schemas).
"""

from __future__ import annotations

import copy
import zipfile
from dataclasses import replace

import pytest
from consumers import SEEDS, qti_schemas
from multipart_quiz import multipart_quiz

from quizgen.export import export
from quizgen.lms_variants import add_variants

pytestmark = pytest.mark.xdist_group("qti-schema")

MODES = (("en", "numerical", "choice"), ("zh", "choice", "point"))


@pytest.fixture(scope="module")
def schemas():
    from lxml import etree

    root = qti_schemas()
    return (etree.XMLSchema(etree.parse(str(root / "qtiv2p1" / "imsqti_v2p1.xsd"))),
            etree.XMLSchema(etree.parse(str(root / "imscp_v1p1.xsd"))))


@pytest.fixture(scope="module")
def packages(big_quizzes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qti")
    made = {}
    for seed in SEEDS:
        quiz = copy.deepcopy(big_quizzes[seed])
        for variants, source in ((1, quiz), (3, add_variants(quiz, 3))):
            for lang, numeric, expression in MODES:
                name = f"qti-{seed}-{variants}v-{lang}-{numeric}-{expression}.zip"
                made[name] = export(source, "qti", folder / name, lang=lang, numeric=numeric,
                                    expression=expression)
    # multi-part questions: one item with an interaction per part; with a second variant of
    # a slot, the test selects one of the two items
    parts = multipart_quiz()
    second = replace(parts.questions[1], id="q2.v2")
    for variants, source in ((1, parts), (2, replace(parts, variants={"q2": [second]}))):
        for lang, numeric, expression in MODES:
            name = f"qti-parts-{variants}v-{lang}-{numeric}-{expression}.zip"
            made[name] = export(source, "qti", folder / name, lang=lang, numeric=numeric,
                                expression=expression)
    return made


def invalid_documents(path, schemas) -> list[str]:
    from lxml import etree

    qti, cp = schemas
    found = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            schema = cp if name == "imsmanifest.xml" else qti
            if not schema.validate(etree.fromstring(package.read(name))):
                found += [f"{path.name} {name} line {e.line}: {e.message}"
                          for e in list(schema.error_log)[:3]]
    return found


def test_every_item_test_and_manifest_is_valid(packages, schemas):
    found = [e for path in packages.values() for e in invalid_documents(path, schemas)]
    assert not found, "\n".join(found[:30])
    # the variant packages hold a test: it was validated too
    with zipfile.ZipFile(next(p for n, p in packages.items() if "-3v-" in n)) as package:
        assert "assessment.xml" in package.namelist()


def test_the_schema_check_catches_an_invalid_item(packages, schemas, tmp_path):
    """The same check on a broken package: an item without its required identifier, and a
    section without its title, must fail."""
    path = next(p for n, p in packages.items() if "-3v-" in n)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            text = source.read(name).decode("utf-8")
            if name == "assessment.xml":
                text = text.replace(' title="q1"', "", 1)
            elif name.startswith("items/"):
                text = text.replace(' identifier="item', ' id="item', 1)
            target.writestr(name, text)
    found = invalid_documents(broken, schemas)
    assert any("assessment.xml" in f for f in found)
    assert any("items/" in f for f in found)
