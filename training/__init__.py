"""Fit-time code: strategies, callbacks, exact-resume `fit`, task recipes, pretraining (see
docs/architecture.md). The optimizers are in the core: `bert_keras.optimizers`.

Example:
    >>> from bert_keras.optimizers import make_optimizer
    >>> from bert_keras.training import make_strategy
    >>> strategy = make_strategy("default")
    >>> with strategy.scope():
    ...     optimizer = make_optimizer("adamw", learning_rate=3e-5, num_train_steps=1000,
    ...                                warmup_steps=100)
"""

from bert_keras.training.callbacks import StepBackup, Throughput, make_callbacks
from bert_keras.training.fit import fit
from bert_keras.training.strategy import (batch_for_strategy, global_batch_size, is_chief,
                                          make_strategy, needs_drop_remainder, set_precision)

__all__ = ["StepBackup", "Throughput", "batch_for_strategy", "fit", "global_batch_size",
           "is_chief", "make_callbacks", "make_strategy", "needs_drop_remainder",
           "set_precision"]
