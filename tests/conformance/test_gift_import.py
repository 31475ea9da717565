"""Every GIFT export read back by two independent readers, question by question.

The quizzes: every family of the bank (seeds 5 and 6), plus one question written to break a
careless escaper, exported in English and Chinese with both ``--numeric`` modes and both
``--expression`` modes. The readers: gift-pegjs (npm; the grammar of the GIFT editors and the
VS Code extension) and Moodle's importer transcribed in ``moodle_gift.py``. Both must return,
for every question, its text, answers, grades, tolerances and feedback as quiz.json has them.
"""

from __future__ import annotations

import copy
import html
import itertools
import re
from dataclasses import replace

import pytest
from consumers import SEEDS
from gift_roundtrip import Read, from_moodle, from_pegjs, part_units, problems
from hypothesis import given
from hypothesis import strategies as st
from moodle_gift import (
    FORMAT_HTML,
    FORMAT_MOODLE,
    FORMAT_PLAIN,
    GiftImportError,
    escapedchar_post,
    escapedchar_pre,
    import_gift,
    readquestion,
)

from quizgen.export import export
from quizgen.export.templating import gift_escape, num
from quizgen.model import Mistake, Question

# one worker runs the whole module: its exports are made once (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("gift-import")

MODES = list(itertools.product(SEEDS, ("en", "zh"), ("numerical", "choice"), ("choice", "point")))

# Everything GIFT gives a meaning to, in text, in formulas and in feedback: a set in braces,
# a LaTeX line break, \#, \:, a colon after a word, a line that looks like a comment, HTML
# characters, Moodle's own placeholder text, a percent sign, a newline inside a formula.
HOSTILE = Question(
    id="hostile#1", family="test.hostile", kind="number", params={},
    prompt={lang: (
        "Cost {a} = #1 ~ 2: 50% of \\ back\\slash, // not a comment, <b>not bold</b> & &&092; "
        r"$S = \{2, 3, 5\}$, $\begin{aligned} a &= 1 \\ b &\#= 2 \end{aligned}$, $a\:b$ and"
        " $$x = \\frac{1}{2}\n+ y$$ then \\$5 -> done")
        for lang in ("en", "zh")},
    answer=-2.5e-05, answer_tex=r"-2.5 \times 10^{-5}",
    tolerance={"rtol": 1e-4, "atol": 1e-12}, points=1,
    solution={lang: ["0", r"Set $\{x : x \ge 0\}$ ~ =#{}: \ ends here \\", "####"]
              for lang in ("en", "zh")},
    mistakes=[Mistake("braces", 1.0e16, {lang: r"Not $\{1\}$ #2 ~ = :" for lang in ("en", "zh")}),
              Mistake("tiny", 1.5e-300, {lang: "Far too small." for lang in ("en", "zh")})],
)
# graded to significant figures: the LMS gets the rounded answer, half a unit of its last figure
SIGFIGS = replace(HOSTILE, id="hostile#2", answer=0.061234, answer_tex="0.061234",
                  tolerance={"sigfigs": 3})


