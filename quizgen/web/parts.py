"""Multi-part questions on the web: each part is answered in a box of its own.

A part is shown, previewed and graded as a question of its own would be, so the web pages view
each part as one: ``Question.part_as_question`` makes the Question that a part reads as (its
id is the part's answer id, ``q3.a``, the key the classroom stores its answer under). The sheet
builder, the "read as" preview and the page's inputs then need nothing new; only the grouping
under the stem and the follow-through between parts (quizgen.multipart) know that parts belong
together.
"""

from __future__ import annotations

from dataclasses import replace

from quizgen.model import Question, Quiz


def answer_questions(questions: list[Question]) -> list[Question]:
    """What a student answers, in order: a question, or each of its parts."""
    return [pq for q in questions
            for pq in ([q.part_as_question(p) for p in q.parts] if q.parts else [q])]


def quiz_of_parts(quiz: Quiz, question: Question) -> Quiz:
    """A quiz of ``question``'s parts alone, for building their sheet view (prompts, points,
    and on a key their answers and solutions) with the sheet builder every page uses."""
    return replace(quiz, questions=[question.part_as_question(p) for p in question.parts],
                   variants={}, title=quiz.title or question.id)


def answer_question(questions: list[Question], answer_id: str) -> Question | None:
    """The question (or part, as a question) that ``answer_id`` names, or None."""
    for q in questions:
        if not q.parts and q.id == answer_id:
            return q
        if q.parts and answer_id.startswith(q.id + "."):
            pid = answer_id[len(q.id) + 1:]
            part = next((p for p in q.parts if p.id == pid), None)
            if part is not None:
                return q.part_as_question(part)
    return None
