"""The `quizgen` command line.

Each command imports what it needs inside its body, so `quizgen --help` never loads torch or
sympy. Mistakes a user can make exit with status 2 and one sentence naming the file, line or
field; nothing reaches the terminal as a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

LANG = click.Choice(["en", "zh"])


class InputError(click.ClickException):
    """Bad usage or a bad input file (exit status 2, as the CLI contract says)."""

    exit_code = 2


def _load_quiz(path: str):
    from .model import Quiz, QuizFileError

    try:
        return Quiz.load(path)
    except QuizFileError as e:
        raise InputError(str(e)) from None


def _formats(text: str) -> list[str]:
    from .export import WRITERS

    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown:
        raise InputError(
            f"--format: unknown format {unknown[0]!r}; available: {', '.join(sorted(WRITERS))}"
        )
    return chosen


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="quizgen")
def cli() -> None:
    """Parameterized quizzes on deep-learning optimization, with safe auto-grading.

    \b
    quizgen topics                                  what can be asked
    quizgen make --topic optimizers --out q         a quiz, its sheet and its key
    quizgen grade q/quiz.json answers.csv           grade a class
    quizgen check '2/(a+b)' '2/(b+a)' --vars a,b    grade one answer
    """


@cli.command()
def topics() -> None:
    """List the topics and their question families."""
    from question_bank import topics as bank_topics

    for topic, members in bank_topics().items():
        click.echo(f"{topic} ({len(members)} famil{'y' if len(members) == 1 else 'ies'})")
        for family in members:
            click.echo(f"  {family.id:<40} {family.title['en']}")


@cli.command()
@click.option("--topic", required=True,
              help="A topic (see `quizgen topics`), a family id, or 'all'.")
@click.option("--count", default=5, show_default=True, type=click.IntRange(1, 500))
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same quiz.")
@click.option("--lang", default="en", show_default=True, type=LANG)
@click.option("--difficulty", type=click.IntRange(1, 3), help="Fix the level (default: mixed).")
@click.option("--format", "formats", default="html", show_default=True,
              help="Comma-separated sheet/key formats to write beside quiz.json.")
@click.option("--out", default="quiz", show_default=True, type=click.Path(file_okay=False),
              help="Output folder.")
def make(topic, count, seed, lang, difficulty, formats, out) -> None:
    """Sample a quiz and write quiz.json, the sheet and the answer key."""
    from .export import export
    from .sampling import UnknownTopicError, make_quiz

    chosen = _formats(formats)
    try:
        quiz = make_quiz(topic, count=count, seed=seed, lang=lang, difficulty=difficulty)
    except UnknownTopicError as e:
        raise InputError(f"--topic: {e.args[0]}") from None
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    quiz.save(out_dir / "quiz.json")
    written = [out_dir / "quiz.json"]
    for fmt in chosen:
        for key, stem in ((False, "sheet"), (True, "key")):
            written.append(export(quiz, fmt, out_dir / f"{stem}.{fmt}", key=key))
    click.echo(f"{len(quiz.questions)} questions on {topic!r} (seed {seed}):")
    for path in written:
        click.echo(f"  {path}")


@cli.command("export")
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="html", show_default=True)
@click.option("--key", is_flag=True, help="Write the answer key instead of the sheet.")
@click.option("--lang", type=LANG, help="Language (default: the quiz's).")
@click.option("--out", type=click.Path(dir_okay=False), help="Output file.")
def export_cmd(quiz_file, fmt, key, lang, out) -> None:
    """Write a sheet or key from an existing quiz.json."""
    from .export import export

    (fmt,) = _formats(fmt)
    quiz = _load_quiz(quiz_file)
    target = Path(out) if out else Path(quiz_file).with_name(f"{'key' if key else 'sheet'}.{fmt}")
    click.echo(export(quiz, fmt, target, key=key, lang=lang))


@cli.command()
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.argument("submissions", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write every verdict to this CSV (student, question, status, score, ...).")
def grade(quiz_file, submissions, out) -> None:
    """Grade SUBMISSIONS (CSV: a student column, then one column per question id; or JSON)."""
    from .batch import SubmissionError, grade_submissions, read_submissions, write_results

    quiz = _load_quiz(quiz_file)
    try:
        rows = read_submissions(Path(submissions), quiz)
    except SubmissionError as e:
        raise InputError(str(e)) from None
    results = grade_submissions(quiz, rows)
    total = quiz.total_points
    for result in results:
        click.echo(f"{result.student:<20} {result.score:g} / {total:g}")
        for qid, verdict in result.verdicts.items():
            if verdict.status == "invalid":
                click.echo(f"    {qid}: invalid: {verdict.feedback}")
    if out:
        write_results(results, Path(out))
        click.echo(f"verdicts written to {out}")


@cli.command()
@click.argument("expected", required=False)
@click.argument("answer", required=False)
@click.option("--vars", "variables", default="", help="Comma-separated variable names, e.g. x,y.")
@click.option("--kind", type=click.Choice(["number", "vector", "expression", "choice"]),
              help="Answer kind (default: inferred).")
@click.option("--rtol", type=float, help="Relative tolerance.")
@click.option("--atol", type=float, help="Absolute tolerance.")
@click.option("--sigfigs", type=click.IntRange(1, 15), help="Grade to N significant figures.")
@click.option("--lang", default="en", show_default=True, type=LANG)
@click.option("--batch", type=click.File("r", encoding="utf-8"),
              help="JSONL file of cases ('-' for stdin); one verdict per line, in order.")
def check(expected, answer, variables, kind, rtol, atol, sigfigs, lang, batch) -> None:
    """Grade ANSWER against EXPECTED and print one JSON verdict."""
    from .grading import check as grade_one

    if batch is not None:
        if expected is not None:
            raise InputError("--batch takes its cases from the file; give no EXPECTED/ANSWER")
        from .batch import check_batch

        check_batch(batch, sys.stdout, lang=lang)
        return
    if expected is None or answer is None:
        raise click.UsageError("give EXPECTED and ANSWER, or --batch FILE.jsonl")
    names = [v.strip() for v in variables.split(",") if v.strip()]
    verdict = grade_one(expected, answer, kind=kind, variables=names, rtol=rtol, atol=atol,
                        sigfigs=sigfigs, lang=lang)
    click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))


@cli.command()
@click.option("--topic", default="all", show_default=True, help="A topic, a family id, or 'all'.")
@click.option("--seeds", default=200, show_default=True, type=click.IntRange(1, 100_000),
              help="Variants to check per family.")
@click.option("--format", "formats", default="html,pdf", show_default=True,
              help="Document formats every formula must convert for.")
def validate(topic, seeds, formats) -> None:
    """Release check: prove every variant of every family (exit 1 on any failure)."""
    from .sampling import UnknownTopicError
    from .validate import validate as run_validation

    click.echo(f"{'family':<40} {'seeds':>6} {'failures':>9} {'seconds':>8}")

    def show(report) -> None:
        mark = "ok" if report.ok else "FAIL"
        click.echo(f"{report.family:<40} {report.seeds:>6} {len(report.failures):>9} "
                   f"{report.seconds:>8.1f}  {mark}")
        for failure in report.failures[:5]:
            click.echo(f"    {failure}")

    try:
        reports = run_validation(topic, seeds, tuple(f.strip() for f in formats.split(",")), show)
    except UnknownTopicError as e:
        raise InputError(f"--topic: {e.args[0]}") from None
    failed = [r for r in reports if not r.ok]
    click.echo(f"{len(reports) - len(failed)} of {len(reports)} families passed")
    if failed:
        sys.exit(1)


def main() -> None:
    try:
        cli.main(prog_name="quizgen", standalone_mode=True)
    except Exception as e:  # a bug of ours: one line, not a traceback
        click.echo(f"quizgen: internal error: {type(e).__name__}: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
