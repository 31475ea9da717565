"""Optimizers: ``torch.optim.Optimizer`` subclasses plus pure one-step functions."""

from reference.optim.adafactor import (
    Adafactor,
    AdafactorStep,
    HFAdafactorStep,
    adafactor_step,
    hf_adafactor_step,
)
from reference.optim.adagrad import Adagrad, AdagradStep, adagrad_step
from reference.optim.adam import Adam, AdamStep, AdamW, adam_step
from reference.optim.rmsprop import RMSprop, RMSpropStep, rmsprop_step
from reference.optim.schedulefree import (
    AdamWScheduleFree,
    AdamWScheduleFreeStep,
    ScheduleFreeWeight,
    SGDScheduleFree,
    SGDScheduleFreeStep,
    adamw_schedulefree_step,
    schedulefree_weight,
    sgd_schedulefree_step,
)
from reference.optim.sgd import SGD, SGDStep, sgd_step

__all__ = [
    "SGD",
    "SGDStep",
    "sgd_step",
    "Adagrad",
    "AdagradStep",
    "adagrad_step",
    "RMSprop",
    "RMSpropStep",
    "rmsprop_step",
    "Adam",
    "AdamW",
    "AdamStep",
    "adam_step",
    "Adafactor",
    "AdafactorStep",
    "adafactor_step",
    "HFAdafactorStep",
    "hf_adafactor_step",
    "SGDScheduleFree",
    "SGDScheduleFreeStep",
    "sgd_schedulefree_step",
    "AdamWScheduleFree",
    "AdamWScheduleFreeStep",
    "adamw_schedulefree_step",
    "ScheduleFreeWeight",
    "schedulefree_weight",
]
