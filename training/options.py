"""The options of `finetune` and `pretrain`, declared once (see `bert_keras.options`).

`RunOptions` are what every training command shares (optimizer, strategy, precision, seed,
backups); `FinetuneOptions` and `PretrainOptions` add their own. The command line builds its
flags from these fields and the Python API takes the objects, so both check the same ranges.

Example:
    >>> FinetuneOptions(epochs=2, learning_rate=1e-4).batch_size
    32
    >>> FinetuneOptions(warmup_ratio=1.5)
    Traceback (most recent call last):
    ValueError: warmup_ratio (--warmup-ratio): expected a number in [0, 1], got 1.5
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from bert_keras.options import (FRACTION, INTEGER, NON_NEGATIVE_FLOAT, POSITIVE_FLOAT,
                                POSITIVE_INT, PROBABILITY, SWITCH, Check, check_options, choice,
                                option)
from bert_keras.training.tasks.base import DEFAULT_BUCKET_POOL

OPTIMIZERS = ("adamw", "lamb")
STRATEGIES = ("auto", "default", "one_device", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
TPU_STRATEGIES = ("tpu", "auto")  # the strategies that take a --tpu
TPU_ADDRESS = Check(str, "a TPU name, grpc://host:port or local",
                    lambda value: bool(value.strip()) and value == value.strip())


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """Options every training command shares."""

    weight_decay: float = option(0.01, NON_NEGATIVE_FLOAT,
                                 "decoupled weight decay (not on biases and LayerNorm)")
    optimizer: str = option("adamw", choice(*OPTIMIZERS), "the optimizer")
    strategy: str | tf.distribute.Strategy = option(
        "auto", dataclasses.replace(choice(*STRATEGIES), accepts=(tf.distribute.Strategy,)),
        "tf.distribute strategy, by name or (in Python) the object (auto: a TPU if one is "
        "found, else every GPU, else the CPU)")
    tpu: str | None = option(None, TPU_ADDRESS,
                             "the TPU of --strategy tpu or auto: a Cloud TPU name, "
                             "grpc://host:port, or 'local' (this TPU VM's chips); default: "
                             "this host's chips, else the TPU the environment names "
                             "(TPU_NAME)")
    precision: str = option("auto", choice(*PRECISIONS),
                            "compute precision (auto: mixed_bfloat16 on TPUs, mixed_float16 on "
                            "GPUs, else float32)")
    xla: bool = option(False, SWITCH, "compile train steps with XLA")
    seed: int = option(0, INTEGER, "random seed of weights, shuffling and dropout")
    save_every: int | None = option(None, POSITIVE_INT,
                                    "back up for crash recovery every N batches (default: "
                                    "each epoch)")
    restart: bool = option(False, SWITCH,
                           "delete a backup in --output-dir and start afresh (without it, a "
                           "backup is resumed only when settings and data are the same)")

    def __post_init__(self) -> None:
        check_options(self)
        if self.tpu is not None and self.strategy not in TPU_STRATEGIES:
            strategy = (self.strategy if isinstance(self.strategy, str)
                        else type(self.strategy).__name__)
            raise ValueError(f"tpu (--tpu): a TPU is used only by --strategy tpu or auto, "
                             f"not {strategy}")

    @property
    def backup_frequency(self) -> int | str:
        """What the backup callback takes: a number of batches or "epoch"."""
        return self.save_every or "epoch"


@dataclasses.dataclass(frozen=True)
class FinetuneOptions(RunOptions):
    """Options of `bert_keras.training.finetune` and `bert-keras finetune`.

    Example:
        >>> FinetuneOptions(epochs=1, batch_size=8).seq_length
        128
    """

    seq_length: int = option(128, POSITIVE_INT, "tokens per example (longer ones are cut)")
    batch_size: int = option(32, POSITIVE_INT, "examples per batch, per replica")
    epochs: int = option(3, POSITIVE_INT, "passes over the training data")
    learning_rate: float = option(5e-5, POSITIVE_FLOAT, "peak learning rate")
    warmup_ratio: float = option(0.1, FRACTION,
                                 "fraction of the steps with a linear warm-up")
    max_train_examples: int | None = option(None, POSITIVE_INT,
                                            "use only the first N training examples")
    bucket_pool: int = option(
        DEFAULT_BUCKET_POOL, POSITIVE_INT,
        "training batches drawn together and sorted by length, so that each batch holds "
        "examples of similar length and little compute goes to padding (1: no bucketing, "
        "batches of shuffled examples); classification and QA")


@dataclasses.dataclass(frozen=True)
class PretrainOptions(RunOptions):
    """Options of `bert_keras.training.pretraining.pretrain` and `bert-keras pretrain`.

    Example:
        >>> PretrainOptions(num_train_steps=100).optimizer
        'lamb'
    """

    optimizer: str = option("lamb", choice(*OPTIMIZERS), "the optimizer")
    seq_length: int | None = option(
        None, POSITIVE_INT, "--text: sequence length (default 128); --data made by another "
                            "tool (no metadata.json): the length it was made with")
    max_predictions: int | None = option(
        None, POSITIVE_INT, "masked positions per sequence: --text (default 20), or --data "
                            "without metadata.json")
    masked_lm_prob: float = option(0.15, PROBABILITY, "--text: fraction of tokens masked")
    whole_word_mask: bool = option(False, SWITCH, "--text: mask whole words")
    batch_size: int = option(32, POSITIVE_INT, "sequences per batch, per replica")
    num_train_steps: int = option(10_000, POSITIVE_INT, "optimizer updates")
    accumulation_steps: int = option(1, POSITIVE_INT,
                                     "batches whose gradients are averaged per update")
    steps_per_epoch: int = option(1000, POSITIVE_INT,
                                  "batches between metric logs and backups")
    steps_per_execution: int = option(
        1, POSITIVE_INT, "batches per call into the compiled train step (Keras' "
                         "steps_per_execution: 100 or more on TPUs); must divide "
                         "--steps-per-epoch")
    learning_rate: float = option(1e-3, POSITIVE_FLOAT, "peak learning rate")
    warmup_ratio: float = option(0.01, FRACTION, "fraction of the steps with a linear warm-up")
