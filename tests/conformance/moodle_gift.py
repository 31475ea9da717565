"""Moodle's GIFT importer, transcribed rule by rule into Python for the tests.

Sources (moodle/moodle): ``question/format.php`` (``qformat_default::readdata``,
``readquestions``, the grade check of ``importprocess``), ``question/format/gift/format.php``
(``qformat_gift::readquestion``, ``escapedchar_pre``/``escapedchar_post``, ``commentparser``,
``split_truefalse_comment``, ``answerweightparser``, ``parse_text_with_format``,
``extract_idnumber_and_tags_from_comment``) and ``question/engine/bank.php``
(``fraction_options_full``). PHP's string functions are mirrored where their edge cases matter
(``trim`` strips only ASCII blanks, ``empty("0")`` is true, ``substr``/``strpos`` offsets,
``is_numeric``), including Moodle's quirks: the first ``}`` anywhere ends the answers, and a
non-numeric numerical answer silently becomes ``*``. Only the parsing is transcribed; nothing
is stored. What Moodle reports with ``$this->error()`` raises :class:`GiftImportError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN = 0, 1, 2, 4
_FORMATS = {"moodle": FORMAT_MOODLE, "html": FORMAT_HTML, "plain": FORMAT_PLAIN,
            "markdown": FORMAT_MARKDOWN}
_ESCAPED = ["\\:", "\\#", "\\=", "\\{", "\\}", "\\~", "\\n"]
_PLACEHOLDERS = ["&&058;", "&&035;", "&&061;", "&&123;", "&&125;", "&&126;", "&&010"]
_CHARACTERS = [":", "#", "=", "{", "}", "~", "\n"]
_WEIGHT = re.compile(r"^%\-*([0-9]{1,2})\.?([0-9]*)%")
# question_bank::fraction_options_full(): the grades an import accepts ("error" mode).
_RAW_FRACTIONS = (0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3,
                  0.25, 0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05)
FRACTION_OPTIONS = (0.0, 1.0, -1.0, *_RAW_FRACTIONS, *(-f for f in _RAW_FRACTIONS))
_PHP_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")


class GiftImportError(ValueError):
    """What Moodle's importer reports as an error (the question is not imported)."""


@dataclass
class Text:
    text: str
    format: int


@dataclass
class MoodleQuestion:
    qtype: str
    name: str | None = None
    category: str | None = None
    questiontext: str = ""
    questiontextformat: int = FORMAT_MOODLE
    generalfeedback: str = ""
    generalfeedbackformat: int = FORMAT_MOODLE
    idnumber: str = ""
    tags: list[str] = field(default_factory=list)
    single: int | None = None  # multichoice
    answer: list = field(default_factory=list)  # Text (multichoice) or str (numerical)
    fraction: list[float] = field(default_factory=list)
    feedback: list[Text] = field(default_factory=list)
    tolerance: list = field(default_factory=list)  # numerical: str, or 0 / '' as PHP has them
    correctanswer: int | None = None  # truefalse
    feedbacktrue: Text | None = None
    feedbackfalse: Text | None = None


# -- PHP's string functions, where Python's differ ---------------------------------------------

def php_trim(s: str) -> str:
    return s.strip(" \t\n\r\0\x0b")


def php_empty(s: str) -> bool:
    return s == "" or s == "0"


def php_substr(s: str, start: int, length: int | None = None) -> str:
    n = len(s)
    if start < 0:
        start = max(n + start, 0)
    if start > n:
        return ""
    if length is None:
        return s[start:]
    if length < 0:
        end = n + length
        return s[start:end] if end > start else ""
    return s[start:start + length]


def php_strpos(s: str, needle: str) -> int | None:
    i = s.find(needle)
    return None if i < 0 else i


def php_replace(s: str, search: list[str], replace: list[str]) -> str:
    """str_replace with arrays: each pair in turn, over the whole string."""
    for a, b in zip(search, replace):
        s = s.replace(a, b)
    return s


def is_numeric(value) -> bool:
    if isinstance(value, (int, float)):
        return True
    return bool(_PHP_NUMERIC.match(value))


# -- qformat_gift ----------------------------------------------------------------------------

def escapedchar_pre(s: str) -> str:
    s = s.replace("\\\\", "&&092;")
    s = php_replace(s, _ESCAPED, _PLACEHOLDERS)
    return s.replace("&&092;", "\\")


def escapedchar_post(s: str) -> str:
    return php_replace(s, _PLACEHOLDERS, _CHARACTERS)


def parse_text_with_format(text: str, default: int = FORMAT_MOODLE) -> Text:
    result = Text(text, default)
    if php_strpos(text, "[") == 0:
        end = php_strpos(text, "]") or 0  # PHP: false - 1 == -1
        fmt = _FORMATS.get(php_substr(text, 1, end - 1), -1)
        if fmt != -1:
            result.format = fmt
            result.text = php_substr(text, end + 1)
    result.text = php_trim(escapedchar_post(result.text))
    return result


