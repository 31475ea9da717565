"""quiz.json: a hand-edited file with a bad field is refused, naming the question and field."""

import json

import pytest

from quizgen.model import Mistake, Question, Quiz, QuizFileError


def _quiz_dict():
    q = Question(id="q1", family="demo", kind="number", params={}, prompt={"en": "?", "zh": "？"},
                 answer=0.5, answer_tex="0.5", tolerance={"rtol": 1e-4}, points=1.0,
                 solution={"en": ["a"], "zh": ["甲"]},
                 mistakes=[Mistake("half", 0.25, {"en": "Halved.", "zh": "减半。"})])
    return Quiz(seed=1, topic="demo", lang="en", questions=[q], created_with={}).to_dict()


def test_a_quiz_round_trips_through_json():
    data = _quiz_dict()
    assert Quiz.from_dict(json.loads(json.dumps(data))).to_dict() == data


@pytest.mark.parametrize("field, value", [
    ("answer", {"a": 1}), ("points", "many"), ("tolerance", "tight"), ("kind", "essay"),
    ("solution", None), ("choices", [1]), ("vars", [1]), ("mistakes", [{"value": 1}]),
])
def test_a_malformed_field_is_named(field, value):
    data = _quiz_dict()
    data["questions"][0][field] = value
    with pytest.raises(QuizFileError, match=rf"question 1 \(q1\): field '{field}'"):
        Quiz.from_dict(data, source="quiz.json")


def test_a_file_of_another_format_is_refused():
    with pytest.raises(QuizFileError, match="format"):
        Quiz.from_dict({"format": "other/2"})
