"""``quizgen serve`` as an LTI 1.3 Advantage tool: launched from an LMS course (Moodle,
Canvas, Blackboard, Brightspace, Open edX), with deep linking, grade passback (AGS) and the
course roster (NRPS). Built on pylti1p3 (protocol) and PyJWT/jwcrypto (keys and tokens); the
state it keeps lives in the gradebook database. See docs/lti.md.

Modules: :mod:`config` (the platforms and the tool's keys), :mod:`launch` (login and launch
checks), :mod:`tool` (the ``/lti`` endpoints), :mod:`passback` (scores to the LMS),
:mod:`pages` (the teacher's LMS page), :mod:`store` (tables), :mod:`http` (bounded calls).
"""
