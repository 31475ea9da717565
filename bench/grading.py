"""Grading throughput: quizgen.grading.check vs the naive SymPy baseline, on the same answers.

    PYTHONPATH=. python bench/grading.py [--seconds 2] [--seed 0]

Five generated answer sets (numbers in mixed notation; simple polynomial/rational expressions;
trig identities; 3-vectors; formulas of the field: rewrites of Xavier/He, Adam's effective step,
EMA half-life, sigmoid and BCE gradients, softplus, cosine schedules, GELU, parameter counts,
with their variables' domains), each a mix of right and wrong answers, as a class's submissions
are. The baseline is ``simplify(sympify(a) - sympify(b)) == 0`` on the same (trusted, generated)
strings; it is timed on a prefix of each set, since it is slow. Everything runs in this one
process, on one core. Prints verdicts/s for both, the ratio, and how many verdicts SymPy had to
decide and the slowest single verdict. The formulas are also graded through ``quizgen check
--batch`` in a subprocess, process start excluded.
"""

from __future__ import annotations

import argparse
import random
import time


def number_set(rng: random.Random, n: int):
    cases = []
    questions = [rng.uniform(-100, 100) * 10 ** rng.randint(-4, 2) for _ in range(50)]
    for i in range(n):
        value = questions[i % len(questions)]
        if rng.random() < 0.3:
            value *= 1.5  # a wrong answer
        mantissa, exponent = f"{value:.6e}".split("e")
        text = rng.choice([f"{value:.6g}", f"{value:.8f}", f"{mantissa}e{int(exponent)}",
                           f"{mantissa}*10^{int(exponent)}", f"{mantissa}×10^{int(exponent)}"])
        cases.append((f"{questions[i % len(questions)]!r}", text, ()))
    return cases


def expression_set(rng: random.Random, n: int):
    questions = []
    for _ in range(40):
        a, b, c = (rng.randint(1, 9) for _ in range(3))
        questions.append((f"{a}*x^2 + {b}*x*y + {c}/(x+y)",
                          [f"{c}/(y+x) + x*({a}*x + {b}*y)", f"{b}*y*x + {a}*x*x + {c}/(x+y)",
                           f"{a}*x^2 + {b}*x*y + {c}/(x-y)", f"{a}*x^2 + {b + 1}*x*y + {c}/(x+y)"]))
    cases = []
    for i in range(n):
        expected, answers = questions[i % len(questions)]
        cases.append((expected, rng.choice(answers), ("x", "y")))
    return cases


TRIG = [
    ("sin(2*x)", ["2*sin(x)*cos(x)", "2*sin(x)", "sin(x)*cos(x)"]),
    ("cos(2*x)", ["1 - 2*sin(x)^2", "2*cos(x)^2 - 1", "cos(x)^2 + sin(x)^2"]),
    ("1", ["sin(x)^2 + cos(x)^2", "tan(x)*cos(x)^2 + 1 - sin(x)*cos(x)", "sin(x)^2"]),
    ("tan(x)", ["sin(x)/cos(x)", "cos(x)/sin(x)", "sin(2*x)/(2*cos(x)^2)"]),
    ("sin(x+y)", ["sin(x)*cos(y) + cos(x)*sin(y)", "sin(x)*cos(y) - cos(x)*sin(y)",
                  "sin(x) + sin(y)"]),
    ("cos(x)^4 - sin(x)^4", ["cos(2*x)", "1", "cos(x)^2 - sin(x)^2"]),
]


def trig_set(rng: random.Random, n: int):
    cases = []
    for i in range(n):
        expected, answers = TRIG[i % len(TRIG)]
        cases.append((expected, rng.choice(answers), ("x", "y")))
    return cases


