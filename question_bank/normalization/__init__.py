"""Normalization layers: BatchNorm parameters, buffers and statistics."""
