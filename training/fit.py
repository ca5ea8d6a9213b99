"""Training that resumes a crashed run exactly: `fit`, and `check_backup_settings`, which lets a
run directory's backup be resumed only by the run that made it (see `fit`'s example).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Sequence

import keras
import tensorflow as tf

from bert_keras import storage
from bert_keras.run_dir import write_json
from bert_keras.training.callbacks import (BACKUP_DIR, StepBackup, delete_training_state,
                                          make_callbacks)  # noqa: F401 (make_callbacks: examples)
from bert_keras.training.progress import keras_verbose
from bert_keras.training.strategy import WorkerLostError, input_pipelines, worker_lost


def _per_worker_stream(strategy: tf.distribute.Strategy,
                       train_data: Callable[[tf.distribute.InputContext], tf.data.Dataset],
                       skipped_steps: int) -> tf.distribute.DistributedDataset:
    """The repeated passes of every worker's share, `skipped_steps` steps on: each step takes
    one per-replica batch for each of the worker's replicas."""
    def worker_stream(context: tf.distribute.InputContext) -> tf.data.Dataset:
        replicas_here = context.num_replicas_in_sync // context.num_input_pipelines
        return train_data(context).repeat().skip(skipped_steps * replicas_here)
    return strategy.distribute_datasets_from_function(worker_stream)


def _check_steps_per_execution(model: keras.Model, steps_per_epoch: int, offset: int) -> None:
    """Keras runs whole executions of `model.steps_per_execution` batches: an epoch (and the
    rest of one a resumed run finishes) must be a whole number of them, or it would train
    more batches than it counts."""
    per_call = int(getattr(model, "steps_per_execution", 1) or 1)
    if steps_per_epoch % per_call:
        raise ValueError(f"steps_per_execution ({per_call}) must divide the batches per epoch "
                         f"({steps_per_epoch})")
    if offset % per_call:
        raise ValueError(f"the backup is at batch {offset} of its epoch, not a multiple of "
                         f"steps_per_execution ({per_call}): resume with the "
                         "steps_per_execution it was made with")


