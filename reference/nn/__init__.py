"""Layers and layer utilities: normalization modules, ``init`` and ``utils`` (clipping)."""

from reference.nn import init, utils
from reference.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNormResult, batch_norm

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNormResult", "batch_norm", "init", "utils"]
