"""Suite-wide settings."""

import torch

# The tests run thousands of float64 operations on tensors of a few elements; torch's thread
# pool only adds hand-off cost there (up to hundreds of times slower on a loaded 2-core box).
torch.set_num_threads(1)
