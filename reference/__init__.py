"""The techniques themselves, as explicit tensor arithmetic mirroring PyTorch's API.

Subpackages are imported on demand (``from reference.optim import Adam``); importing
``reference`` alone loads nothing heavy.
"""
