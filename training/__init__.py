"""Fit-time code: strategies, optimizers, callbacks, task recipes (see docs/architecture.md).

Example:
    >>> from bert_keras.training import make_optimizer, make_strategy
    >>> strategy = make_strategy("default")
    >>> with strategy.scope():
    ...     optimizer = make_optimizer("adamw", learning_rate=3e-5, num_train_steps=1000,
    ...                                warmup_steps=100)
"""

from bert_keras.training.callbacks import StepBackup, Throughput, make_callbacks
from bert_keras.training.fit import fit
from bert_keras.optimizers import AdamW, Lamb, WarmupDecay, make_optimizer
from bert_keras.training.strategy import (batch_for_strategy, global_batch_size, is_chief,
                                          make_strategy, needs_drop_remainder, set_precision)

__all__ = ["AdamW", "Lamb", "StepBackup", "Throughput", "WarmupDecay", "batch_for_strategy", "fit",
           "global_batch_size", "is_chief", "make_callbacks", "make_optimizer", "make_strategy",
           "needs_drop_remainder", "set_precision"]
