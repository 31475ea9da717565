"""The `quizgen` command line.

Each command imports what it needs inside its body, so `quizgen --help` never loads torch or
sympy. Mistakes a user can make exit with status 2 and one sentence naming the file, line or
field; nothing reaches the terminal as a traceback.
"""

from __future__ import annotations

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


def _small_tensor_mode() -> None:
    """Question variants are tensors of a few elements: one torch thread is fastest there."""
    import torch

    torch.set_num_threads(1)


def _formats(text: str) -> list[str]:
    from .export import WRITERS

    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown:
        raise InputError(
            f"--format: unknown format {unknown[0]!r}; available: {', '.join(sorted(WRITERS))}"
        )
    return chosen


def _bank_option(command):
    return click.option(
        "--bank", "banks", multiple=True, type=click.Path(file_okay=False),
        envvar="QUIZGEN_BANK",
        help="A course bank: a folder of your own questions, mixed with the built-ins "
             "(repeatable; default: $QUIZGEN_BANK, a path list). See docs/authoring.md.")(command)


def _use_banks(banks, *, sample: bool = True, strict: bool = True):
    """Load the course banks and mix their families in for this command. Strict: a broken
    bank is bad input, every problem of every family on its own line, then exit 2 (sample:
    after sampling each family as validate's first seeds do)."""
    if not banks:
        return None
    from .bank import Loaded, load, sampling_problems, use

    loaded = load(banks)
    problems = loaded.problems + (sampling_problems(loaded) if sample else [])
    if strict and len(problems) == 1:
        raise InputError(problems[0])
    if strict and problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise InputError(f"{len(problems)} problems in the course bank, listed above")
    use(loaded)
    click.get_current_context().call_on_close(lambda: use(Loaded()))
    return loaded


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
@_bank_option
def topics(banks) -> None:
    """List the topics and their question families."""
    from question_bank import topics as bank_topics
    from question_bank.concepts import ConceptPool

    _use_banks(banks, sample=False)
    for topic, members in bank_topics().items():
        pools = [f.module for f in members if isinstance(f.module, ConceptPool)]
        computed = [f for f in members if not isinstance(f.module, ConceptPool)]
        items = sum(len(pool.items) for pool in pools)
        click.echo(f"{topic}: {len(computed)} famil{'y' if len(computed) == 1 else 'ies'}, "
                   f"{items} conceptual item{'' if items == 1 else 's'}")
        for family in computed:
            source = family.origin.get("bank")
            click.echo(f"  {family.id:<40} {family.title['en']}"
                       + (f"  [bank {source}]" if source else ""))


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
@click.option("--font-dir", type=click.Path(file_okay=False),
              help="Folder with a Chinese font for PDF (default: the system's).")
@click.option("--students", "roster", type=click.Path(dir_okay=False),
              help="Roster CSV (id column, optional name): a variant and a sheet per student "
                   "under OUT/students/, variants.json, tokens.csv and one key for all.")
@click.option("--shuffle", is_flag=True,
              help="With --students: also shuffle each student's question order.")
@click.option("--follow-through", type=click.Choice(["full", "half", "off"]), default="full",
              show_default=True,
              help="Credit for a later part of a multi-part question computed correctly from "
                   "the student's own wrong earlier answer.")
@click.option("--variants", type=click.IntRange(1, 100),
              help="Draw N variants of every question (same family and difficulty) for the LMS "
                   "formats: one Moodle/GIFT category or QTI section per question, so each "
                   "student gets one; key.csv lists every variant's answer.")
