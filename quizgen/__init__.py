"""quizgen: parameterized quizzes and safe auto-grading for deep-learning optimization.

The engine: sampling (`sampling`), the quiz model (`model`), grading (`grading`, `batch`), export
(`export`) and the command line (`cli`). Importing the package is cheap; torch and sympy load only
where a command needs them.
"""

__version__ = "0.1.0"