def _bits(answer: str, parts: int, default: int) -> list[Text]:
    """explode('#', $answer, parts), each piece parsed; missing pieces are empty texts."""
    bits = answer.split("#", parts - 1)
    return [parse_text_with_format(php_trim(bits[i]), default) if i < len(bits)
            else Text("", default) for i in range(parts)]


def commentparser(answer: str, default: int) -> tuple[Text, Text]:
    ans, feedback = _bits(answer, 2, default)
    return ans, feedback


def split_truefalse_comment(answer: str, default: int) -> tuple[Text, Text, Text]:
    """(answer, feedback for a wrong answer, feedback for a right one)."""
    ans, wrong, right = _bits(answer, 3, default)
    return ans, wrong, right


def answerweightparser(answer: str) -> tuple[float, str]:
    """(weight as a fraction, the answer without its %weight%)."""
    answer = php_substr(answer, 1)
    end = php_strpos(answer, "%") or 0
    weight = php_substr(answer, 0, end)
    if not is_numeric(weight):  # PHP 8: "Unsupported operand types" / non-numeric string
        raise GiftImportError(f"answer weight {weight!r} is not a number")
    return float(weight) / 100, php_substr(answer, end + 1)


def extract_idnumber_and_tags_from_comment(comment: str) -> tuple[str, list[str]]:
    idnumber = ""
    match = re.search(r"\[id:((?:\\]|[^\]\[\x00-\x1f\x7f])+)]", comment)
    if match:
        idnumber = php_trim(match.group(1)).replace("\\]", "]")
    tags = [php_trim(t).replace("\\]", "]")
            for t in re.findall(r"\[tag:((?:\\]|[^\]<>`\x00-\x1f\x7f])+)]", comment)]
    return idnumber, tags


def readquestion(lines: list[str]) -> MoodleQuestion | None:
    """qformat_gift::readquestion: one blank-line-separated block of (trimmed) lines."""
    comments = ""
    lines = list(lines)
    for key, line in enumerate(lines):
        line = php_trim(line)
        if line[:2] == "//":
            comments += line + "\n"
            lines[key] = " "
    text = php_trim("\n".join(lines))
    if text == "":
        return None
    text = escapedchar_pre(text)

    if re.match(r"^\$CATEGORY:", text):
        return MoodleQuestion("category", category=php_trim(php_substr(text, 10)))

    question = MoodleQuestion("")
    question.idnumber, question.tags = extract_idnumber_and_tags_from_comment(comments)
    if text[:2] == "::":
        text = text[2:]
        namefinish = php_strpos(text, "::")
        if namefinish is not None:
            question.name = php_trim(escapedchar_post(text[:namefinish]))  # clean_question_name
            text = php_trim(text[namefinish + 2:])

    start, finish = php_strpos(text, "{"), php_strpos(text, "}")
    description = False
    if start is None and finish is None:
        description, answertext, length = True, "", 0
    elif start is None or finish is None:
        raise GiftImportError(f"braceerror: unmatched brace in {text[:80]!r}")
    else:
        length = finish - start
        answertext = php_trim(php_substr(text, start + 1, length - 1))

    if description:
        questiontext = text
    elif text[-1:] == "}":
        questiontext = _substr_replace(text, "", start, length + 1)
    else:
        questiontext = _substr_replace(text, "_____", start, length + 1)

    separator = answertext.rfind("####")
    generalfeedback = ""
    if separator >= 0:
        generalfeedback = php_substr(answertext, separator + 4)
        answertext = php_trim(php_substr(answertext, 0, separator))

    parsed = parse_text_with_format(questiontext)
    question.questiontext, question.questiontextformat = parsed.text, parsed.format
    parsed = parse_text_with_format(generalfeedback, question.questiontextformat)
    question.generalfeedback, question.generalfeedbackformat = parsed.text, parsed.format
    fmt = question.questiontextformat

    if description:
        question.qtype = "description"
    elif answertext == "":
        question.qtype = "essay"
    elif answertext[0] == "#":
        question.qtype = "numerical"
    elif "~" in answertext:
        question.qtype = "multichoice"
    elif "=" in answertext and "->" in answertext:
        question.qtype = "match"
    else:
        check = answertext
        hash_at = php_strpos(answertext, "#")
        if hash_at:  # strpos(...) > 0
            check = php_trim(answertext[:hash_at])
        question.qtype = "truefalse" if check in ("T", "TRUE", "F", "FALSE") else "shortanswer"

    if question.qtype in ("description", "essay"):
        return question
    if question.qtype == "multichoice":
        question.single = 1 if "=" in answertext else 0
        answers = _split_answers(answertext.replace("=", "~="), "~", 2, text)
        for answer in answers:
            answer = php_trim(answer)
            if answer[:1] == "=":
                weight, answer = 1.0, answer[1:]
            elif _WEIGHT.match(answer):
                weight, answer = answerweightparser(answer)
            else:
                weight = 0.0
            ans, feedback = commentparser(answer, fmt)
            question.answer.append(ans)
            question.feedback.append(feedback)
            question.fraction.append(weight)
        return question
    if question.qtype == "truefalse":
        ans, wrong, right = split_truefalse_comment(answertext, fmt)
        if ans.text in ("T", "TRUE"):
            question.correctanswer, question.feedbacktrue, question.feedbackfalse = 1, right, wrong
        else:
            question.correctanswer, question.feedbacktrue, question.feedbackfalse = 0, wrong, right
        return question
    if question.qtype == "shortanswer":
        for answer in _split_answers(answertext, "=", 1, text):
            answer = php_trim(answer)
            weight = 1.0
            if _WEIGHT.match(answer):
                weight, answer = answerweightparser(answer)
            ans, feedback = commentparser(answer, fmt)
            question.answer.append(ans.text)
            question.feedback.append(feedback)
            question.fraction.append(weight)
        return question
    if question.qtype == "numerical":
        return _numerical(question, answertext[1:], fmt, text)
    raise GiftImportError(f"{question.qtype} questions are not transcribed here")


