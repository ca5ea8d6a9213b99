"""Fine-tune, evaluate and predict: the code behind `bert-keras finetune|evaluate|predict`.

The output directory of `finetune` is a self-contained run directory (`bert_keras.run_dir`):
`model.keras` (the best model on the validation metric), `vocab.txt`, `task.json` (the
`RunSpec`), `metrics.json` (the dev metrics of model.keras), and the training state
(backup/, logs/, history.csv, best.keras: see `bert_keras.training.callbacks`).

Example:
    >>> finetune("sst2", "path/to/hf_bert", "runs/sst2", data_dir="glue/SST-2")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from bert_keras import storage
from bert_keras.model_files import save_model
from bert_keras.models import encoder_of
from bert_keras.optimizers import make_optimizer
from bert_keras.pretrained import check_seq_length, find_source, load_encoder
from bert_keras.run_dir import (METRICS_FILE, MODEL_FILE, VOCAB_FILE, RunSpec,
                                current_versions, write_json)
from bert_keras.text import BertTokenizer
from bert_keras.training.callbacks import BEST_MODEL_FILE, DevMetrics, make_callbacks
from bert_keras.training.fit import check_backup_settings, fit
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.strategy import (global_batch_size, is_chief, make_strategy,
                                          needs_drop_remainder, set_precision)
from bert_keras.training.tasks import Recipe, get_recipe, resolve_options

def finetune(task: str, init: str, output_dir: str, data_dir: str | None = None,
             train_file: str | None = None, dev_file: str | None = None,
             vocab: str | None = None, cased: bool | None = None,
             options: FinetuneOptions = FinetuneOptions(),
             task_options: dict[str, Any] | None = None,
             verbose: str | int = "auto") -> dict[str, float]:
    """Fine-tunes a BERT model on a task and writes a self-contained run directory.

    `options` are the training options (`FinetuneOptions`: the flags of `bert-keras
    finetune`), `task_options` the task recipe's own (for example `{"doc_stride": 64}` for
    squad; a name the task does not take is a ValueError). Rerunning into a directory with a
    backup resumes it when the settings and the training data are the same, and raises a
    ValueError naming what changed otherwise; `options.restart` deletes the backup and starts
    afresh.

    Returns the dev metrics of the saved (best) model.

    Example:
        >>> finetune("sst2", "path/to/hf_bert", "runs/sst2", data_dir="glue/SST-2",
        ...          options=FinetuneOptions(epochs=2))  # doctest: +SKIP
    """
    task_options = resolve_options(task, task_options)  # unknown or invalid ones fail here
    seq_length, seed, epochs = options.seq_length, options.seed, options.epochs
    keras.utils.set_random_seed(seed)
    distribution = make_strategy(options.strategy, tpu=options.tpu)
    policy = set_precision(options.precision, distribution)
    init_spec = find_source(init, vocab, cased)
    recipe = get_recipe(task, task_options)
    data = recipe.read(data_dir, train_file, dev_file, task_options)  # bad files fail here
    max_train_examples = options.max_train_examples
    train_records = list(data.train)[:max_train_examples] if max_train_examples else data.train
    tokenizer = init_spec.tokenizer()

    batch = global_batch_size(distribution, options.batch_size)
    drop = needs_drop_remainder(distribution)
    def train_pass() -> tf.data.Dataset:
        return recipe.dataset(train_records, tokenizer, seq_length, batch, shuffle=True,
                              seed=seed, drop_remainder=drop, bucket_pool=options.bucket_pool)

    unused_passes = [train_pass()]
    # Batches per epoch, counted on the data itself: a QA example can make several windows.
    steps_per_epoch = int(unused_passes[0].cardinality())
    if steps_per_epoch < 1:
        raise ValueError(f"{task}: the training data gives no full batch of {batch} "
                         f"(cardinality {steps_per_epoch}); lower --batch-size")
    total_steps = steps_per_epoch * epochs
    dev_data = recipe.dataset(data.dev, tokenizer, seq_length, batch, shuffle=False, seed=seed,
                              drop_remainder=drop)
    settings = {
        "task": task, "init": init, "vocab": init_spec.vocab, "lowercase": init_spec.lowercase,
        "tokenizer": tokenizer.options(),
        "seq_length": seq_length, "global_batch_size": batch, "epochs": epochs,
        "learning_rate": options.learning_rate, "warmup_ratio": options.warmup_ratio,
        "weight_decay": options.weight_decay, "optimizer": options.optimizer,
        "precision": str(policy), "seed": seed, "options": task_options,
        "steps_per_epoch": steps_per_epoch, "bucket_pool": options.bucket_pool,
        "train_examples": len(train_records), "train_data_sha256": _digest(train_records),
        "dev_data_sha256": _digest(data.dev)}
    check_backup_settings(output_dir, settings, options.restart, write=is_chief(distribution))
    with distribution.scope():
        encoder = load_encoder(init_spec, tokenizer.vocabulary_size)
        check_seq_length(seq_length, encoder, init)
        model = recipe.build_model(encoder, data.label_names)
        model.compile(optimizer=make_optimizer(
            options.optimizer, learning_rate=options.learning_rate, num_train_steps=total_steps,
            warmup_steps=int(options.warmup_ratio * total_steps),
            weight_decay=options.weight_decay), jit_compile=options.xla, **recipe.compile_args())
    print(f"Fine-tuning {task}: {len(train_records)} train / {len(data.dev)} dev examples, "
          f"{epochs} epoch(s) x {steps_per_epoch} steps, global batch {batch}, "
          f"{distribution.num_replicas_in_sync} replica(s), {policy}", flush=True)
    dev_metrics = DevMetrics(lambda trained: recipe.evaluate(
        trained, data.dev, tokenizer, seq_length, data.label_names), verbose=bool(verbose))
    callbacks = make_callbacks(output_dir, monitor=recipe.monitor, mode=recipe.mode,
                               save_freq=options.backup_frequency, strategy=distribution,
                               dev_metrics=dev_metrics, batch_size=batch)
    # The pass built for counting serves the first `model.fit`; a resumed run builds another.
    fit(model, lambda: unused_passes.pop() if unused_passes else train_pass(),
        epochs=epochs, steps_per_epoch=steps_per_epoch,
        validation_data=dev_data, callbacks=callbacks, verbose=verbose)
    best = storage.join(output_dir, BEST_MODEL_FILE)
    if storage.exists(best):
        model = keras.models.load_model(best)
    result = recipe.evaluate(model, data.dev, tokenizer, seq_length, data.label_names)
    if is_chief(distribution):
        save_model(model, storage.join(output_dir, MODEL_FILE))
        storage.copyfile(init_spec.vocab, storage.join(output_dir, VOCAB_FILE))
        RunSpec(task=task, kind=recipe.kind, seq_length=seq_length,
                lowercase=init_spec.lowercase, tokenizer=tokenizer.options(),
                segments=recipe.segments(data.train),
                label_names=data.label_names, options=task_options,
                data={name: storage.abspath(path) if path else None for name, path in (
                    ("data_dir", data_dir), ("train_file", train_file), ("dev_file", dev_file))},
                bert_config=encoder_of(model).config.to_google_dict(),
                versions=current_versions()).save(output_dir)
        write_json(storage.join(output_dir, METRICS_FILE), result)
    return result


def _digest(records: Sequence[Any]) -> str:
    """A fingerprint of the examples themselves, whatever files they came from."""
    return hashlib.sha256(repr(list(records)).encode("utf-8")).hexdigest()


@dataclasses.dataclass
class Run:
    """A finished fine-tuning run directory, loaded for evaluation or prediction.

    Example:
        >>> run = Run.load("runs/sst2")  # doctest: +SKIP
        >>> run.evaluate()  # doctest: +SKIP
        {'accuracy': 0.91, ...}
    """

    model: keras.Model
    tokenizer: BertTokenizer
    spec: RunSpec

    @classmethod
    def load(cls, directory: str) -> "Run":
        spec = RunSpec.load(directory)
        if spec.kind == "pretrainer":
            raise ValueError(f"{directory} holds a pretrained model (task 'pretrain'): "
                             "fine-tune it first (`bert-keras finetune --init` it)")
        return cls(keras.models.load_model(storage.join(directory, MODEL_FILE)),
                   spec.make_tokenizer(directory), spec)

    @property
    def recipe(self) -> Recipe:
        """The task recipe with the run's options (`bert_keras.training.tasks`): its `read`,
        `evaluate`, `predict` and task-specific helpers take `run.model` and `run.tokenizer`."""
        return get_recipe(self.spec.task, self.spec.options)

    def evaluate(self, data_dir: str | None = None, dev_file: str | None = None
                 ) -> dict[str, float]:
        """Scores the model on `dev_file` or `data_dir`; with neither, on the dev data the run
        was fine-tuned with (as its task.json records it)."""
        if not (data_dir or dev_file):
            data_dir, dev_file = self.spec.data.get("data_dir"), self.spec.data.get("dev_file")
            if self.spec.options.get("dev_fraction"):  # held out of the training file
                dev_file = dev_file or self.spec.data.get("train_file")
            if not (data_dir or dev_file):
                raise ValueError("the run's task.json records no dev data (a run written "
                                 "before bert-keras recorded it); pass --dev-file or --data-dir")
        records = self.recipe.read_dev(data_dir, dev_file, self.spec.options,
                                       self.spec.label_names)
        return self.recipe.evaluate(self.model, records, self.tokenizer, self.spec.seq_length,
                                    self.spec.label_names)

    def predict(self, inputs: list[str]) -> list[str]:
        return self.recipe.predict(self.model, inputs, self.tokenizer, self.spec.seq_length,
                                   self.spec.label_names)
