"""What every fine-tuning recipe provides (classification, tagging, QA).

A recipe turns records from `bert_keras.data` into batches for `model.fit`, builds the task
model on an encoder, and scores predictions with `training.metrics`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Protocol, Sequence

import keras
import tensorflow as tf

from bert_keras.data import DataError
from bert_keras.text import BertTokenizer


def find_data_file(data_dir: str, names: Sequence[str]) -> str:
    """The first of `names` that exists in `data_dir` (a `DataError` naming them all if none).

    Example:
        >>> find_data_file("glue/SST-2", ("train.tsv",))  # doctest: +SKIP
        'glue/SST-2/train.tsv'
    """
    for name in names:
        if os.path.exists(os.path.join(data_dir, name)):
            return os.path.join(data_dir, name)
    raise DataError(data_dir, None, f"none of {', '.join(names)} found")


@dataclasses.dataclass(frozen=True)
class TaskData:
    """Train and dev records of a task and the names of its labels (None for regression)."""

    train: Sequence[Any]
    dev: Sequence[Any]
    label_names: tuple[str, ...] | None


class Recipe(Protocol):
    name: str
    monitor: str  # the validation metric that picks the best model, e.g. "val_accuracy"
    mode: str  # "max" or "min"

    def read(self, data_dir: str | None, train_file: str | None, dev_file: str | None,
             options: dict[str, Any]) -> TaskData: ...

    def read_dev(self, data_dir: str | None, dev_file: str | None, options: dict[str, Any],
                 label_names: tuple[str, ...] | None) -> Sequence[Any]: ...

    def build_model(self, encoder: keras.Model, label_names: tuple[str, ...] | None
                    ) -> keras.Model: ...

    def compile_args(self) -> dict[str, Any]: ...

    def dataset(self, records: Sequence[Any], tokenizer: BertTokenizer, seq_length: int,
                batch_size: int, shuffle: bool, seed: int,
                drop_remainder: bool = False) -> tf.data.Dataset: ...

    def evaluate(self, model: keras.Model, records: Sequence[Any], tokenizer: BertTokenizer,
                 seq_length: int, label_names: tuple[str, ...] | None) -> dict[str, float]: ...

    def predict(self, model: keras.Model, inputs: Sequence[str], tokenizer: BertTokenizer,
                seq_length: int, label_names: tuple[str, ...] | None) -> list[str]: ...
