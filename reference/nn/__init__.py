"""Layers and layer utilities: normalization modules, ``init`` and ``utils`` (clipping)."""

from reference.nn import init, utils
from reference.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormResult,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    NormResult,
    RMSNorm,
    RMSNormResult,
    T5LayerNorm,
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    rms_norm,
    t5_layer_norm,
)

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNormResult",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LayerNorm",
    "NormResult",
    "RMSNorm",
    "RMSNormResult",
    "T5LayerNorm",
    "batch_norm",
    "group_norm",
    "init",
    "instance_norm",
    "layer_norm",
    "rms_norm",
    "t5_layer_norm",
    "utils",
]
