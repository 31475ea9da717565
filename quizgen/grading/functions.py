"""The functions an answer may use: their spellings, arities and what each evaluator calls.

One table for the lexer (spellings), the parser (arity), the float evaluators (numeric.py), the
high-precision evaluator (precise.py) and the SymPy bridge (symbolic.py), so adding a function is
one entry here plus one line in each evaluator's table.
"""

from __future__ import annotations

# spelling a student types -> canonical name
SPELLINGS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "asin": "asin", "acos": "acos", "atan": "atan",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "exp": "exp", "log": "log", "ln": "log", "lg": "log10", "log10": "log10", "log2": "log2",
    "sqrt": "sqrt", "abs": "abs", "Abs": "abs",
    # the vocabulary of deep learning
    "sigmoid": "sigmoid", "sigma": "sigmoid",  # σ(x), unless sigma is a declared variable
    "softplus": "softplus", "relu": "relu", "ReLU": "relu",
    "max": "max", "min": "min", "sign": "sign", "sgn": "sign",
    "floor": "floor", "ceil": "ceil", "log1p": "log1p", "expm1": "expm1", "erf": "erf",
}

# functions of any number (>= 1) of arguments; every other function takes exactly one
VARIADIC = frozenset({"max", "min"})

# defined for real arguments only: a complex argument makes the value undefined there
REAL_ONLY = frozenset({"max", "min", "sign", "floor", "ceil", "relu", "erf"})

# piecewise: equal values at random points are not an identity SymPy should be asked to prove
PIECEWISE = frozenset({"max", "min", "sign", "floor", "ceil", "relu", "abs"})