@_bank_option
def make(topic, count, seed, lang, difficulty, formats, out, font_dir, roster, shuffle,
         follow_through, variants, banks) -> None:
    """Sample a quiz and write quiz.json, the sheet and the answer key."""
    from .bank import BankError
    from .export import FontNotFoundError, LmsConversionError, export_files
    from .sampling import UnknownTopicError, make_quiz

    _small_tensor_mode()
    chosen = _formats(formats)
    if variants and roster:
        raise InputError("--variants and --students: give each student a variant either in the "
                         "LMS (--variants) or on paper and in `serve` (--students), not both")
    _use_banks(banks)
    notes: list[str] = []
    try:
        quiz = make_quiz(topic, count=count, seed=seed, lang=lang, difficulty=difficulty,
                         follow_through=follow_through)
        if variants:
            from .lms_variants import add_variants

            quiz = add_variants(quiz, variants, notes)
    except UnknownTopicError as e:
        raise InputError(f"--topic: {e.args[0]}") from None
    except BankError as e:
        raise InputError(f"{e} (quiz seed {seed}); nothing was written") from None
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    quiz.save(out_dir / "quiz.json")
    written = [out_dir / "quiz.json"]
    if variants:
        from .lms_variants import KEY_COLUMNS, key_rows
        from .spreadsheet import write_csv

        write_csv(out_dir / "key.csv", KEY_COLUMNS, key_rows(quiz))
        written.append(out_dir / "key.csv")
        sheets = [f for f in chosen if f not in ("moodle", "gift", "qti")]
        if variants > 1 and sheets:
            notes.append(f"{', '.join(sheets)}: sheets and keys show the first variant of each "
                         "question; the LMS files and key.csv hold them all")
    if roster:
        from .roster import RosterError, read_roster, write_roster_files

        try:
            files, notes = write_roster_files(quiz, read_roster(roster), out_dir, chosen,
                                              shuffle=shuffle, font_dir=font_dir, notes=notes,
                                              progress=True)
        except RosterError as e:
            raise InputError(f"--students: {e}") from None
        except BankError as e:
            raise InputError(f"{e} (quiz seed {seed}, a student's variant)") from None
        except (FontNotFoundError, LmsConversionError) as e:
            raise InputError(f"--format: {e}") from None
        written += files
        chosen = []  # the per-student sheets and the merged key replace sheet/key
        if len(written) > 12:
            written = [*written[:5], Path(f"... and {len(written) - 5} more files")]
    for fmt in chosen:
        try:
            written += export_files(quiz, fmt, out_dir, font_dir=font_dir, notes=notes)
        except (FontNotFoundError, LmsConversionError) as e:
            raise InputError(f"--format {fmt}: {e}") from None
    click.echo(f"{len(quiz.questions)} questions on {topic!r} (seed {seed}):")
    for path in written:
        click.echo(f"  {path}")
    for note in dict.fromkeys(notes):  # one line per conversion, not one per LMS format
        click.echo(f"  note: {note}")


@cli.command("export")
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="html", show_default=True)
@click.option("--key", is_flag=True, help="Write the answer key instead of the sheet.")
@click.option("--lang", type=LANG, help="Language (default: the quiz's).")
@click.option("--out", type=click.Path(dir_okay=False), help="Output file.")
@click.option("--font-dir", type=click.Path(file_okay=False),
              help="Folder with a Chinese font for PDF (default: the system's).")
@click.option("--expression", type=click.Choice(["choice", "point"]), default="choice",
              show_default=True, help="LMS formats: an expression as multiple choice from its "
              "named mistakes, or as its value at a point.")
@click.option("--numeric", type=click.Choice(["numerical", "choice"]), default="numerical",
              show_default=True, help="LMS formats: a number with its tolerance, or as multiple "
              "choice from its named mistakes.")
@click.option("--variants", type=click.IntRange(1, 100),
              help="LMS formats, on a quiz made with `make --variants`: write the first N "
                   "variants of each question (default: all it holds).")
def export_cmd(quiz_file, fmt, key, lang, out, font_dir, expression, numeric, variants) -> None:
    """Write a sheet or key from an existing quiz.json."""
    from .export import (
        FontNotFoundError,
        LmsConversionError,
        MathConversionError,
        MissingTextError,
        default_filename,
        export,
        writer,
    )
    from .lms_variants import VariantError

    chosen = _formats(fmt)
    if len(chosen) != 1:
        raise InputError(f"--format: export writes one format at a time, got {fmt!r}")
    fmt = chosen[0]
    if variants and writer(fmt).keyed:
        raise InputError(f"--variants: only the LMS formats (moodle, gift, qti) hold variants; "
                         f"a {fmt} sheet shows the first variant of each question")
    quiz = _load_quiz(quiz_file)
    target = Path(out) if out else Path(quiz_file).with_name(default_filename(fmt, key=key))
    notes: list[str] = []
    try:
        click.echo(export(quiz, fmt, target, key=key, lang=lang, font_dir=font_dir, notes=notes,
                          expression=expression, numeric=numeric, variants=variants))
    except (FontNotFoundError, LmsConversionError, MathConversionError, MissingTextError,
            VariantError) as e:
        raise InputError(str(e)) from None
    for note in notes:
        click.echo(f"note: {note}")


