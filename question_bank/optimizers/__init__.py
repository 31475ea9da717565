"""Optimizer update rules: SGD, momentum, Adagrad, RMSprop, Adam, AdamW, Adafactor, schedule-free."""
