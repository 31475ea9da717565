"""Grading throughput: quizgen.grading.check vs the naive SymPy baseline, on the same answers.

    PYTHONPATH=. python bench/grading.py [--seconds 2] [--seed 0]

Four generated answer sets (numbers in mixed notation; simple polynomial/rational expressions;
trig identities; 3-vectors), each a mix of right and wrong answers to a few dozen questions, as a
class's submissions are. The baseline is ``simplify(sympify(a) - sympify(b)) == 0`` on the same
(trusted, generated) strings; it is timed on a prefix of each set, since it is slow. Everything
runs in this one process, on one core. Prints verdicts/s for both and the ratio.
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

    statuses = []
    start = time.perf_counter()
    for expected, answer, variables in cases:
        if kind == "vector":
            verdict = check(expected, answer, kind="vector")
        else:
            verdict = check(expected, answer, kind=kind, variables=variables)
        statuses.append(verdict.status)
    return time.perf_counter() - start, statuses


def run_baseline(cases, kind: str, seconds: float) -> tuple[float, int]:
    """The naive grader: sympify both (trusted here) and simplify the difference."""
    import sympy

    done = 0
    start = time.perf_counter()
    for expected, answer, _ in cases:
        a = answer.replace("^", "**").replace("×", "*")
        if kind == "vector":
            e_vec = sympy.Matrix(sympy.sympify(expected))
            a_vec = sympy.Matrix(sympy.sympify("[" + a.strip("[]()") + "]"))
            _ = (e_vec - a_vec).applyfunc(sympy.simplify) == sympy.zeros(*e_vec.shape)
        else:
            _ = sympy.simplify(sympy.sympify(a) - sympy.sympify(expected.replace("^", "**"))) == 0
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
    ]
    print(f"{'set':20} {'answers':>8} {'quizgen/s':>11} {'baseline/s':>11} {'ratio':>7}  verdicts")
    for name, kind, cases in sets:
        elapsed, statuses = run_quizgen(cases, kind)
        rate = len(cases) / elapsed
        base_elapsed, base_done = run_baseline(cases, kind, args.seconds)
        base_rate = base_done / base_elapsed
        counts = {s: statuses.count(s) for s in ("correct", "incorrect", "invalid")}
        summary = " ".join(f"{k}={v}" for k, v in counts.items())
        print(f"{name:20} {len(cases):8d} {rate:11.0f} {base_rate:11.1f} {rate / base_rate:6.0f}x"
              f"  {summary}")


if __name__ == "__main__":
    main()
