"""Optimizers: ``torch.optim.Optimizer`` subclasses plus pure one-step functions."""

from reference.optim.adam import Adam, AdamStep, AdamW, adam_step

__all__ = ["Adam", "AdamW", "AdamStep", "adam_step"]
