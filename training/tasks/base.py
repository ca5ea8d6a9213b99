"""What every fine-tuning recipe provides (classification, tagging, QA).

A recipe turns records from `bert_keras.data` into batches for `model.fit`, builds the task
model on an encoder, and scores predictions with `bert_keras.training.metrics`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, Sequence

import keras
import tensorflow as tf

from bert_keras import storage
from bert_keras.data import DataError
from bert_keras.text import BertTokenizer


def find_data_file(data_dir: str, names: Sequence[str]) -> str:
    """The first of `names` that exists in `data_dir` (a `DataError` naming them all if none).

    Example:
        >>> find_data_file("glue/SST-2", ("train.tsv",))  # doctest: +SKIP
        'glue/SST-2/train.tsv'
    """
    for name in names:
        if storage.exists(storage.join(data_dir, name)):
            return storage.join(data_dir, name)
    raise DataError(data_dir, None, f"none of {', '.join(names)} found")


# Training batches sorted by length together (`FinetuneOptions.bucket_pool`). Pools of 4 keep
# Hugging Face's mean dev scores on SST-2 and MRPC at 1.3x its speed or more; pools of 32 were
# faster but cost about 0.3 points. docs/results.md, "Fine-tuning quality over seeds", has the
# runs.
DEFAULT_BUCKET_POOL = 4


def length_bucketed_batches(dataset: tf.data.Dataset, batch_size: int, seed: int,
                            drop_remainder: bool = False, pool: int = DEFAULT_BUCKET_POOL,
                            multiple: int = 16) -> tf.data.Dataset:
    """Shuffled batches of rows of similar length, each cut to its longest row.

    `dataset` yields `(inputs, targets)` rows whose `inputs` are the encoder inputs padded to
    a fixed length. The rows are shuffled, sorted by length within pools of `pool` batches,
    batched, the batches shuffled again and each cut to its longest row rounded up to a
    multiple of `multiple` (few distinct shapes, so few retraces). `pool=1` is no bucketing:
    batches of randomly shuffled rows, each padded to its longest. An epoch keeps its number
    of batches and its order is reproducible from `seed`. Trimming only drops padding, so
    targets that index tokens (QA start/end positions) stay valid.

    Example:
        >>> rows = tf.data.Dataset.from_tensor_slices(({"input_word_ids": [[1, 2, 0, 0]] * 3,
        ...     "input_mask": [[1, 1, 0, 0]] * 3, "input_type_ids": [[0] * 4] * 3}, [0, 1, 0]))
        >>> batch, _ = next(iter(length_bucketed_batches(rows, 2, seed=0, multiple=1)))
        >>> batch["input_word_ids"].shape[1]  # padding cut: the longest row has 2 tokens
        2
    """
    rows = int(dataset.cardinality())
    batches = rows // batch_size if drop_remainder else -(-rows // batch_size)

    def by_length(inputs, targets):
        order = tf.argsort(_lengths(inputs), stable=True)
        return tf.nest.map_structure(lambda values: tf.gather(values, order), (inputs, targets))

    def trimmed(inputs, targets):
        longest = tf.reduce_max(_lengths(inputs))
        width = tf.minimum(-(-longest // multiple) * multiple,
                           tf.shape(inputs["input_mask"])[1])
        return {name: values[:, :width] for name, values in inputs.items()}, targets

    return (dataset.shuffle(rows, seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size * pool).map(by_length).unbatch()
            .batch(batch_size, drop_remainder=drop_remainder)
            .shuffle(pool, seed=seed + 1, reshuffle_each_iteration=True)
            .map(trimmed, num_parallel_calls=tf.data.AUTOTUNE)
            .apply(tf.data.experimental.assert_cardinality(batches)))


def _lengths(inputs: dict[str, tf.Tensor]) -> tf.Tensor:
    return tf.reduce_sum(tf.cast(inputs["input_mask"], tf.int32), axis=-1)


@dataclasses.dataclass(frozen=True)
class TaskData:
    """Train and dev records of a task and the names of its labels (None for regression)."""

    train: Sequence[Any]
    dev: Sequence[Any]
    label_names: tuple[str, ...] | None


class Recipe(Protocol):
    name: str
    kind: str  # of model, as `bert_keras.run_dir.KINDS` names it (what export serves)
    # The validation metric that picks the best model: a Keras metric ("val_accuracy") or
    # "val_" + a key of `evaluate`'s result ("val_f1"), which finetune adds every epoch.
    monitor: str
    mode: str  # "max" or "min"

    def read(self, data_dir: str | None, train_file: str | None, dev_file: str | None,
             options: dict[str, Any]) -> TaskData: ...

    def read_dev(self, data_dir: str | None, dev_file: str | None, options: dict[str, Any],
                 label_names: tuple[str, ...] | None) -> Sequence[Any]: ...

    def segments(self, records: Sequence[Any]) -> int: ...  # texts per example

    def build_model(self, encoder: keras.Model, label_names: tuple[str, ...] | None
                    ) -> keras.Model: ...

    def compile_args(self) -> dict[str, Any]: ...

    def dataset(self, records: Sequence[Any], tokenizer: BertTokenizer, seq_length: int,
                batch_size: int, shuffle: bool, seed: int, drop_remainder: bool = False,
                bucket_pool: int = DEFAULT_BUCKET_POOL) -> tf.data.Dataset: ...
    # `bucket_pool`: for `shuffle=True`, the `pool` of `length_bucketed_batches`.

    def evaluate(self, model: keras.Model, records: Sequence[Any], tokenizer: BertTokenizer,
                 seq_length: int, label_names: tuple[str, ...] | None) -> dict[str, float]: ...

    def predict(self, model: keras.Model, inputs: Sequence[str], tokenizer: BertTokenizer,
                seq_length: int, label_names: tuple[str, ...] | None) -> list[str]: ...
    # Optionally also `predict_results` (same arguments) -> a dict per input of JSON values
    # (label and probabilities, score, tags and entities, answer), which `bert-keras predict
    # --json` prints; without it, each JSON line holds `predict`'s text as "prediction".
