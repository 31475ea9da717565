"""Reading what spreadsheets and LMSs export: BOMs, UTF-16, ';' and tab delimiters, Excel's
="..." ids, padded rows, quoted cells spanning lines; bad rows, unknown students and unknown
columns are reported by line number and the rest is read."""

import pytest

from quizgen.batch import SubmissionError, read_submission_batch
from quizgen.model import Question, Quiz


def quiz_of(*ids: str) -> Quiz:
    questions = [Question(id=i, family="f", kind="number", params={}, prompt={"en": ""},
                          answer=1.0, answer_tex="1", tolerance={"rtol": 1e-6}, points=1.0,
                          solution={"en": []}, mistakes=[]) for i in ids]
    return Quiz(seed=0, topic="t", lang="en", questions=questions, created_with={})


QUIZ = quiz_of("q1", "q2")


def read(tmp_path, data: bytes, name="answers.csv", students=None):
    path = tmp_path / name
    path.write_bytes(data)
    return read_submission_batch(path, QUIZ, students)


def rows(batch):
    return {r.student: (r.answers, r.where) for r in batch.rows}


@pytest.mark.parametrize("encoded", [
    "student,q1,q2\r\nalice,0.5,1\r\n".encode("utf-8-sig"),
    b"student;q1;q2\nalice;0.5;1\n",  # Excel where the decimal mark is ','
    "student\tq1\tq2\nalice\t0.5\t1\n".encode("utf-16"),  # Excel's "Unicode text"
    b'Student,Q1,q2,,\n="alice",0.5,1,,\n',  # case, ="..." id, padded empty columns
])
def test_excel_variants_read_the_same(tmp_path, encoded):
    batch = read(tmp_path, encoded)
    assert batch.problems == []
    assert rows(batch) == {"alice": ({"q1": "0.5", "q2": "1"}, "line 2")}


def test_line_numbers_count_physical_lines_of_multiline_cells(tmp_path):
    data = b'id,q1,q2\nann,"first\nsecond",1\nbob,2,3,4\ncid,2,3\n'
    batch = read(tmp_path, data)
    assert rows(batch)["ann"][0]["q1"] == "first\nsecond"  # raw text kept as typed
    assert rows(batch)["cid"][1] == "line 5"
    assert [str(p) for p in batch.problems] == [
        "line 4: 4 cells but the header has 3 (an unquoted comma in an answer?); "
        "row not graded"]


def test_unknown_columns_students_and_duplicates_are_reported_and_the_rest_read(tmp_path):
    data = ("学号,姓名,q1,q9,Timestamp\n"
            "s1,Ann,1,x,2024\n"
            "s2,Bo,2,y,2024\n"
            ",Nobody,3,z,2024\n"
            "s1,Ann,4,w,2024\n").encode()
    batch = read(tmp_path, data, students={"s1"})
    assert [str(p) for p in batch.problems] == [
        "line 1: column 'q9' is not a question id of this quiz (q1, q2); ignored",
        "line 1: no column for q2 (1 of 2 questions): those answers are not read, and a "
        "gradebook keeps the ones it has",
        "line 3: student 's2' is not on the roster; row not graded",
        "line 4: no student id; row not graded",
        "line 5: student 's1' also on line 2; the later row is used",
    ]
    assert rows(batch) == {"s1": ({"q1": "4"}, "line 5")}


def test_json_entries_are_named_and_unknown_questions_reported(tmp_path):
    data = b'[{"student": "a", "answers": {"q1": 1, "q7": 2}}]'
    batch = read(tmp_path, data, name="answers.json")
    assert rows(batch) == {"a": ({"q1": "1"}, "entry 0")}
    assert [str(p) for p in batch.problems] == [
        "entry 0: 'q7' is not a question id of this quiz (q1, q2); ignored",
        "no entry answers q2: those answers are not read, and a gradebook keeps the ones it "
        "has"]


@pytest.mark.parametrize("data, needle", [
    (b"", "empty file"),
    (b"name,q1\nann,1\n", "line 1: no student id column"),
    ("student,q1,café\nann,1,2\n".encode("latin-1"), "line 1: not UTF-8"),  # the header
])
def test_unreadable_files_raise_one_message(tmp_path, data, needle):
    with pytest.raises(SubmissionError, match=needle):
        read(tmp_path, data)
