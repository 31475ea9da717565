"""The release check passes on the bank and catches a broken family."""

import types

from click.testing import CliRunner

from question_bank import Family, families
from quizgen.cli import cli
from quizgen.model import Mistake
from quizgen.validate import validate, validate_family


def test_the_whole_bank_passes_on_a_fast_setting():
    reports = validate("all", seeds=12)
    assert reports and all(r.ok for r in reports), [r.failures[:3] for r in reports if not r.ok]


def _broken(family_id: str = "clipping.clip_grad_norm", **overrides) -> Family:
    base = families()[family_id].module
    attrs = {name: getattr(base, name) for name in dir(base) if not name.startswith("__")}
    return Family(types.SimpleNamespace(**{**attrs, **overrides}))


def test_a_wrong_closed_form_is_reported():
    family = _broken(closed_form=lambda params: 12345)
    report = validate_family(family, seeds=3, formats=["html"])
    assert not report.ok and "closed form" in report.failures[0]


def test_a_mistake_whose_feedback_is_lost_is_reported():
    base = families()["clipping.clip_grad_norm"].module

    def mistakes(params):
        return [Mistake(m.name, m.value, {"en": m.feedback["en"]}) for m in base.mistakes(params)]

    report = validate_family(_broken(mistakes=mistakes), seeds=2, formats=[])
    assert any("zh" in f for f in report.failures)


def test_a_formula_that_does_not_convert_is_reported_with_its_question():
    base = families()["clipping.clip_grad_norm"].module
    family = _broken(prompt=lambda params, lang: base.prompt(params, lang) + r" $\frac{1}{$")
    report = validate_family(family, seeds=2, formats=["html"])
    assert any(f.startswith("html") and "seed" in f for f in report.failures)


# averaging.effective_window asks for a formula in about half of its difficulty-3 variants
FORMULA_FAMILY = "averaging.effective_window"


def test_an_expression_family_without_its_reference_evaluation_is_reported():
    report = validate_family(_broken(FORMULA_FAMILY, evaluate=None), seeds=12, formats=[])
    assert any("needs an evaluate" in f for f in report.failures), report.failures


def test_an_expression_whose_reference_disagrees_is_reported():
    family = _broken(FORMULA_FAMILY, evaluate=lambda params, values: 1.0)
    report = validate_family(family, seeds=12, formats=[])
    assert any("!= reference" in f for f in report.failures), report.failures


def test_a_variable_without_a_domain_is_reported():
    base = families()[FORMULA_FAMILY].module
    family = _broken(FORMULA_FAMILY, variables=lambda params: [
        v.split(":")[0] for v in base.variables(params)])
    report = validate_family(family, seeds=12, formats=[])
    assert any("declare no domain" in f for f in report.failures), report.failures


def test_cli_prints_a_table_and_exits_zero():
    result = CliRunner().invoke(cli, ["validate", "--topic", "clipping", "--seeds", "5"])
    assert result.exit_code == 0, result.output
    assert "clipping.clip_grad_norm" in result.output and "families passed" in result.output