def _numerical(question: MoodleQuestion, answertext: str, fmt: int, text: str) -> MoodleQuestion:
    wrongfeedback = ""
    tilde = php_strpos(answertext, "~")
    if tilde is not None:
        wrongfeedback, answertext = answertext[tilde:], answertext[:tilde]
    answers = answertext.split("=")
    answers[0] = php_trim(answers[0])
    if php_empty(answers[0]):
        answers.pop(0)
    if not answers:
        raise GiftImportError(f"giftnonumericalanswers: {text[:80]!r}")
    for answer in answers:
        answer = php_trim(answer)
        weight = 1.0
        if _WEIGHT.match(answer):
            weight, answer = answerweightparser(answer)
        ans_text, feedback = commentparser(answer, fmt)
        question.feedback.append(feedback)
        question.fraction.append(weight)
        answer = ans_text.text
        if (php_strpos(answer, "..") or 0) > 0:
            marker = answer.index("..")
            high, low = php_trim(answer[marker + 2:]), php_trim(answer[:marker])
            ans = str((float(high) + float(low)) / 2)
            tol = float(high) - float(ans)
        elif (php_strpos(answer, ":") or 0) > 0:
            marker = answer.index(":")
            tol, ans = php_trim(answer[marker + 1:]), php_trim(answer[:marker])
        else:
            tol, ans = 0, php_trim(answer)
        # `!(is_numeric($ans) || $ans = '*')`: an assignment, so a non-number becomes '*'
        if not is_numeric(ans):
            ans = "*"
        if not is_numeric(tol):
            raise GiftImportError(f"errornotnumbers: tolerance {tol!r} in {text[:80]!r}")
        question.answer.append(ans)
        question.tolerance.append(tol)
    if wrongfeedback:
        _, feedback = commentparser(wrongfeedback, fmt)
        question.fraction.append(0.0)
        question.feedback.append(feedback)
        question.answer.append("*")
        question.tolerance.append("")
    return question


def _split_answers(answertext: str, separator: str, minimum: int, text: str) -> list[str]:
    answers = answertext.split(separator)
    answers[0] = php_trim(answers[0])
    if php_empty(answers[0]):
        answers.pop(0)
    if len(answers) < minimum:
        raise GiftImportError(f"importminerror: fewer than {minimum} answers in {text[:80]!r}")
    return answers


def _substr_replace(s: str, replacement: str, start: int, length: int) -> str:
    end = start + length if length >= 0 else max(len(s) + length, start)
    return s[:start] + replacement + s[end:]


# -- qformat_default ---------------------------------------------------------------------------

def readdata(data: str) -> list[str]:
    """file() of the upload: lines with their endings; a BOM is dropped; old Mac line ends."""
    lines = re.findall(r"[^\n]*\n|[^\n]+$", data)  # file() splits at "\n" only
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
        if "\r" in lines[0] and "\n" not in lines[0]:
            return lines[0].split("\r")
    return lines


def readquestions(lines: list[str]) -> list[MoodleQuestion]:
    """Questions are what lies between blank lines (a line that is empty once trimmed, or
    PHP-empty: "0")."""
    questions, current = [], []
    for line in lines:
        line = php_trim(line)
        if php_empty(line):
            if current:
                if (q := readquestion(current)) is not None:
                    questions.append(q)
                current = []
        else:
            current.append(line)
    if current and (q := readquestion(current)) is not None:
        questions.append(q)
    return questions


def check_grades(question: MoodleQuestion) -> None:
    """importprocess: every answer's grade must be one Moodle offers (within 1e-5)."""
    for fraction in question.fraction:
        if not any(abs(fraction - option) < 0.00001 for option in FRACTION_OPTIONS):
            raise GiftImportError(f"invalidgrade: {fraction} in question {question.name!r}")


def import_gift(data: str) -> list[MoodleQuestion]:
    """What Moodle would import from a GIFT file, categories included; raises on any error."""
    questions = readquestions(readdata(data))
    for q in questions:
        check_grades(q)
    return questions
