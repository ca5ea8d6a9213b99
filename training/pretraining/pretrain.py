"""Pretraining with masked-LM and next-sentence prediction: the code behind `bert-keras pretrain`.

Data comes either from TFRecord shards (`create-pretraining-data`, masks fixed when the data
was made) or from raw text with dynamic masking (a new mask every time a sequence comes round).
The output directory is a run directory (`bert_keras.run_dir`) that `bert-keras finetune
--init DIR` accepts: `model.keras` (the pretrainer: encoder + MLM head tied to the word
embeddings + NSP head), `vocab.txt`, `task.json` (task "pretrain", kind "pretrainer", the
settings and data) and `metrics.json` (the last epoch's), with the training state (backup/,
logs/, history.csv: see `bert_keras.training.callbacks`).

Example:
    >>> pretrain("runs/mini", data_dir="runs/wiki_data", init="mini")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import keras
import tensorflow as tf

from bert_keras import storage
from bert_keras.checkpoints import load_pretrainer
from bert_keras.model_files import save_model
from bert_keras.models import bert_pretrainer, encoder_of
from bert_keras.optimizers import make_optimizer
from bert_keras.pretrained import (Source, check_seq_length, find_source, is_random,
                                   load_encoder)
from bert_keras.run_dir import (METRICS_FILE, MODEL_FILE, VOCAB_FILE, RunSpec,
                                current_versions, write_json)
from bert_keras.text.vocab import load_vocabulary
from bert_keras.training.callbacks import make_callbacks
from bert_keras.training.fit import check_backup_settings, fit
from bert_keras.training.options import PretrainOptions
from bert_keras.training.pretraining.inputs import record_batches, record_metadata, shard_files
from bert_keras.training.pretraining.records import METADATA_FILE, read_metadata
from bert_keras.training.pretraining.text_inputs import text_dataset
from bert_keras.training.strategy import global_batch_size, is_chief, make_strategy, set_precision


def _resolve(init: str, data_dir: str | None, vocab: str | None, cased: bool | None
             ) -> Source:
    """The weights to start from, with the vocabulary and casing of the data."""
    if data_dir is None:
        return find_source(init, vocab, cased)
    data_vocab = storage.join(data_dir, VOCAB_FILE)
    source = find_source(init, vocab or (data_vocab if storage.exists(data_vocab) else None),
                         cased)
    if storage.exists(storage.join(data_dir, METADATA_FILE)):
        return dataclasses.replace(source,
                                   lowercase=bool(read_metadata(data_dir)["lowercase"]))
    return source


def _build_pretrainer(source: str, vocabulary_size: int) -> keras.Model:
    if is_random(source):
        return bert_pretrainer(load_encoder(Source(source, "", True), vocabulary_size))
    config, pretrainer = load_pretrainer(source)
    if config.vocab_size != vocabulary_size:
        raise ValueError(f"{source}: the checkpoint's vocabulary has {config.vocab_size} tokens "
                         f"but the data's vocab.txt has {vocabulary_size}; pretrain with the "
                         "checkpoint's own vocabulary")
    return pretrainer


def _file_sizes(paths: Sequence[str]) -> dict[str, int]:
    """The size of each data file: what tells, cheaply, that a run's data changed."""
    return {path: storage.getsize(path) for path in paths}


def _compile(model: keras.Model, optimizer: keras.optimizers.Optimizer, xla: bool,
             steps_per_execution: int = 1) -> None:
    model.compile(
        optimizer=optimizer,
        loss={"mlm_logits": keras.losses.SparseCategoricalCrossentropy(
                  from_logits=True, reduction="mean_with_sample_weight"),
              "nsp_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
        weighted_metrics={
            "mlm_logits": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
            "nsp_logits": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]},
        jit_compile=xla, steps_per_execution=steps_per_execution)