def fit(model: keras.Model, train_data: Callable[..., tf.data.Dataset], epochs: int,
        steps_per_epoch: int, validation_data: tf.data.Dataset | None = None,
        callbacks: Sequence[keras.callbacks.Callback] = (), delete_backup: bool = False,
        verbose: str | int = "auto", per_worker: bool = False) -> dict[str, list[float]]:
    """`model.fit` for `epochs * steps_per_epoch` batches that resumes a crashed run exactly.

    `train_data` builds one pass over the training batches, in a seeded order (a seeded
    shuffle, which may reshuffle each pass); the passes are repeated for as long as training
    runs. It is a function, called again for every `model.fit` below, because a seeded
    shuffle's later orders depend on how many iterators its dataset object has made: built
    anew, pass `k` of the repeated data always has the same order. (Distributed by a
    strategy, such a shuffle gives other, still reproducible, orders (TF 2.21): compare runs
    across strategies with `reshuffle_each_iteration=False`.)
    With a `StepBackup` among `callbacks` (as `make_callbacks` returns), the newest backup is
    restored first: training continues at the saved step, inside the interrupted epoch, on
    the batches that follow the ones already trained (`repeat().skip(step)`, which reads and
    drops those batches), and every later epoch sees the batches an uninterrupted run sees.
    Keep `steps_per_epoch` and the data the same across restarts.
    With `per_worker`, `train_data` also takes a `tf.distribute.InputContext`: where the
    model's strategy has several input pipelines (`multi_worker`, a TPU slice of several
    hosts), each worker builds its own share of a pass in per-replica batches from its context
    (`strategy.distribute_datasets_from_function`; e.g. `pretraining.inputs.record_batches`,
    which shards by file or by data); on one machine it is called without one, as above.
    `verbose` is Keras', except that "auto" shows the live progress bar only on a terminal
    (else a line per epoch: see `bert_keras.training.progress.keras_verbose`). Returns the
    merged history (`{}` if the backup shows the run had finished).
    When a `multi_worker` run loses a worker (killed, hung, unreachable), the others stop
    within seconds (TensorFlow's coordination service notices, see `strategy.worker_lost`)
    with a `WorkerLostError` that names it; started again, all of them resume together from
    the newest backup (the chief's; the other workers only read it).

    Example:
        >>> import tempfile
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> data = lambda: tf.data.Dataset.from_tensors(([[1.0]], [[2.0]]))
        >>> history = fit(model, data, epochs=2, steps_per_epoch=3, verbose=0,
        ...               callbacks=make_callbacks(tempfile.mkdtemp(), monitor="loss"))
        >>> len(history["loss"]), int(model.optimizer.iterations)
        (2, 6)
    """
    backup = next((c for c in callbacks if isinstance(c, StepBackup)), None)
    start = backup.restore(model) if backup else 0
    epoch, offset = divmod(start, steps_per_epoch)
    _check_steps_per_execution(model, steps_per_epoch, offset)
    history: dict[str, list[float]] = {}
    sharded = per_worker and input_pipelines(model.distribute_strategy) > 1
    while epoch < epochs:
        last_epoch = epoch + 1 if offset else epochs
        skipped = epoch * steps_per_epoch + offset
        data = (_per_worker_stream(model.distribute_strategy, train_data, skipped) if sharded
                else train_data().repeat().skip(skipped))
        try:
            result = model.fit(data, validation_data=validation_data, initial_epoch=epoch,
                               epochs=last_epoch, steps_per_epoch=steps_per_epoch - offset,
                               callbacks=list(callbacks), verbose=keras_verbose(verbose),
                               shuffle=False)
        except tf.errors.OpError as error:
            lost = worker_lost(model.distribute_strategy, error)
            if lost is None:
                raise
            step = backup.latest_step() if backup else 0
            resume = (f"to resume from the backup at step {step}" if step else
                      "(there is no backup yet: training starts from the beginning)")
            raise WorkerLostError(f"{lost}; start every worker again with the same command "
                                  f"{resume}") from error
        for key, values in result.history.items():
            history.setdefault(key, []).extend(values)
        epoch, offset = last_epoch, 0
    if backup and delete_backup:
        backup.delete()
    return history


BACKUP_SETTINGS_FILE = os.path.join(BACKUP_DIR, "settings.json")


def check_backup_settings(output_dir: str, settings: dict[str, Any], restart: bool,
                          write: bool = True) -> None:
    """Refuses to resume a backup made with other settings or data (a ValueError naming each
    change), deletes it first with `restart`, and records `settings` beside a new backup."""
    settings = json.loads(json.dumps(settings))  # as they read back
    path = storage.join(output_dir, BACKUP_SETTINGS_FILE)
    backup_dir = os.path.dirname(path)
    if restart and storage.isdir(backup_dir):
        print(f"--restart: deleting the backup and the training history in {output_dir}",
              flush=True)
        if write:
            delete_training_state(output_dir)
    elif StepBackup(backup_dir).latest_step():
        if not storage.exists(path):
            raise ValueError(f"{output_dir} holds a backup without a record of its settings "
                             "(made by an older bert-keras); pass --restart to start afresh")
        with storage.open_file(path, encoding="utf-8") as file:
            saved = json.load(file)
        changed = [f"{name}: {saved.get(name)!r} -> {value!r}" for name, value in
                   settings.items() if saved.get(name) != value]
        if changed:
            raise ValueError(f"{output_dir} holds the backup of a run with other settings "
                             f"({'; '.join(changed)}); rerun with the same settings to resume "
                             "it, or pass --restart to start afresh")
        return
    if write:
        storage.makedirs(backup_dir)
        write_json(path, settings)
