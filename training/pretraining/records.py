"""The pretraining record format: google-research/bert's `tf.train.Example` features.

Each record is one instance `[CLS] A [SEP] B [SEP]` with its masked-LM targets and its
next-sentence label, under the feature names and types of google-research/bert's
`create_pretraining_data.py`, so data made by either tool trains in the other:

| feature | type | length |
|---|---|---|
| `input_ids`, `input_mask`, `segment_ids` | int64 | `max_seq_length`, zero padded |
| `masked_lm_positions`, `masked_lm_ids` | int64 | `max_predictions_per_seq`, zero padded |
| `masked_lm_weights` | float | `max_predictions_per_seq`: 1.0 real, 0.0 padding |
| `next_sentence_labels` | int64 | 1: 1 = B is a random sentence, 0 = B follows A |

A directory made by `bert-keras create-pretraining-data` holds the shards (`part-00000.tfrecord`,
...), the `vocab.txt` they were made with and `metadata.json` (see `read_metadata`).

Example:
    >>> record = serialize_instance([2, 7, 4, 3, 8, 3], [0, 0, 0, 0, 1, 1], [2], [9], 1,
    ...                             max_seq_length=8, max_predictions_per_seq=2)
    >>> parsed = tf.io.parse_single_example(record, feature_spec(8, 2))
    >>> parsed["input_ids"].numpy().tolist(), parsed["input_mask"].numpy().tolist()
    ([2, 7, 4, 3, 8, 3, 0, 0], [1, 1, 1, 1, 1, 1, 0, 0])
    >>> parsed["masked_lm_weights"].numpy().tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import tensorflow as tf

from bert_keras import storage

METADATA_FILE = "metadata.json"

INT_FEATURES = ("input_ids", "input_mask", "segment_ids", "masked_lm_positions",
                "masked_lm_ids", "next_sentence_labels")
FLOAT_FEATURES = ("masked_lm_weights",)


def feature_spec(max_seq_length: int, max_predictions_per_seq: int
                 ) -> dict[str, tf.io.FixedLenFeature]:
    """The `tf.io.parse_example` spec of the records (int64, weights float32).

    Example:
        >>> spec = feature_spec(128, 20)
        >>> spec["masked_lm_weights"]
        FixedLenFeature(shape=[20], dtype=tf.float32, default_value=None)
    """
    seq, predictions = [max_seq_length], [max_predictions_per_seq]
    return {
        "input_ids": tf.io.FixedLenFeature(seq, tf.int64),
        "input_mask": tf.io.FixedLenFeature(seq, tf.int64),
        "segment_ids": tf.io.FixedLenFeature(seq, tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature(predictions, tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature(predictions, tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature(predictions, tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }


def serialize_instance(
    input_ids: Sequence[int],
    segment_ids: Sequence[int],
    masked_lm_positions: Sequence[int],
    masked_lm_ids: Sequence[int],
    next_sentence_label: int,
    max_seq_length: int,
    max_predictions_per_seq: int,
) -> bytes:
    """Pads one instance and returns it as a serialized `tf.train.Example`.

    Args:
        input_ids: `[CLS] A [SEP] B [SEP]` after masking, unpadded.
        segment_ids: 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`, same length as `input_ids`.
        masked_lm_positions: the masked positions, ascending.
        masked_lm_ids: the original token id at each masked position.
        next_sentence_label: 1 if B is a random sentence, 0 if it is A's actual continuation.

    Raises:
        ValueError: a sequence is longer than its maximum, or lengths or values disagree.

    Example:
        >>> record = serialize_instance([2, 5, 3, 6, 3], [0, 0, 0, 1, 1], [1], [5], 0, 8, 2)
        >>> len(tf.train.Example.FromString(record).features.feature["input_ids"]
        ...     .int64_list.value)
        8
        >>> serialize_instance([2, 5, 3, 6, 3], [0, 0, 0, 1], [1], [5], 0, 8, 2)
        Traceback (most recent call last):
        ...
        ValueError: segment_ids has 4 entries but input_ids has 5
    """
    _check_instance(input_ids, segment_ids, masked_lm_positions, masked_lm_ids,
                    next_sentence_label, max_seq_length, max_predictions_per_seq)
    seq_padding = [0] * (max_seq_length - len(input_ids))
    prediction_padding = [0] * (max_predictions_per_seq - len(masked_lm_positions))
    ints = {
        "input_ids": list(input_ids) + seq_padding,
        "input_mask": [1] * len(input_ids) + seq_padding,
        "segment_ids": list(segment_ids) + seq_padding,
        "masked_lm_positions": list(masked_lm_positions) + prediction_padding,
        "masked_lm_ids": list(masked_lm_ids) + prediction_padding,
        "next_sentence_labels": [int(next_sentence_label)],
    }
    features = {name: tf.train.Feature(int64_list=tf.train.Int64List(value=values))
                for name, values in ints.items()}
    weights = [1.0] * len(masked_lm_positions) + [0.0] * len(prediction_padding)
    features["masked_lm_weights"] = tf.train.Feature(float_list=tf.train.FloatList(value=weights))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def _check_instance(input_ids: Sequence[int], segment_ids: Sequence[int],
                    masked_lm_positions: Sequence[int], masked_lm_ids: Sequence[int],
                    next_sentence_label: int, max_seq_length: int,
                    max_predictions_per_seq: int) -> None:
    if len(input_ids) > max_seq_length:
        raise ValueError(f"input_ids has {len(input_ids)} tokens, more than max_seq_length "
                         f"{max_seq_length}")
    if len(segment_ids) != len(input_ids):
        raise ValueError(f"segment_ids has {len(segment_ids)} entries but input_ids has "
                         f"{len(input_ids)}")
    if len(masked_lm_positions) > max_predictions_per_seq:
        raise ValueError(f"{len(masked_lm_positions)} masked positions, more than "
                         f"max_predictions_per_seq {max_predictions_per_seq}")
    if len(masked_lm_ids) != len(masked_lm_positions):
        raise ValueError(f"masked_lm_ids has {len(masked_lm_ids)} entries but "
                         f"masked_lm_positions has {len(masked_lm_positions)}")
    if any(not 0 <= position < len(input_ids) for position in masked_lm_positions):
        raise ValueError(f"masked_lm_positions {list(masked_lm_positions)} outside the "
                         f"{len(input_ids)} tokens")
    if next_sentence_label not in (0, 1):
        raise ValueError(f"next_sentence_label must be 0 or 1, got {next_sentence_label!r}")


def parse_records(files: Sequence[str], max_seq_length: int, max_predictions_per_seq: int,
                  num_shards: int = 1, shard_index: int = 0) -> tf.data.Dataset:
    """An unbatched dataset of the records in `files`, read one file after another in order.

    With `num_shards` > 1 only every `num_shards`-th record from the `shard_index`-th on is
    kept (and parsed): one worker's share when several split files by data.

    Each element is a dict of the seven features: int32 (`masked_lm_weights` float32),
    `[max_seq_length]` or `[max_predictions_per_seq]` (`next_sentence_labels`: `[1]`). The
    lengths must be the ones the records were written with (see `read_metadata`).

    Raises:
        ValueError: `files` is empty.
        FileNotFoundError: a file does not exist.

    Example:
        >>> metadata = read_metadata("data/pretrain")  # doctest: +SKIP
        >>> dataset = parse_records(                    # doctest: +SKIP
        ...     [os.path.join("data/pretrain", name) for name in metadata["shards"]],
        ...     metadata["max_seq_length"], metadata["max_predictions_per_seq"])
    """
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    files = [os.fspath(path) for path in files]
    if not files:
        raise ValueError("parse_records needs at least one TFRecord file")
    for path in files:
        if not storage.exists(path):
            raise FileNotFoundError(f"TFRecord file not found: {path}")
    spec = feature_spec(max_seq_length, max_predictions_per_seq)

    def parse(record: tf.Tensor) -> dict[str, tf.Tensor]:
        example = tf.io.parse_single_example(record, spec)
        return {name: tf.cast(value, tf.float32 if name in FLOAT_FEATURES else tf.int32)
                for name, value in example.items()}

    records = tf.data.TFRecordDataset(files)
    if num_shards > 1:
        records = records.shard(num_shards, shard_index)
    return records.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def read_metadata(directory: str | os.PathLike) -> dict:
    """Reads `metadata.json` of a `bert-keras create-pretraining-data` output directory.

    It holds `max_seq_length`, `max_predictions_per_seq`, `lowercase`, `vocab_size`,
    `num_instances`, the recipe settings, `shards` (file names relative to `directory`) and
    the statistics of the run.

    Raises:
        FileNotFoundError: no `metadata.json` (not such a directory, or the run did not finish).
        ValueError: the file is not valid JSON.

    Example:
        >>> read_metadata("data/pretrain")["max_seq_length"]  # doctest: +SKIP
        128
    """
    path = storage.join(os.fspath(directory), METADATA_FILE)
    if not storage.exists(path):
        raise FileNotFoundError(
            f"{path} not found: {os.fspath(directory)} is not the output of a finished "
            f"`bert-keras create-pretraining-data` run")
    with storage.open_file(path, encoding="utf-8") as file:
        text = file.read()
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(metadata).__name__}")
    return metadata