# (expected, [(answer, right?)...], variables with domains): rewrites students of this field write
FORMULAS = [
    ("sqrt(2/(fan_in+fan_out))", ["sqrt(2)/sqrt(fan_in+fan_out)", "(2/(fan_out+fan_in))^(1/2)",
                                  "sqrt(2/fan_in)", "2/(fan_in+fan_out)"],
     ["fan_in:positive", "fan_out:positive"]),
    ("sqrt(6/fan_in)", ["sqrt(6)/sqrt(fan_in)", "sqrt(3)*sqrt(2/fan_in)", "sqrt(3/fan_in)",
                        "6/fan_in"], ["fan_in:positive"]),
    ("lr*sqrt(1-b2^t)/(1-b1^t)", ["lr*(1-b2^t)^(1/2)/(1-b1^t)", "lr/(1-b1^t)*sqrt(1-b2^t)",
                                  "lr*sqrt(1-b2^t)/(1-b1^(t-1))", "lr*(1-b2^t)/(1-b1^t)"],
     ["lr:positive", "b1:unit_interval", "b2:unit_interval", "t:positive_integer"]),
    ("g*(1-b1^t)", ["g - g*b1^t", "-g*(b1^t - 1)", "g*(1-b1)^t", "g*b1^t"],
     ["g", "b1:unit_interval", "t:positive_integer"]),
    ("log(1/2)/log(beta)", ["log(0.5)/ln(beta)", "log(2)/log(1/beta)", "log(2)/log(beta)",
                            "log(2)/(1-beta)"], ["beta:unit_interval"]),
    ("sigmoid(x)*(1-sigmoid(x))", ["1/(2+exp(x)+exp(-x))", "σ(x)(1-σ(x))",
                                   "exp(-x)/(1+exp(-x))", "sigmoid(x)^2"], ["x"]),
    ("sigmoid(z) - y", ["1/(1+exp(-z)) - y", "-(y - sigmoid(z))", "y - sigmoid(z)",
                        "sigmoid(z)"], ["z", "y:unit_interval"]),
    ("log(1+exp(x))", ["softplus(x)", "x + log(1+exp(-x))", "exp(x)/(1+exp(x))",
                       "log(exp(x))"], ["x"]),
    ("eta_min + (eta_max-eta_min)*(1+cos(pi*t/T))/2",
     ["eta_min + (eta_max-eta_min)*cos(pi*t/(2*T))^2",
      "(eta_max+eta_min)/2 + (eta_max-eta_min)/2*cos(pi*t/T)",
      "eta_max*(1+cos(pi*t/T))/2", "eta_min + (eta_max-eta_min)*cos(pi*t/T)"],
     ["eta_min:positive", "eta_max:positive", "t:positive_integer", "T:positive_integer"]),
    ("x*(1+erf(x/sqrt(2)))/2", ["x/2 + x*erf(x/sqrt(2))/2", "0.5x(1+erf(x/√2))",
                                "x*(1+erf(x))/2", "x*erf(x/sqrt(2))"], ["x"]),
    ("c_out*(c_in*k^2+1)", ["c_out*c_in*k^2 + c_out", "(k^2*c_in + 1)*c_out",
                            "c_out*c_in*k^2", "c_in*(c_out*k^2+1)"],
     ["c_in:positive_integer", "c_out:positive_integer", "k:positive_integer"]),
    ("lr0/(1+k*t)", ["lr0*(1+k*t)^(-1)", "1/(1/lr0 + k*t/lr0)", "lr0*exp(-k*t)", "lr0/(k*t)"],
     ["lr0:positive", "k:positive", "t:positive_integer"]),
    ("max(0, x)", ["relu(x)", "(x + |x|)/2", "|x|", "x"], ["x"]),
]


def formula_set(rng: random.Random, n: int):
    """Every formula's rewrites, in turn: half right, half wrong, as a class writes them."""
    cases = []
    for i in range(n):
        expected, answers, variables = FORMULAS[i % len(FORMULAS)]
        cases.append((expected, rng.choice(answers), tuple(variables)))
    return cases


def vector_set(rng: random.Random, n: int):
    questions = [[round(rng.uniform(-5, 5), 4) for _ in range(3)] for _ in range(50)]
    cases = []
    for i in range(n):
        vector = list(questions[i % len(questions)])
        if rng.random() < 0.3:
            vector[rng.randrange(3)] += 1.0
        text = rng.choice(["[{}, {}, {}]", "({}, {}, {})", "{}, {}, {}"]).format(*vector)
        cases.append((str(questions[i % len(questions)]), text, ()))
    return cases


def run_quizgen(cases, kind: str) -> tuple[float, list[str]]:
    from quizgen.grading import check

    statuses, methods, slowest = [], [], 0.0
    start, cpu = time.perf_counter(), time.process_time()
    for expected, answer, variables in cases:
        began = time.perf_counter()
        if kind == "vector":
            verdict = check(expected, answer, kind="vector")
        else:
            verdict = check(expected, answer, kind=kind, variables=variables)
        slowest = max(slowest, time.perf_counter() - began)
        statuses.append(verdict.status)
        methods.append(verdict.method)
    return (time.perf_counter() - start, time.process_time() - cpu, statuses, methods,
            slowest)


