"""One answer test per kind of answer, each a module with ``grade(expected, answer, ctx)``:
number (tolerance), sigfigs (significant figures), vector (vectors and matrices), expression
(exact equivalence over the variables' domains) and choice. A new kind is one new module here
and one line in ``check.py``."""