@cli.command()
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.argument("submissions", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write every verdict to this CSV (student, question, status, score, ...).")
@click.option("--db", help="Also store answers and verdicts in this gradebook: a SQLite file "
                           "or a SQLAlchemy URL (default: no gradebook).")
def grade(quiz_file, submissions, out, db) -> None:
    """Grade SUBMISSIONS (CSV: a student id column and one column per question id; or JSON;
    or Moodle's Responses report, CSV or Excel, of a quiz imported from `make --variants`).

    With variants.json beside QUIZ.json (`make --students`), each student is graded on their
    own variant; in a Moodle Responses report, each response on the variant its question text
    shows. Bad rows, unknown students and unknown columns are listed with their line
    numbers and the rest is graded; the exit status is then 2.
    """
    from .batch import (
        StudentResult,
        SubmissionError,
        grade_submissions,
        read_submission_batch,
        write_results,
    )
    from .moodle_responses import grade_attempts, is_responses_report, read_responses

    quiz = _load_quiz(quiz_file)
    variants = _load_variants(quiz_file, quiz)
    moodle = is_responses_report(Path(submissions))
    if moodle and db:
        raise InputError("--db: a Moodle Responses report is graded without a gradebook (its "
                         "students meet different variants in each attempt); use --out")
    try:
        batch = (read_responses(submissions, quiz) if moodle else
                 read_submission_batch(Path(submissions), quiz,
                                       variants.ids() if variants else None))
    except SubmissionError as e:
        raise InputError(str(e)) from None
    for problem in batch.problems:
        click.echo(f"{submissions}: {problem}", err=True)
    # Out of the questions the file holds: a file of q1-q4 changes nothing else.
    rows = batch.attempts if moodle else batch.rows
    held = {qid for row in rows for qid in (row.responses if moodle else row.answers)}
    points = {f"{q.id}.{p.id}": p.points for q in quiz.questions for p in q.parts}
    points.update({q.id: q.points for q in quiz.questions if not q.parts})
    total = sum(points[aid] for aid in held if aid in points)  # a part counts its own points

    def show(student: str, score: float, verdicts: dict) -> None:
        click.echo(f"{student:<20} {score:g} / {total:g}")
        for qid, verdict in verdicts.items():
            if verdict.status == "invalid":
                click.echo(f"    {qid}: invalid: {verdict.feedback}")

    results: list[StudentResult] = []
    if moodle:
        for result in grade_attempts(quiz, batch.attempts):
            show(result.student, result.score, result.verdicts)
            results.append(result)
    elif db:
        from .gradebook import Gradebook, GradebookError

        def stored(g) -> None:  # called only once the student's verdicts are committed
            result = StudentResult(g.student, {q: a.raw for q, a in g.answers.items()},
                                   {q: a.verdict for q, a in g.answers.items()}, g.points)
            show(result.student, result.score, result.verdicts)
            results.append(result)

        try:
            with Gradebook(db) as book:
                record = book.register(quiz, variants, _tokens(quiz_file))
                book.grade(record, batch.rows, source=Path(submissions).name, on_graded=stored)
        except GradebookError as e:
            raise InputError(f"--db: {e}") from None
    else:
        for row in batch.rows:
            own = variants.quiz_for(quiz, row.student) if variants else quiz
            (result,) = grade_submissions(own, [(row.student, row.answers)])
            show(result.student, result.score, result.verdicts)
            results.append(result)
    if out:
        write_results(results, Path(out))
        click.echo(f"verdicts written to {out}")
    if batch.problems:
        raise InputError(f"{len(batch.problems)} problem(s) in {submissions}, listed above; "
                         "the other rows were graded")


def _load_variants(quiz_file: str, quiz):
    """The students' variants beside QUIZ.json (None for a quiz everyone shares)."""
    from .roster import RosterError, variants_beside

    try:
        return variants_beside(quiz_file, quiz)
    except RosterError as e:
        raise InputError(str(e)) from None


def _tokens(quiz_file: str) -> dict[str, str]:
    from .roster import TOKENS_FILE, RosterError, load_tokens

    try:
        return load_tokens(Path(quiz_file).with_name(TOKENS_FILE))
    except RosterError as e:
        raise InputError(str(e)) from None


def _open_gradebook(quiz_file: str, db: str | None):
    """The gradebook named by --db, else gradebook.sqlite beside QUIZ.json; it must exist."""
    from .gradebook import Gradebook, GradebookError

    target = db or str(Path(quiz_file).with_name("gradebook.sqlite"))
    try:
        return Gradebook(target, create=False)
    except GradebookError as e:
        raise InputError(f"--db: {e}") from None


@cli.command()
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.option("--db", help="The gradebook (default: gradebook.sqlite beside QUIZ.json).")
@_bank_option
def regrade(quiz_file, db, banks) -> None:
    """Re-grade every stored answer with the key as QUIZ.json (and variants.json) now say,
    after fixing an answer or a tolerance, and print what changed for each student. Warns
    when a course bank file the quiz came from has changed since (found via --bank)."""
    from .bank.origin import bank_changes
    from .gradebook import GradebookError

    quiz = _load_quiz(quiz_file)
    for line in bank_changes(quiz.questions, banks):
        click.echo(line, err=True)
    variants = _load_variants(quiz_file, quiz)
    with _open_gradebook(quiz_file, db) as book:
        try:
            old = book.load_record(quiz)
            if old is None:
                raise InputError(f"{book.url}: no grades for {quiz_file} yet; "
                                 "run `quizgen grade QUIZ.json ANSWERS --db ...` first")
            before = book.answers(old)
            changes = book.regrade(book.register(quiz, variants, _tokens(quiz_file)), before)
        except GradebookError as e:
            raise InputError(f"{quiz_file}: {e}") from None
    totals: dict[str, float] = {}
    for a in before:
        totals[a.student] = totals.get(a.student, 0.0) + a.points
    by_student: dict[str, list] = {}
    for change in changes:
        by_student.setdefault(change.student, []).append(change)
    for student, student_changes in sorted(by_student.items()):
        old_total = totals.get(student, 0.0)
        new_total = old_total + sum(c.points_after - c.points_before for c in student_changes)
        parts = [f"{c.question_id} {c.before.status if c.before else 'ungraded'} → "
                 f"{c.after.status} ({c.points_before:g} → {c.points_after:g})"
                 for c in student_changes]
        click.echo(f"{student}: {'; '.join(parts)}; total {old_total:g} → {new_total:g}")
    if changes:
        click.echo(f"{len(changes)} verdict(s) changed for {len(by_student)} student(s)")
    else:
        click.echo("no verdict changed")


@cli.command()
@click.argument("quiz_file", metavar="QUIZ.json", type=click.Path(dir_okay=False))
@click.option("--db", help="The gradebook (default: gradebook.sqlite beside QUIZ.json).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for scores.csv, items.csv and report.html (default: beside QUIZ.json).")
@click.option("--lang", type=LANG, help="Language of report.html (default: the quiz's).")
def report(quiz_file, db, out, lang) -> None:
    """Scores per student and item analysis per question (difficulty, discrimination, frequent
    wrong answers, named mistakes): a table here, CSV files and an HTML report with plots."""
    from .report import build_report, terminal_table, write_report

    quiz = _load_quiz(quiz_file)
    with _open_gradebook(quiz_file, db) as book:
        record = book.load_record(quiz)
        if record is None:
            raise InputError(f"{book.url}: no grades for {quiz_file}")
        result = build_report(quiz, book.answers(record), record.names)
    click.echo(terminal_table(result))
    for path in write_report(result, Path(out) if out else Path(quiz_file).parent,
                             lang or quiz.lang):
        click.echo(f"  {path}")


@cli.command()
@click.option("--topic", required=True, help="A topic, a family id, or 'all'.")
@click.option("--lang", default="en", show_default=True, type=LANG)
@click.option("--seed", type=int, help="Same seed, same questions (default: random).")
@click.option("--count", default=0, type=click.IntRange(0, 10_000),
              help="Stop after N questions (default: until Ctrl-D or Ctrl-C).")
@_bank_option
def practice(topic, lang, seed, count, banks) -> None:
    """Practice in the terminal: answer, see how it was read, the verdict and the solution."""
    from .bank import BankError
    from .practice import run
    from .sampling import UnknownTopicError, select_families

    _small_tensor_mode()
    _use_banks(banks)
    try:
        select_families(topic)
    except UnknownTopicError as e:
        raise InputError(f"--topic: {e.args[0]}") from None
    try:
        run(topic, lang, seed, count, read=input, write=click.echo)
    except BankError as e:
        raise InputError(str(e)) from None


@cli.command()
@click.argument("expected", required=False)
@click.argument("answer", required=False)
@click.option("--vars", "variables", default="",
              help="Comma-separated variables, each NAME or NAME:DOMAIN, e.g. "
                   "fan_in:positive,t:positive_integer (domains: real (default), positive, "
                   "nonnegative, integer, positive_integer, unit_interval).")
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
    from .grading import ExpectedError
    from .grading import check as grade_one

    if batch is not None:
        if expected is not None:
            raise InputError("--batch takes its cases from the file; give no EXPECTED/ANSWER")
        from .batch import check_batch

        check_batch(batch, sys.stdout, lang=lang,
                    progress=sys.stderr if sys.stderr.isatty() else None)
        return
    if expected is None or answer is None:
        raise click.UsageError("give EXPECTED and ANSWER, or --batch FILE.jsonl")
    from .grading import VariableError, parse_variables
    from .safejson import dumps_line

    try:
        declared = parse_variables(variables)
    except VariableError as e:
        raise InputError(f"--vars: {e}") from None
    try:
        verdict = grade_one(expected, answer, kind=kind, variables=declared, rtol=rtol,
                            atol=atol, sigfigs=sigfigs, lang=lang)
    except ExpectedError as e:  # the key is the caller's input here, not a student's
        raise InputError(f"EXPECTED: {e}") from None
    click.echo(dumps_line(verdict.to_dict()))


@cli.command()
@click.option("--topic", help="A topic, a family id, or 'all' (default: all; with --bank, the "
                              "bank's families).")
@click.option("--seeds", default=200, show_default=True, type=click.IntRange(1, 100_000),
              help="Variants to check per family.")
@click.option("--format", "formats", default="html,pdf", show_default=True,
              help="Document formats every formula must convert for.")
@click.option("--font-dir", type=click.Path(file_okay=False),
              help="Folder with a Chinese font for PDF (default: the system's).")
@click.option("--strict", is_flag=True,
              help="Also fail when Chinese PDFs cannot be made here (no CJK font).")
@_bank_option
def validate(topic, seeds, formats, font_dir, strict, banks) -> None:
    """Release check: prove every variant of every family (exit 1 on any failure; 2 when a
    course bank file cannot be read, after checking the families that can). Without a
    Chinese font every formula is still checked, and a note says how to get one."""
    from .progress import Progress
    from .sampling import UnknownTopicError, select_families
    from .validate import cjk_font_problem
    from .validate import validate as run_validation

    _small_tensor_mode()
    loaded = _use_banks(banks, sample=False, strict=False)
    for problem in loaded.problems if loaded else []:  # the families that load are checked
        click.echo(f"FAIL {problem}")
    chosen = loaded.families if loaded and topic is None else None
    try:
        count = len(chosen if chosen is not None else select_families(topic or "all"))
    except UnknownTopicError as e:
        raise InputError(f"--topic: {e.args[0]}") from None
    bar = Progress(count * seeds, "validate")  # drawn only on a terminal's stderr

    click.echo(f"{'family':<40} {'seeds':>6} {'failures':>9} {'seconds':>8}")

    def show(report) -> None:
        bar.clear()
        mark = "ok" if report.ok else "FAIL"
        click.echo(f"{report.family:<40} {report.seeds:>6} {len(report.failures):>9} "
                   f"{report.seconds:>8.1f}  {mark}")
        for failure in report.failures[:5]:
            click.echo(f"    {failure}")

    checked = tuple(f.strip() for f in formats.split(","))
    with bar:
        reports = run_validation(topic or "all", seeds, checked, show, chosen,
                                 advance=bar.advance, font_dir=font_dir)
    failed = [r for r in reports if not r.ok]
    click.echo(f"{len(reports) - len(failed)} of {len(reports)} families passed")
    no_font = cjk_font_problem(font_dir) if "pdf" in checked else None
    if no_font:  # one line: what is missing, that the formulas were checked, how to fix it
        click.echo(f"{'FAIL' if strict else 'note'}: Chinese PDFs need a CJK font (every "
                   f"formula was still checked without one): {no_font}"
                   + ("" if strict else "; --strict makes this a failure"))
    for warning in loaded.warnings if loaded else []:
        click.echo(f"warning: {warning}")
    if loaded and loaded.problems:
        raise InputError(f"{len(loaded.problems)} bank file(s) could not be used, listed above")
    if failed or (strict and no_font):
        sys.exit(1)



@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def new(path, force) -> None:
    """Write a commented, working example family to edit: DIR/<topic>/<family>.toml (no
    Python), DIR/<topic>/<family>.py, or DIR/concepts/<topic>.toml (conceptual items)."""
    from .bank.scaffold import ScaffoldError, scaffold

    try:
        family_id, bank = scaffold(Path(path), force=force)
    except ScaffoldError as e:
        raise InputError(str(e)) from None
    except OSError as e:
        raise InputError(f"{path}: cannot write ({e.strerror})") from None
    topic = family_id.split(".")[0]
    click.echo(f"wrote {path} (family {family_id})")
    click.echo(f"  check it:  quizgen validate --bank {bank}")
    click.echo(f"  use it:    quizgen make --bank {bank} --topic {topic}")


@cli.command()
@click.argument("quiz_files", metavar="QUIZ.json...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@click.option("--roster", type=click.Path(dir_okay=False),
              help="tokens.csv (student, name, token) or a roster CSV to assign tokens to "
                   "(default: tokens.csv beside QUIZ.json, from `make --students`).")
@click.option("--lti-config", type=click.Path(dir_okay=False),
              help="Also be an LTI 1.3 tool for the platforms in this JSON file (pylti1p3's "
                   "tool configuration; docs/lti.md). Several QUIZ.json: the LMS chooses.")
@click.option("--db", help="The gradebook: a SQLite file or a SQLAlchemy URL such as "
                           "postgresql+psycopg://... (default: gradebook.sqlite beside QUIZ.json).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback is reachable by others.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--attempts", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Submissions allowed per student.")
@click.option("--show-solutions", is_flag=True,
              help="Show answers and worked solutions after a student's last attempt.")
@click.option("--hide-verdicts", is_flag=True,
              help="Do not show verdicts after a submit (release them later on the teacher page).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--connection-limit", default=1000, show_default=True,
              type=click.IntRange(10, 100_000),
              help="Connections held open at once (each browser keeps a few).")
@click.option("--channel-timeout", default=30, show_default=True, type=click.IntRange(2, 3600),
              help="Seconds after which an idle or stalled connection is closed.")
@click.option("--max-body-kb", default=64, show_default=True, type=click.IntRange(4, 10_240),
              help="Largest request body accepted (a submitted sheet is a few KB).")
@click.option("--secure-cookies", is_flag=True,
              help="Mark the session cookie Secure (__Host-quizgen): behind an HTTPS proxy. "
                   "Automatic for requests a --trusted-proxy reports as HTTPS.")
@click.option("--trusted-proxy", metavar="ADDRESS",
              help="The reverse proxy's address: believe its X-Forwarded-For (the client's "
                   "address, for sign-in limits) and X-Forwarded-Proto (HTTPS) headers.")
@click.option("--idle-timeout", default=60, show_default=True, type=click.IntRange(1, 24 * 60),
              help="Minutes without a request after which a session ends.")
@click.option("--session-lifetime", default=240, show_default=True,
              type=click.IntRange(1, 7 * 24 * 60),
              help="Minutes after sign-in after which a session ends, however busy.")
@_bank_option
def serve(quiz_files, roster, lti_config, db, host, port, attempts, show_solutions,
          hide_verdicts, threads, connection_limit, channel_timeout, max_body_kb,
          secure_cookies, trusted_proxy, idle_timeout, session_lifetime, banks) -> None:
    """Serve QUIZ.json in the browser: students sign in with their token, answer with a live
    "read as" preview and are graded on submit; the teacher page (admin token, printed here)
    shows submissions live, the report, CSV downloads and regrade. Set QUIZGEN_ADMIN_TOKEN to
    keep the admin token across restarts. Sessions live in the gradebook database, so several
    `serve` processes on one PostgreSQL database share them (docs/web.md). With --lti-config
    it is also an LTI 1.3 tool: launched from an LMS course, scores sent back (docs/lti.md)."""
    import os

    from .web import Classroom, ServeError, Settings, WebOptions
    from .web import serve as run_server
    from .web.security import new_secret
    from .web.server import ServerOptions, is_loopback
    from .web.sessions import Lifetimes
    from .web.site import Site

    if roster and len(quiz_files) > 1:
        raise click.UsageError("--roster goes with one QUIZ.json (each quiz folder keeps its "
                               "own tokens.csv)")
    config = None
    if lti_config:
        from .web.lti.config import LtiConfigError, load_config

        try:
            config = load_config(lti_config)
        except LtiConfigError as e:
            raise InputError(f"--lti-config: {e}") from None
    _use_banks(banks)
    settings = Settings(attempts=attempts, show_verdicts=not hide_verdicts,
                        show_solutions=show_solutions)
    rooms: list[Classroom] = []
    try:
        for quiz_file in quiz_files:
            rooms.append(Classroom(quiz_file, db=db, roster=roster, settings=settings,
                                   tokens_required=config is None))
    except ServeError as e:
        for made in rooms:
            made.close()
        raise InputError(str(e)) from None
    admin_token = os.environ.get("QUIZGEN_ADMIN_TOKEN") or new_secret(24)
    max_body = max_body_kb * 1024
    try:
        site = Site(rooms, WebOptions(
            admin_token=admin_token, secret_key=os.environ.get("QUIZGEN_SECRET_KEY", ""),
            max_body=max_body, secure_cookies=secure_cookies,
            lifetimes=Lifetimes(idle=idle_timeout * 60.0, absolute=session_lifetime * 60.0)),
            lti_config=config, lti_options=_lti_options(secure_cookies) if config else None)
    except ValueError as e:
        for made in rooms:
            made.close()
        raise InputError(f"QUIZGEN_ADMIN_TOKEN: {e}") from None
    options = ServerOptions(threads=threads, connection_limit=connection_limit,
                            channel_timeout=channel_timeout, max_body=max_body,
                            trusted_proxy=trusted_proxy)

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        url = f"http://{shown}:{bound_port}"
        # Listening already: a stored answer, however costly, cannot hold the start hostage.
        from .grading.workers import POOL

        POOL.warm()
        for r in site.rooms.values():
            c = r.classroom
            click.echo(f"quizgen serve: {len(c.tokens)} students, gradebook {c.book.url}"
                       + (f"  [{r.slug}]" if len(site.rooms) > 1 else ""))
            if c.recover():
                click.echo(f"  grading {c.recovered} submission(s) left ungraded by a crash, "
                           "in the background")
            click.echo(f"  students: {url}{r.mount}/  (sign in with the token from tokens.csv)")
            click.echo(f"  teacher:  {url}{r.mount}/admin")
        click.echo(f"  admin token: {admin_token}")
        if config is not None:
            click.echo(f"  LTI 1.3 for {len(config.platforms)} platform(s): login {url}/lti/login"
                       f"  launch {url}/lti/launch  keys {url}/lti/jwks")
        click.echo(f"  sessions end after {idle_timeout} min idle or {session_lifetime} min; "
                   f"up to {connection_limit} connections, idle ones closed after "
                   f"{channel_timeout} s")
        if not is_loopback(bound_host):
            click.echo("  warning: listening beyond this machine; put it behind HTTPS",
                       err=True)
        click.echo("  Ctrl+C stops the server")

    site.start()
    try:
        run_server(site, host, port, options, on_ready=ready)
    except OSError as e:
        raise InputError(f"--host/--port: cannot listen on {host}:{port} ({e.strerror})") \
            from None
    finally:
        site.close()


def _lti_options(secure_cookies: bool):
    from .web.lti.tool import LtiOptions

    return LtiOptions(secure_cookies=secure_cookies)


@cli.group()
def lti() -> None:
    """The LTI 1.3 tool of `quizgen serve --lti-config` (docs/lti.md)."""


@lti.command("keys")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace a key pair already in FOLDER.")
def lti_keys(folder, force) -> None:
    """Write a fresh RSA key pair for the tool: FOLDER/private.key (readable by you only) and
    FOLDER/public.key, to name in the LTI configuration file."""
    from .web.lti.config import LtiConfigError, write_key_pair

    try:
        private, public = write_key_pair(folder, force=force)
    except LtiConfigError as e:
        raise InputError(str(e)) from None
    except OSError as e:
        raise InputError(f"{folder}: cannot write ({e.strerror})") from None
    click.echo(f"wrote {private} (keep it secret) and {public}")
    click.echo("  name them as private_key_file / public_key_file in the --lti-config file")


def main() -> None:
    try:
        cli.main(prog_name="quizgen", standalone_mode=True)
    except Exception as e:  # a bug of ours: one line, not a traceback
        click.echo(f"quizgen: internal error: {type(e).__name__}: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