def run_batch(cases) -> tuple[float, float]:
    """Verdicts/s through `quizgen check --batch FILE`, process start excluded: the time for
    the whole file less the time for a file of one line, best of three each; in wall-clock
    seconds and in the CPU seconds the process (and any SymPy worker) used, which is what one
    core gives on a shared machine whose other jobs take turns with it."""
    import json
    import resource
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def timed(lines) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "cases.jsonl"
            path.write_text("".join(lines), encoding="utf-8")
            wall = cpu = float("inf")
            for _ in range(3):
                start, used = time.perf_counter(), children_cpu()
                subprocess.run([sys.executable, "-m", "quizgen.cli", "check", "--batch",
                                str(path)], check=True, stdout=subprocess.DEVNULL)
                wall = min(wall, time.perf_counter() - start)
                cpu = min(cpu, children_cpu() - used)
            return wall, cpu

    lines = [json.dumps({"expected": e, "answer": a, "vars": list(v)}) + "\n"
             for e, a, v in cases]
    (wall, cpu), (wall_1, cpu_1) = timed(lines), timed(lines[:1])
    return (len(lines) - 1) / (wall - wall_1), (len(lines) - 1) / (cpu - cpu_1)


def _sympy_names() -> dict:
    import sympy

    x = sympy.Symbol("x")
    return {"sigmoid": sympy.Lambda(x, 1 / (1 + sympy.exp(-x))),
            "softplus": sympy.Lambda(x, sympy.log(1 + sympy.exp(x))),
            "relu": sympy.Lambda(x, sympy.Max(0, x)), "max": sympy.Max,
            "log1p": sympy.Lambda(x, sympy.log(1 + x)), "ln": sympy.log}


SYMPY_NAMES: dict = {}


def run_baseline(cases, kind: str, seconds: float) -> tuple[float, int]:
    """The naive grader: sympify both (trusted here) and simplify the difference."""
    import sympy
    from sympy.parsing.sympy_parser import (
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    implicit = (*standard_transformations, implicit_multiplication_application)
    SYMPY_NAMES.update(_sympy_names())

    done = 0
    start = time.perf_counter()
    for expected, answer, variables in cases:
        a = answer.replace("^", "**").replace("×", "*").replace("σ", "sigmoid").replace(
            "√", "sqrt").replace("|x|", "Abs(x)")
        names = {v.split(":")[0]: sympy.Symbol(v.split(":")[0]) for v in variables}
        names.update(SYMPY_NAMES)
        if kind == "vector":
            e_vec = sympy.Matrix(sympy.sympify(expected))
            a_vec = sympy.Matrix(sympy.sympify("[" + a.strip("[]()") + "]"))
            _ = (e_vec - a_vec).applyfunc(sympy.simplify) == sympy.zeros(*e_vec.shape)
        else:
            e = parse_expr(expected.replace("^", "**"), local_dict=names,
                           transformations=implicit)
            _ = sympy.simplify(parse_expr(a, local_dict=names, transformations=implicit) - e) == 0
        done += 1
        if time.perf_counter() - start > seconds:
            break
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="time budget for the baseline on each set")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sets = [
        ("numbers", "number", number_set(rng, 40_000)),
        ("simple expressions", "expression", expression_set(rng, 10_000)),
        ("trig identities", "expression", trig_set(rng, 10_000)),
        ("vectors", "vector", vector_set(rng, 20_000)),
        ("formulas of the field", "expression", formula_set(rng, 10_000)),
    ]
    print(f"{'set':22} {'answers':>8} {'quizgen/s':>10} {'per CPU s':>10} {'baseline/s':>11} "
          f"{'ratio':>7}  verdicts")
    for name, kind, cases in sets:
        elapsed, cpu, statuses, methods, slowest = run_quizgen(cases, kind)
        rate = len(cases) / elapsed
        base_elapsed, base_done = run_baseline(cases, kind, args.seconds)
        base_rate = base_done / base_elapsed
        counts = {s: statuses.count(s) for s in ("correct", "incorrect", "invalid")}
        summary = " ".join(f"{k}={v}" for k, v in counts.items())
        print(f"{name:22} {len(cases):8d} {rate:10.0f} {len(cases) / cpu:10.0f} "
              f"{base_rate:11.1f} {rate / base_rate:6.0f}x"
              f"  {summary} sympy={methods.count('sympy')} slowest={slowest * 1e3:.1f}ms")
    wall, cpu = run_batch(sets[-1][2])
    print(f"\nformulas of the field through `quizgen check --batch`: {wall:.0f} verdicts/s, "
          f"{cpu:.0f} per CPU second (process start excluded)")


if __name__ == "__main__":
    main()
