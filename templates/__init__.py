"""Jinja2 templates for every export format; shipped in the wheel as quizgen.templates."""
