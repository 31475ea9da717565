"""Small integer weight matrices for the spectral families: sampling, LaTeX, exact sigma.

The exact largest singular value is derived from the 2x2 Gram matrix :math:`G = WW^\\top`
(for a 2x3 W its nonzero eigenvalues are those of :math:`W^\\top W`):
:math:`\\lambda_{\\pm} = (\\operatorname{tr} G \\pm \\sqrt{(\\operatorname{tr} G)^2 -
4\\det G})/2`, :math:`\\sigma_{max} = \\sqrt{\\lambda_+}`. It never calls reference/.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank._format import num
from question_bank._memo import per_variant

Matrix = list[list[float]]


def sample_matrix(rng: random.Random, rows: int, cols: int, low: int, high: int) -> Matrix:
    """Integer entries in [low, high], every row and column nonzero, rank 2 (no zero sigma)."""
    while True:
        w = [[rng.randint(low, high) for _ in range(cols)] for _ in range(rows)]
        if all(any(r) for r in w) and all(any(r[j] for r in w) for j in range(cols)) and (
            gram_det(w) != 0
        ):
            return w


@per_variant
def gram(w: Matrix) -> sp.ImmutableMatrix:
    """:math:`G = WW^\\top`, exactly (2x2 for the 2-row matrices used here)."""
    m = sp.Matrix([[sp.Rational(str(x)) for x in r] for r in w])
    return sp.ImmutableMatrix(m * m.T)  # shared by every caller: never changed


def gram_det(w: Matrix) -> float:
    return float(gram(w).det())


@per_variant
def gram_eigenvalues(w: Matrix) -> tuple[sp.Expr, sp.Expr]:
    """(lambda_+, lambda_-) of the 2x2 Gram matrix, in closed form."""
    g = gram(w)
    tr, det = g.trace(), g.det()
    root = sp.sqrt(tr**2 - 4 * det)
    return (tr + root) / 2, (tr - root) / 2


def exact_sigma(w: Matrix) -> sp.Expr:
    """:math:`\\sigma_{max} = \\sqrt{\\lambda_{max}(W^\\top W)}`, exactly."""
    return sp.sqrt(gram_eigenvalues(w)[0])


def tensor(w) -> torch.Tensor:
    return torch.tensor(w, dtype=torch.float64)


def matrix_tex(w, sig: int = 6) -> str:
    body = " \\\\ ".join(" & ".join(num(x, sig) for x in r) for r in w)
    return "\\begin{pmatrix}" + body + "\\end{pmatrix}"


def flat(w) -> list[float]:
    """Row-major entries: how a matrix answer is typed and graded."""
    return [float(x) for r in w for x in r]


def frobenius(w) -> float:
    return math.sqrt(sum(x * x for r in w for x in r))


def max_abs_entry(w) -> float:
    return float(max(abs(x) for r in w for x in r))


def matvec(w, x) -> list[float]:
    return [sum(a * b for a, b in zip(r, x)) for r in w]


def transpose(w) -> list[list[float]]:
    return [list(c) for c in zip(*w)]
