"""Pretraining batches for `bert_pretrainer` and `model.fit`: from TFRecord shards written by
`bert-keras create-pretraining-data` (or google-research/bert), with the masks stored in them.

Each batch is `(inputs, targets, sample_weights)`: inputs `input_word_ids`, `input_mask`,
`input_type_ids`, `masked_lm_positions`; targets `mlm_logits` (the original token ids at the
masked positions) and `nsp_logits` (1 when segment B is a random sentence); the masked-LM
sample weights are `masked_lm_weights` (0 for padding predictions).

Example:
    >>> metadata = record_metadata("runs/wiki_data")  # doctest: +SKIP
    >>> one_pass = record_batches("runs/wiki_data", metadata, batch_size=32)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any

import tensorflow as tf

from bert_keras import storage
from bert_keras.training.pretraining.records import METADATA_FILE, parse_records, read_metadata

Batch = tuple[dict[str, tf.Tensor], dict[str, tf.Tensor], dict[str, tf.Tensor]]

logger = logging.getLogger(__name__)


def to_model_inputs(features: dict[str, tf.Tensor]) -> Batch:
    """Maps a (batched) dict of record features to `(inputs, targets, sample_weights)`.

    Example:
        >>> features = {"input_ids": [[2, 4, 3]], "input_mask": [[1, 1, 1]],
        ...             "segment_ids": [[0, 0, 0]], "masked_lm_positions": [[1]],
        ...             "masked_lm_ids": [[7]], "masked_lm_weights": [[1.0]],
        ...             "next_sentence_labels": [[0]]}
        >>> inputs, targets, weights = to_model_inputs(features)
        >>> sorted(inputs), sorted(targets)
        (['input_mask', 'input_type_ids', 'input_word_ids', 'masked_lm_positions'], ['mlm_logits', 'nsp_logits'])
    """
    inputs = {"input_word_ids": features["input_ids"], "input_mask": features["input_mask"],
              "input_type_ids": features["segment_ids"],
              "masked_lm_positions": features["masked_lm_positions"]}
    labels = tf.reshape(features["next_sentence_labels"], [-1])
    targets = {"mlm_logits": features["masked_lm_ids"], "nsp_logits": labels}
    weights = {"mlm_logits": features["masked_lm_weights"],
               "nsp_logits": tf.ones_like(labels, tf.float32)}
    return inputs, targets, weights


def shard_files(data_dir: str, metadata: dict[str, Any] | None = None) -> list[str]:
    """The TFRecord shards of `data_dir`: those `metadata.json` lists, else every `*.tfrecord*`
    file (e.g. data made by google-research/bert), in name order."""
    if metadata and metadata.get("shards"):
        return [storage.join(data_dir, name) for name in metadata["shards"]]
    files = sorted(storage.glob(storage.join(data_dir, "*.tfrecord*")))
    if not files:
        raise FileNotFoundError(f"{data_dir}: no *.tfrecord shards; make them with "
                                "`bert-keras create-pretraining-data`")
    return files


def record_metadata(data_dir: str, max_seq_length: int | None = None,
                    max_predictions: int | None = None) -> dict[str, Any]:
    """The metadata of the shards in `data_dir`, checked to parse, with `num_instances`.

    Lengths come from the directory's `metadata.json`; shards made elsewhere (no metadata)
    need `max_seq_length` and `max_predictions` and are counted once, here.
    """
    if storage.exists(storage.join(data_dir, METADATA_FILE)):
        metadata = read_metadata(data_dir)
    elif max_seq_length and max_predictions:
        metadata = {"max_seq_length": max_seq_length, "max_predictions_per_seq": max_predictions}
    else:
        raise FileNotFoundError(f"{data_dir}: no {METADATA_FILE}; for shards made by another "
                                "tool give --seq-length and --max-predictions")
    files = shard_files(data_dir, metadata)
    records = parse_records(files, metadata["max_seq_length"], metadata["max_predictions_per_seq"])
    try:
        next(iter(records.take(1)))
        if "num_instances" not in metadata:
            metadata["num_instances"] = int(records.reduce(0, lambda count, _: count + 1))
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(
            f"{files[0]}: records do not parse as sequences of {metadata['max_seq_length']} "
            f"tokens with {metadata['max_predictions_per_seq']} predictions (give the lengths "
            f"they were made with): {error.message.splitlines()[-1].strip()}") from None
    return metadata


def shard_policy(num_files: int, num_workers: int) -> tf.data.experimental.AutoShardPolicy:
    """How `num_workers` input pipelines split `num_files` files so that each record is read
    by exactly one of them in a pass: `FILE` (worker `i` reads whole files, `i`, `i + n`, ...)
    when there are at least as many files as workers, else `DATA` (every worker opens every
    file and keeps every `n`-th record), with a warning: reading is then repeated on every
    worker, so write at least one shard per worker (`create-pretraining-data
    --instances-per-shard`).

    Example:
        >>> shard_policy(num_files=4, num_workers=2).name
        'FILE'
    """
    if num_files < 1 or num_workers < 1:
        raise ValueError(f"need at least one file and one worker, got {num_files} file(s) "
                         f"and {num_workers} worker(s)")
    if num_files >= num_workers:
        return tf.data.experimental.AutoShardPolicy.FILE
    logger.warning("%d input file(s) for %d workers: every worker reads every file and keeps "
                   "its share of the records (sharding by data); write at least one file per "
                   "worker to shard by file", num_files, num_workers)
    return tf.data.experimental.AutoShardPolicy.DATA


def record_batches(data_dir: str, metadata: dict[str, Any], batch_size: int,
                   shuffle: bool = True, seed: int = 0, shuffle_buffer: int = 10_000,
                   input_context: tf.distribute.InputContext | None = None
                   ) -> tf.data.Dataset:
    """One pass over the shards in `data_dir` (described by `record_metadata`) in batches.

    Batches are always full (`drop_remainder`): pretraining shapes stay static, as TPUs and
    several workers need. The order is a seeded shuffle that differs from pass to pass of the
    repeated dataset; a dataset built anew repeats the same sequence of passes (exact resume).

    Without `input_context` the batches are global (`batch_size` records, all shards). With
    one (`strategy.distribute_datasets_from_function`, as `bert_keras.training.fit.fit`
    does across workers), it is one worker's share of the pass, split by `shard_policy`, in
    per-replica batches (`batch_size` is still the global one): the union of the workers'
    passes holds every record once.

    Example:
        >>> metadata = record_metadata("runs/wiki_data")  # doctest: +SKIP
        >>> worker_1_of_2 = record_batches(  # doctest: +SKIP
        ...     "runs/wiki_data", metadata, batch_size=64,
        ...     input_context=tf.distribute.InputContext(2, 1, num_replicas_in_sync=2))
    """
    files = shard_files(data_dir, metadata)
    workers, index, num_shards = 1, 0, 1
    if input_context is not None:
        workers, index = input_context.num_input_pipelines, input_context.input_pipeline_id
        batch_size = input_context.get_per_replica_batch_size(batch_size)
    if workers > 1:
        if shard_policy(len(files), workers) == tf.data.experimental.AutoShardPolicy.FILE:
            files = files[index::workers]
        else:
            num_shards = workers
    dataset = parse_records(files, metadata["max_seq_length"],
                            metadata["max_predictions_per_seq"], num_shards, index)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True).map(
        to_model_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