@pytest.fixture(scope="module")
def gift_files(big_quizzes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gift")
    files = {}
    for seed, lang, numeric, expression in MODES:
        quiz = copy.deepcopy(big_quizzes[seed])
        quiz.questions += copy.deepcopy([HOSTILE, SIGFIGS])
        path = folder / f"seed{seed}-{lang}-{numeric}-{expression}.gift.txt"
        export(quiz, "gift", path, lang=lang, numeric=numeric, expression=expression)
        files[(seed, lang, numeric, expression)] = (quiz, path)
    return files


def expected(quiz, lang: str, numeric: str, expression: str) -> list[tuple]:
    """(name, question, numeric mode, expression mode) of every GIFT question the export must
    hold: a question, or one per part of a multi-part question (gift_roundtrip.part_units)."""
    want = []
    for number, q in enumerate(quiz.questions, start=1):
        want += (part_units(q, number, lang, numeric, expression) if q.parts
                 else [(None, q, numeric, expression)])
    return want


def compare(files, read_file) -> tuple[int, list[str]]:
    """(questions read, problems) over every export; ``files`` {(seed or None, lang, numeric,
    expression): (quiz, path)}, the category checked where a seed is given."""
    count, found = 0, []
    for (seed, lang, numeric, expression), (quiz, path) in files.items():
        where = f"seed {seed} {lang} --numeric {numeric} --expression {expression}"
        category, reads = read_file(path)
        if seed is not None and category != f"$course$/quizgen/all (seed {seed})":
            found.append(f"{where}: category {category!r}")
        want = expected(quiz, lang, numeric, expression)
        if len(reads) != len(want):
            found.append(f"{where}: {len(reads)} questions read, {len(want)} expected")
        for read, (name, q, num_mode, expr_mode) in zip(reads, want):
            count += 1
            number = int(read.name[:2]) if read.name[:2].isdigit() else 0
            found += [f"{where} {q.id} {q.family}: {p}" for p in
                      problems(read, q, number, lang, num_mode, expr_mode, name=name)]
    return count, found


def test_moodle_importer_reads_every_question_back(gift_files):
    def read(path) -> tuple[str, list[Read]]:
        questions = import_gift(path.read_text(encoding="utf-8"))
        assert questions[0].qtype == "category"
        return questions[0].category, [from_moodle(q) for q in questions[1:]]

    count, found = compare(gift_files, read)
    assert count == sum(len(expected(q, *key[1:])) for key, (q, _) in gift_files.items()) > 900
    assert not found, "\n".join(found[:40])


def test_gift_pegjs_reads_every_question_back(gift_files, gift_pegjs):
    results = gift_pegjs([path for _, path in gift_files.values()])

    def read(path) -> tuple[str, list[Read]]:
        result = results[str(path)]
        assert result["ok"], "gift-pegjs: " + "\n".join(
            f"{f['error']} in {f['block'][:120]!r}" for f in result["failed"][:10])
        category, *questions = result["questions"]
        assert category["type"] == "Category"
        return category["title"], [from_pegjs(q) for q in questions]

    count, found = compare(gift_files, read)
    assert count > 900
    assert not found, "\n".join(found[:40])


def test_the_hostile_question_is_written_as_moodle_escapes_it(gift_files):
    text = gift_files[(5, "en", "numerical", "choice")][1].read_text(encoding="utf-8")
    block = text[text.index("hostile#1]"):]
    # the set keeps its escaped braces: \{ -> \\\{ (backslash, then the brace, both escaped)
    assert r"\\(S \= \\\{2, 3, 5\\\}\\)" in block
    assert "#=-0.000025:0.000000002501#" in block  # plain decimals, no exponent
    assert "=%0%10000000000000000:" in block
    # a formula's own line break is written \n, never as a blank line that ends the question
    assert "\\n+ y" in block and "\n\n" not in block[:block.index("}\n")]


# -- the transcription of Moodle's importer, checked on Moodle's own unit tests -----------------
# (question/format/gift/tests/giftformat_test.php: test_import_multichoice, _multi,
# _numerical, _truefalse, _backslash, _pre_content)

def read_one(gift: str):
    return readquestion(gift.split("\n"))


def test_transcription_reads_moodles_multichoice_example():
    q = read_one("// multiple choice with specified feedback for right and wrong answers\n"
                 "::Q2:: What's between orange and green in the spectrum?\n{\n"
                 "    =yellow # right; good!\n    ~red # [html]wrong, it's yellow\n"
                 "    ~[plain]blue # wrong, it's yellow\n}")
    assert (q.name, q.qtype, q.single) == ("Q2", "multichoice", 1)
    assert q.questiontext == "What's between orange and green in the spectrum?"
    assert [(a.text, a.format) for a in q.answer] == [
        ("yellow", FORMAT_MOODLE), ("red", FORMAT_MOODLE), ("blue", FORMAT_PLAIN)]
    assert q.fraction == [1, 0, 0]
    assert [(f.text, f.format) for f in q.feedback] == [
        ("right; good!", FORMAT_MOODLE), ("wrong, it's yellow", FORMAT_HTML),
        ("wrong, it's yellow", FORMAT_MOODLE)]


def test_transcription_reads_moodles_multiple_response_and_numerical_examples():
    q = read_one("::colours:: What's between orange and green in the spectrum?\n{\n"
                 "    ~%50%yellow # right; good!\n    ~%-100%red # [html]wrong\n"
                 "    ~%50%off-beige # right; good!\n    ~%-100%[plain]blue # wrong\n}")
    assert (q.single, q.fraction) == (0, [0.5, -1, 0.5, -1])
    assert [a.text for a in q.answer] == ["yellow", "red", "off-beige", "blue"]
    q = read_one("// math range question\n"
                 "::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}")
    assert (q.qtype, q.answer, q.fraction, q.tolerance) == ("numerical", ["3", "*"], [1, 0],
                                                            ["2", ""])
    assert [f.text for f in q.feedback] == ["", "Completely wrong"]


def test_transcription_reads_moodles_true_false_example():
    q = read_one("// true/false\n::Q1:: 42 is the Absolute Answer to everything.{\n"
                 "FALSE#42 is the Ultimate Answer.#You gave the right answer.}")
    assert (q.qtype, q.correctanswer) == ("truefalse", 0)
    assert q.feedbacktrue.text == "42 is the Ultimate Answer."
    assert q.feedbackfalse.text == "You gave the right answer."


def test_transcription_unescapes_as_moodle_does():
    # MDL-34171: "A \\ B \\\\ C" in the file is "A \ B \\ C" in the question
    q = read_one("// essay\n::double backslash:: A \\\\ B \\\\\\\\ C{}")
    assert (q.qtype, q.questiontext) == ("essay", "A \\ B \\\\ C")
    q = read_one("::Q001::[html]<p>What would running the test method print?</p>\n<pre>\n"
                 "    public void test() \\{\n        method1();\n    \\}\n</pre>\n{}")
    assert q.questiontextformat == FORMAT_HTML
    assert q.questiontext.endswith("public void test() {\n        method1();\n    }\n</pre>")


def test_the_old_escaping_breaks_a_set_on_a_real_import():
    """What the issue found: the set ``\\{2\\}`` written ``\\\\{2\\\\}`` (braces escaped, backslash
    not) turns into a literal backslash and an answer block: a short-answer question "2\\"."""
    old = import_gift("::q::[html]<p>\\(S \\= \\\\{2\\\\}\\)</p>{\n\t=a\n\t~b\n}\n")
    assert (old[0].qtype, old[0].answer) == ("shortanswer", ["2\\"])
    new = import_gift("::q::[html]<p>" + gift_escape(r"\(S = \{2\}\)") + "</p>{\n\t=a\n\t~b\n}\n")
    assert (new[0].qtype, new[0].questiontext) == ("multichoice", r"<p>\(S = \{2\}\)</p>")


def test_an_ungradable_share_is_refused_like_moodle_does():
    with pytest.raises(GiftImportError, match="invalidgrade"):
        import_gift("::q::x{\n\t~%42%a\n\t~%58%b\n}\n")


@given(st.text(max_size=60))
def test_escaped_text_comes_back_whole_and_hides_every_control_character(text):
    escaped_html = html.escape(text, quote=False)  # the writer escapes HTML first: no "&&"
    pre = escapedchar_pre(gift_escape(escaped_html))
    assert not re.search(r"[~=#{}:\n]", pre.replace("\r", ""))  # nothing left to act on
    assert escapedchar_post(pre) == escaped_html.replace("\r", "")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_plain_decimals_that_read_back_exactly(x):
    text = num(x)
    assert re.fullmatch(r"-?\d+(\.\d+)?", text), text  # gift-pegjs's Number rule
    assert float(text) == x


# -- the variant exports (make --variants): a category per slot, each variant read back -----

VARIANT_MODES = (("en", "numerical", "choice"), ("zh", "choice", "point"))


@pytest.fixture(scope="module")
def variant_gift_files(big_quizzes, tmp_path_factory):
    from quizgen.lms_variants import add_variants

    folder = tmp_path_factory.mktemp("gift-variants")
    # GIFT refuses variants of a multi-part question (a random question per part would mix
    # variants; tests/export/test_multipart_export.py): the slots asked in one answer here.
    base = copy.deepcopy(big_quizzes[SEEDS[0]])
    base.questions = [q for q in base.questions if not q.parts]
    quiz = add_variants(base, 3)
    files = {}
    for lang, numeric, expression in VARIANT_MODES:
        path = folder / f"variants-{lang}-{numeric}-{expression}.gift.txt"
        export(quiz, "gift", path, lang=lang, numeric=numeric, expression=expression)
        files[(lang, numeric, expression)] = path
    return quiz, files


def compare_variants(quiz, files, read_file) -> tuple[int, list[str]]:
    """(questions read, problems): one category per slot, ``$course$/<title>/q1``..., holding
    the slot's variants in order, each equal to its variant in quiz.json."""
    from quizgen.export.lms import slot_category
    from quizgen.lms_variants import slot_variants

    count, found = 0, []
    for (lang, numeric, expression), path in files.items():
        where = f"variants {lang} --numeric {numeric} --expression {expression}"
        groups = read_file(path)
        want = [slot_category(quiz, slot.id) for slot in quiz.questions]
        if [category for category, _ in groups] != want:
            found.append(f"{where}: categories {[c for c, _ in groups][:3]}..., want "
                         f"{want[:3]}...")
            continue
        for number, (slot, (_, reads)) in enumerate(zip(quiz.questions, groups), start=1):
            variants = slot_variants(quiz, slot)
            if len(reads) != len(variants):
                found.append(f"{where} {slot.id}: {len(reads)} questions, {len(variants)} "
                             "variants")
            for read, v in zip(reads, variants):
                count += 1
                found += [f"{where} {v.id} {slot.family}: {p}"
                          for p in problems(read, v.question, number, lang, numeric, expression)]
    return count, found


def grouped(items) -> list[tuple[str, list]]:
    groups: list[tuple[str, list]] = []
    for category, read in items:
        if category is not None:
            groups.append((category, []))
        else:
            groups[-1][1].append(read)
    return groups


def test_moodle_importer_reads_every_variant_into_its_category(variant_gift_files):
    quiz, files = variant_gift_files

    def read(path):
        return grouped((q.category, None) if q.qtype == "category" else (None, from_moodle(q))
                       for q in import_gift(path.read_text(encoding="utf-8")))

    count, found = compare_variants(quiz, files, read)
    assert count > 2 * 150
    assert not found, "\n".join(found[:40])


def test_gift_pegjs_reads_every_variant_into_its_category(variant_gift_files, gift_pegjs):
    quiz, files = variant_gift_files
    results = gift_pegjs(list(files.values()))

    def read(path):
        result = results[str(path)]
        assert result["ok"], "gift-pegjs: " + "\n".join(
            f"{f['error']} in {f['block'][:120]!r}" for f in result["failed"][:10])
        return grouped((q["title"], None) if q["type"] == "Category" else (None, from_pegjs(q))
                       for q in result["questions"])

    count, found = compare_variants(quiz, files, read)
    assert count > 2 * 150
    assert not found, "\n".join(found[:40])


# -- multi-part questions: one GIFT question per part, each read back as its part -------------

@pytest.fixture(scope="module")
def multipart_gift_files(tmp_path_factory):
    from multipart_quiz import multipart_quiz

    folder = tmp_path_factory.mktemp("gift-parts")
    quiz = multipart_quiz()
    quiz.questions += copy.deepcopy([HOSTILE])
    files = {}
    for lang, numeric, expression in itertools.product(("en", "zh"), ("numerical", "choice"),
                                                       ("choice", "point")):
        path = folder / f"parts-{lang}-{numeric}-{expression}.gift.txt"
        export(quiz, "gift", path, lang=lang, numeric=numeric, expression=expression)
        files[(lang, numeric, expression)] = path
    return quiz, files


def compare_parts(quiz, files, read_file) -> tuple[int, list[str]]:
    return compare({(None, *key): (quiz, path) for key, path in files.items()}, read_file)


def test_both_readers_read_every_part_back_as_its_own_question(multipart_gift_files,
                                                               gift_pegjs):
    quiz, files = multipart_gift_files
    results = gift_pegjs(list(files.values()))

    def pegjs(path):
        result = results[str(path)]
        assert result["ok"], "gift-pegjs: " + "\n".join(
            f"{f['error']} in {f['block'][:120]!r}" for f in result["failed"][:10])
        category, *questions = result["questions"]
        return category["title"], [from_pegjs(q) for q in questions]

    def moodle(path):
        questions = import_gift(path.read_text(encoding="utf-8"))
        return questions[0].category, [from_moodle(q) for q in questions[1:]]

    for read in (moodle, pegjs):
        count, found = compare_parts(quiz, files, read)
        assert count == 8 * (5 + 5 + 3 + 1)  # 8 files; q2's vector part is two questions
        assert not found, "\n".join(found[:40])
