"""Spectral norm: the exact largest singular value, power iteration, normalized weights."""