def pretrain(output_dir: str, init: str, data_dir: str | None = None,
             text_files: list[str] | None = None, vocab: str | None = None,
             cased: bool | None = None, options: PretrainOptions = PretrainOptions(),
             verbose: str | int = "auto",
             callbacks: Sequence[keras.callbacks.Callback] = ()) -> dict[str, float]:
    """Pretrains (or continues pretraining) a BERT model with MLM + NSP; returns the last
    epoch's metrics (`loss`, `mlm_logits_loss`, `mlm_logits_accuracy`, `nsp_logits_accuracy`).

    `init` is a preset name (random weights), an HF dir, a Google checkpoint, a `.keras` file
    or a run directory; heads the checkpoint lacks start from random values. Give either
    `data_dir` (shards) or `text_files` (dynamic masking; `vocab` defaults to the one next to
    the weights). `options` (`PretrainOptions`: the flags of `bert-keras pretrain`) set the
    rest: with text files, `seq_length` is 128 and `max_predictions` 20 unless given; shards
    take both from their `metadata.json`, and shards made by another tool need both given.
    `num_train_steps` counts optimizer updates: each takes `accumulation_steps` batches of
    `batch_size` per replica. `steps_per_epoch` (batches, a multiple of `accumulation_steps`)
    sets how often metrics are logged and the run is backed up; `num_train_steps` is rounded
    up to whole epochs. `callbacks` are added to the run's own (backup, TensorBoard, CSV
    history). A backup in `output_dir` is resumed only with the same settings and data (a
    ValueError names what changed); `options.restart` deletes it and starts afresh.

    Example:
        >>> pretrain("runs/bert", "uncased_L-12_H-768_A-12", text_files=["corpus.txt"],
        ...          options=PretrainOptions(accumulation_steps=8))  # doctest: +SKIP
    """
    if (data_dir is None) == (not text_files):
        raise ValueError("give either data_dir (create-pretraining-data shards) or text_files "
                         "(raw text, dynamic masking)")
    seq_length, max_predictions, seed = (options.seq_length, options.max_predictions,
                                         options.seed)
    accumulation_steps, num_train_steps = options.accumulation_steps, options.num_train_steps
    keras.utils.set_random_seed(seed)
    distribution = make_strategy(options.strategy, tpu=options.tpu)
    policy = set_precision(options.precision, distribution)
    source = _resolve(init, data_dir, vocab, cased)
    batch = global_batch_size(distribution, options.batch_size)
    if data_dir is not None:
        metadata = record_metadata(data_dir, seq_length, max_predictions)
        instances = int(metadata["num_instances"])

        def train_pass(context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
            return record_batches(data_dir, metadata, batch, seed=seed, input_context=context)
        seq_length = int(metadata["max_seq_length"])
        max_predictions = int(metadata["max_predictions_per_seq"])
    else:
        seq_length, max_predictions = seq_length or 128, max_predictions or 20
        text_settings = dict(seq_length=seq_length, max_predictions=max_predictions,
                             masked_lm_prob=options.masked_lm_prob,
                             whole_word=options.whole_word_mask, seed=seed)
        text_batches, instances = text_dataset(text_files, source.vocab, source.lowercase,
                                               batch, **text_settings)
        worker_batches: dict[int, tf.data.Dataset] = {}

        def train_pass(context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
            if context is None:  # endless; every iterator yields the same
                return text_batches
            if context.input_pipeline_id not in worker_batches:  # this worker's share
                worker_batches[context.input_pipeline_id] = text_dataset(
                    text_files, source.vocab, source.lowercase, batch, **text_settings,
                    input_context=context)[0]
            return worker_batches[context.input_pipeline_id]
    total_batches = num_train_steps * accumulation_steps
    steps_per_epoch = min(options.steps_per_epoch, total_batches)
    if steps_per_epoch % options.steps_per_execution:
        raise ValueError(f"steps_per_execution (--steps-per-execution): "
                         f"{options.steps_per_execution} must divide the batches per epoch "
                         f"({steps_per_epoch}, --steps-per-epoch)")
    if steps_per_epoch % accumulation_steps:
        raise ValueError(f"steps_per_epoch ({steps_per_epoch} batches) must be a multiple of "
                         f"accumulation_steps ({accumulation_steps}), so that epochs end on "
                         "an update")
    epochs = math.ceil(total_batches / steps_per_epoch)
    with distribution.scope():
        model = _build_pretrainer(source.weights, len(load_vocabulary(source.vocab)))
        check_seq_length(seq_length, encoder_of(model), init)
        _compile(model, make_optimizer(
            options.optimizer, learning_rate=options.learning_rate,
            num_train_steps=epochs * steps_per_epoch,
            warmup_steps=int(options.warmup_ratio * epochs * steps_per_epoch),
            weight_decay=options.weight_decay,
            gradient_accumulation_steps=accumulation_steps if accumulation_steps > 1 else None),
            options.xla, options.steps_per_execution)
    print(f"Pretraining: {instances} instances, {epochs} epoch(s) x {steps_per_epoch} batches "
          f"of {batch} (global), {accumulation_steps} batch(es) per update, "
          f"{epochs * steps_per_epoch // accumulation_steps} updates, "
          f"{distribution.num_replicas_in_sync} replica(s), {policy}", flush=True)
    settings = {
        "init": init, "vocab": source.vocab, "lowercase": source.lowercase,
        "data": data_dir or list(text_files or ()), "data_files": _file_sizes(
            shard_files(data_dir, metadata) if data_dir else text_files),
        "seq_length": seq_length, "max_predictions": max_predictions,
        "masked_lm_prob": options.masked_lm_prob, "whole_word_mask": options.whole_word_mask,
        "global_batch_size": batch, "num_train_steps": num_train_steps,
        "steps_per_epoch": steps_per_epoch, "accumulation_steps": accumulation_steps,
        "learning_rate": options.learning_rate, "warmup_ratio": options.warmup_ratio,
        "weight_decay": options.weight_decay, "optimizer": options.optimizer,
        "precision": str(policy), "seed": seed}
    check_backup_settings(output_dir, settings, options.restart, write=is_chief(distribution))
    run_callbacks = make_callbacks(output_dir, monitor=None, save_freq=options.backup_frequency,
                                   strategy=distribution, batch_size=batch)
    history = fit(model, train_pass, epochs=epochs, steps_per_epoch=steps_per_epoch,
                  callbacks=[*run_callbacks, *callbacks], verbose=verbose, per_worker=True)
    result = {name: float(values[-1]) for name, values in history.items()}
    if is_chief(distribution):
        save_model(model, storage.join(output_dir, MODEL_FILE))
        storage.copyfile(source.vocab, storage.join(output_dir, VOCAB_FILE))
        RunSpec(task="pretrain", kind="pretrainer", seq_length=seq_length,
                lowercase=source.lowercase,
                options={"max_predictions": max_predictions, "batch_size": batch,
                         "accumulation_steps": accumulation_steps,
                         "num_train_steps": num_train_steps, "optimizer": options.optimizer,
                         "learning_rate": options.learning_rate},
                data={"data_dir": storage.abspath(data_dir) if data_dir else None,
                      "text_files": [storage.abspath(path) for path in text_files or ()]},
                bert_config=encoder_of(model).config.to_google_dict(),
                versions=current_versions()).save(output_dir)
        if result:
            write_json(storage.join(output_dir, METRICS_FILE), result)
    return result

