"""Gradients, directional derivatives and steepest ascent."""
