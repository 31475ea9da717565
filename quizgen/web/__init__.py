"""``quizgen serve``: students take a quiz in the browser and are graded on submit; the teacher
watches the results live.

:func:`create_app` builds the Flask application around a :class:`Classroom` (the quiz, its
roster, tokens and variants, and the gradebook); :func:`serve` runs it under waitress. See
docs/web.md.
"""

from .app import WebOptions, create_app
from .classroom import Classroom, ServeError, Settings
from .server import serve

__all__ = ["Classroom", "ServeError", "Settings", "WebOptions", "create_app", "serve"]
