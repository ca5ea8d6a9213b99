"""The callbacks of a training run: crash backups, the best model, history and speed.

`make_callbacks(output_dir)` gives a run directory with:

    output_dir/backup/step-<N>.weights.h5   latest weights + optimizer state (resume after a crash)
    output_dir/best.keras                   best model so far on the monitored validation metric
                                            (a Keras metric, or a task metric from `DevMetrics`)
    output_dir/logs/                        TensorBoard (when the tensorboard package is installed)
    output_dir/history.csv                  one row per epoch (appended to across restarts)

Keras' own `BackupAndRestore` (3.15) records the batch it saved at but resumes at the start of
that epoch, so a run killed mid-epoch replays the epoch's first batches on top of weights that
already saw them and ends with more optimizer steps than an uninterrupted run. `StepBackup`
plus `bert_keras.training.fit.fit` resume at the exact step, with the data at the same
position.

Example:
    >>> import tempfile
    >>> [type(c).__name__ for c in make_callbacks(tempfile.mkdtemp(), tensorboard=False)]
    ['StepBackup', 'BestModel', 'HistoryLogger']
"""

from __future__ import annotations

import csv
import errno
import importlib.util
import io
import os
import re
import time
from typing import Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from bert_keras import storage
from bert_keras.model_files import save_model
from bert_keras.training.progress import progress_shown
from bert_keras.training.strategy import chief_value, is_chief

_BACKUP_FILE = re.compile(r"^step-(\d+)\.weights\.h5$")
# What `make_callbacks` writes into a run directory while it trains.
BACKUP_DIR = "backup"
LOGS_DIR = "logs"
HISTORY_FILE = "history.csv"
BEST_MODEL_FILE = "best.keras"
TRAINING_STATE = (BACKUP_DIR, LOGS_DIR, HISTORY_FILE, BEST_MODEL_FILE)


def delete_training_state(output_dir: str) -> None:
    """Removes what `make_callbacks` wrote into `output_dir` (backup, logs, history, best
    model), so that a run starts afresh there."""
    for name in TRAINING_STATE:
        path = storage.join(output_dir, name)
        if storage.isdir(path):
            storage.rmtree(path)
        elif storage.exists(path):
            storage.remove(path)


class StepBackup(keras.callbacks.Callback):
    """Backs up the model and optimizer state every `save_freq` steps (an int) and at the end
    of every epoch, to `backup_dir/step-<N>.weights.h5` (with dropout's random state in
    `step-<N>.seeds.npz`), where N counts the batches trained.

    Each file is written under a temporary name and then renamed, so a kill while saving
    leaves the previous backup intact (`restore` removes what it left); older backups are
    removed afterwards. A save that fails, or that the disk has no room for, raises an
    `OSError` naming the backup and leaves the previous one. With
    `write=False` (multi-worker runs, on all but the chief) it restores but never writes, so
    every worker must see the chief's `backup_dir` (a shared file system or bucket); under
    a multi-worker strategy every worker restores the step the chief restores.
    Resume through `bert_keras.training.fit.fit`, which restores the backup, skips the batches
    already trained and continues inside the interrupted epoch.

    Example:
        >>> import tempfile
        >>> StepBackup(tempfile.mkdtemp(), save_freq=100).latest_step()
        0
    """

    def __init__(self, backup_dir: str, save_freq: int | str = "epoch", write: bool = True):
        super().__init__()
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive int, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.write = write
        self.step = 0
        self._saved_step = 0
        self._epoch_start_step = 0
        self._restored = False

    def _backups(self) -> dict[int, str]:
        if not storage.isdir(self.backup_dir):
            return {}
        return {int(match.group(1)): storage.join(self.backup_dir, name)
                for name in storage.listdir(self.backup_dir)
                if (match := _BACKUP_FILE.match(name))}

    def latest_step(self) -> int:
        """The step of the newest backup on disk (0 if there is none)."""
        return max(self._backups(), default=0)

    def restore(self, model: keras.Model) -> int:
        """Loads the newest backup into `model` (built and compiled) and returns its step."""
        if self.write:
            self._remove_partials()  # of a save that was killed
        # Every worker resumes where the chief does (it may have deleted, with --restart, a
        # backup that another worker still sees).
        self.step = self._saved_step = chief_value(model.distribute_strategy, self.latest_step())
        if self.step:
            if self.step not in self._backups():
                raise RuntimeError(
                    f"the chief resumes from its backup at step {self.step}, which "
                    f"{self.backup_dir} lacks on this worker: every worker must see the chief's "
                    "backup directory (a shared file system or bucket)")
            if model.optimizer is None:
                raise ValueError("compile the model before restoring a backup into it")
            if not model.optimizer.built:
                with model.distribute_strategy.scope():
                    model.optimizer.build(model.trainable_variables)
            model.load_weights(self._backups()[self.step])
            self._restore_seeds(model, self._seeds_path(self.step))
        self._restored = True
        return self.step

    def on_train_begin(self, logs=None):
        if not self._restored and self.latest_step():
            raise RuntimeError(
                f"{self.backup_dir} holds a backup at step {self.latest_step()}: resume with "
                "bert_keras.training.fit.fit(...), or delete the directory to start afresh")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_step = self.step

    def on_train_batch_end(self, batch, logs=None):
        self.step = self._epoch_start_step + batch + 1
        if self.save_freq == "epoch":
            return
        if self.step // self.save_freq > self._saved_step // self.save_freq:
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self.step != self._saved_step:
            self._save()

    def _save(self) -> None:
        self._saved_step = self.step
        if not self.write:
            return
        older = self._backups()
        weights = storage.join(self.backup_dir, f"step-{self.step}.weights.h5")
        storage.makedirs(self.backup_dir)
        self._check_free_space(weights)
        try:
            with storage.open_file(self._partial(".seeds.npz"), "wb") as file:
                np.savez(file, *[v.numpy() for v in _seed_states(self.model)])
            self.model.save_weights(self._partial(".weights.h5"))
            storage.replace(self._partial(".seeds.npz"), self._seeds_path(self.step))
            storage.replace(self._partial(".weights.h5"), weights)
        except OSError as error:  # h5py's messages span lines and do not name the file
            self._remove_partials()
            raise OSError(error.errno, f"cannot write the backup {weights}: "
                          f"{os.strerror(error.errno) if error.errno else error}") from None
        for step, path in older.items():
            if step != self.step:
                storage.remove(path)
                if storage.exists(self._seeds_path(step)):
                    storage.remove(self._seeds_path(step))

    def _check_free_space(self, weights: str) -> None:
        """Refuses a save that cannot fit: HDF5 crashes the process at exit (a segfault) after
        a write that fills the disk, so the disk must not fill while h5py writes. A bucket
        (a URL) has no such limit and is not checked."""
        variables = self.model.weights + (self.model.optimizer.variables
                                          if self.model.optimizer else [])
        needed = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)
        needed += needed // 20 + (1 << 20)  # HDF5's own structures, with room to spare
        free = storage.free_bytes(self.backup_dir)
        if free is not None and free < needed:
            raise OSError(errno.ENOSPC, f"cannot write the backup {weights}: it needs about "
                                        f"{needed >> 20} MiB and the disk has {free >> 20} MiB free")

    def _partial(self, suffix: str) -> str:
        return storage.join(self.backup_dir, f"partial{suffix}")

    def _remove_partials(self) -> None:
        """Removes what a save that failed or was killed left behind."""
        for suffix in (".seeds.npz", ".weights.h5"):
            if storage.exists(self._partial(suffix)):
                storage.remove(self._partial(suffix))

    def _seeds_path(self, step: int) -> str:
        return storage.join(self.backup_dir, f"step-{step}.seeds.npz")

    @staticmethod
    def _restore_seeds(model: keras.Model, path: str) -> None:
        """Dropout's random state at the backup, so a resumed run draws the masks the
        uninterrupted run would have drawn (`save_weights` leaves seed generators out)."""
        if not storage.exists(path):
            return
        with np.load(io.BytesIO(storage.read_bytes(path))) as saved:
            values = [saved[f"arr_{index}"] for index in range(len(saved.files))]
        states = _seed_states(model)
        if len(values) == len(states):
            for state, value in zip(states, values):
                state.assign(value)

    def delete(self) -> None:
        """Removes the backup directory (this process writes backups only)."""
        if self.write and storage.isdir(self.backup_dir):
            storage.rmtree(self.backup_dir)


def _seed_states(model: keras.Model) -> list:
    """The state variables of the model's random seed generators (dropout), in layer order."""
    return [variable for variable in model.variables if "seed_generator" in variable.path]


class Throughput(keras.callbacks.Callback):
    """Adds the epoch's training speed to its logs as `examples_per_second`.

    The clock starts when the first `skip` batches of the epoch are done (the first one traces
    the train step) and stops at the end of its last batch, so validation, `DevMetrics` and
    end-of-epoch saving are not counted. Examples are batches x `batch_size` (the global
    batch), counted from the batch numbers Keras passes (with `steps_per_execution` it calls
    back once per execution, with the number of its last batch); an epoch with no batch after
    the skipped ones (a run resumed at its end) logs NaN.
    Put it before the callbacks that read the logs (`make_callbacks` does).

    Example:
        >>> callback = Throughput(batch_size=32, skip=1)
        >>> callback.on_epoch_begin(0)
        >>> for batch in range(3):
        ...     callback.on_train_batch_end(batch)
        >>> logs = {}
        >>> callback.on_epoch_end(0, logs)
        >>> logs["examples_per_second"] > 0
        True
    """

    def __init__(self, batch_size: int, skip: int = 1):
        super().__init__()
        if skip < 1:
            raise ValueError(f"skip must be at least 1 (the first batch traces), got {skip}")
        self.batch_size, self.skip = batch_size, skip

    def on_epoch_begin(self, epoch, logs=None):
        self._calls, self._first, self._last = 0, None, None
        self._start, self._end = None, None

    def on_train_batch_end(self, batch, logs=None):
        self._calls += 1
        if self._calls == self.skip:
            self._start, self._first = time.perf_counter(), batch
        self._end, self._last = time.perf_counter(), batch

    def on_epoch_end(self, epoch, logs=None):
        timed = self._last - self._first if self._first is not None else 0
        if logs is not None:  # NaN when not measured, so every epoch has the same columns
            logs["examples_per_second"] = (
                timed * self.batch_size / (self._end - self._start)
                if timed > 0 and self._end > self._start else float("nan"))


class DevMetrics(keras.callbacks.Callback):
    """Scores the model with a task's own evaluation at the end of every epoch and adds each
    metric to the epoch's logs as `val_<name>`, so that `BestModel` can keep the best
    model on it and `CSVLogger`/TensorBoard record it.

    For metrics Keras cannot compute batch by batch: SQuAD F1 after n-best decoding, seqeval
    entity F1, Pearson correlation. A `val_<name>` Keras already logged is replaced by the
    task's value (computed on every dev record); with `verbose`, the evaluation shows its
    progress (`bert_keras.training.progress`). Must come before the callbacks that read the
    metrics (`make_callbacks` puts it first); under a multi-worker strategy every worker runs
    it, since `evaluate` predicts with the distributed model.

    Example:
        >>> callback = DevMetrics(lambda model: {"f1": 71.5}, verbose=False)
        >>> logs = {"val_loss": 2.7}
        >>> callback.on_epoch_end(0, logs)
        >>> logs
        {'val_loss': 2.7, 'val_f1': 71.5}
    """

    def __init__(self, evaluate: Callable[[keras.Model], Mapping[str, float]],
                 verbose: bool = True):
        super().__init__()
        self.evaluate = evaluate
        self.verbose = verbose

    def on_epoch_end(self, epoch, logs=None):
        with progress_shown(self.verbose, label=f"epoch {epoch + 1} dev"):
            result = self.evaluate(self.model)
        scores = {f"val_{name}": float(value) for name, value in result.items()}
        if logs is not None:
            logs.update(scores)
        if self.verbose:
            print(f"Epoch {epoch + 1} dev: " + ", ".join(
                f"{name}: {value:.4f}" for name, value in scores.items()), flush=True)


class BestModel(keras.callbacks.Callback):
    """Saves the model to `path` (a `.keras` file) after every epoch whose `monitor` value
    beats `best` (the best so far; None: any value) in the direction of `mode`.

    Keras' `ModelCheckpoint` writes the file in place, so a kill or a full disk while it
    saves leaves a truncated best model; this one saves through `model_files.save_model`,
    which replaces the file whole or not at all.

    Example:
        >>> callback = BestModel("runs/x/best.keras", "val_accuracy", "max", best=0.8)
        >>> callback.improves(0.79), callback.improves(0.81)
        (False, True)
    """

    def __init__(self, path: str, monitor: str, mode: str = "min", best: float | None = None):
        super().__init__()
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.path, self.monitor, self.mode, self.best = os.fspath(path), monitor, mode, best

    def improves(self, value: float) -> bool:
        """Whether `value` beats the best so far."""
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"BestModel monitors {self.monitor!r}, which the epoch's logs lack "
                           f"(they have: {', '.join(sorted(logs or {})) or 'nothing'})")
        if self.improves(float(value)):
            self.best = float(value)
            save_model(self.model, self.path)


class HistoryLogger(keras.callbacks.CSVLogger):
    """Keras' `CSVLogger`, whose write errors (a full disk) name the file, and which writes a
    URL (`gs://...`) through `bert_keras.storage` (Keras' own `tf.io.gfile` file lacks the
    `closed` its `on_train_end` reads)."""

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if storage.is_url(self.filename):  # opened (and emptied unless appending): reopen
            self.csv_file.close()
            self.csv_file = storage.open_file(self.filename, "a", encoding="utf-8")

    def on_epoch_end(self, epoch, logs=None):
        try:
            super().on_epoch_end(epoch, logs)
        except OSError as error:
            raise OSError(error.errno, f"cannot write {self.filename}: "
                                       f"{error.strerror or error}") from None


def _best_so_far(history_csv: str, monitor: str, mode: str) -> float | None:
    """The best `monitor` value in an earlier run's history, so `best.keras` survives a restart."""
    if not storage.exists(history_csv):
        return None
    with storage.open_file(history_csv, newline="") as file:
        values = [float(row[monitor]) for row in csv.DictReader(file) if row.get(monitor)]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)


def make_callbacks(output_dir: str, monitor: str | None = "val_loss", mode: str = "min",
                   save_freq: int | str = "epoch", strategy: tf.distribute.Strategy | None = None,
                   tensorboard: bool | None = None,
                   dev_metrics: DevMetrics | None = None,
                   batch_size: int | None = None) -> list[keras.callbacks.Callback]:
    """The callbacks of a training run writing to `output_dir` (see the module docstring).

    `monitor`/`mode` (`min` or `max`) choose the best model (`monitor=None`: no `best.keras`,
    e.g. for pretraining without validation data); `save_freq` is how often
    (steps, or `"epoch"`) the crash backup is written. In a multi-worker run only the chief
    writes; the other workers get just the (read-only) backup callback. `tensorboard=None`
    adds TensorBoard logging when the `tensorboard` package is installed (TensorFlow does
    not depend on it); `True` requires it. `dev_metrics` (every worker runs it) adds task
    metrics to the logs before the others read them. `batch_size` (the global batch) adds
    `Throughput`, which logs `examples_per_second` each epoch. Keras adds the progress bar
    itself (`verbose` of `model.fit`).

    Example:
        >>> import tempfile
        >>> callbacks = make_callbacks(tempfile.mkdtemp(), monitor="val_accuracy", mode="max",
        ...                            save_freq=500)
        >>> callbacks[0].save_freq, callbacks[1].monitor
        (500, 'val_accuracy')
    """
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    installed = importlib.util.find_spec("tensorboard") is not None
    if tensorboard and not installed:
        raise ImportError("tensorboard=True needs the tensorboard package: pip install tensorboard")
    output_dir = os.fspath(output_dir)
    chief = is_chief(strategy or tf.distribute.get_strategy())
    backup = StepBackup(storage.join(output_dir, BACKUP_DIR), save_freq=save_freq, write=chief)
    first: list[keras.callbacks.Callback] = [Throughput(batch_size)] if batch_size else []
    first += [dev_metrics] if dev_metrics else []
    if not chief:
        return first + [backup]
    storage.makedirs(output_dir)
    history_csv = storage.join(output_dir, HISTORY_FILE)
    callbacks = first + [backup]
    if monitor is not None:
        callbacks.append(BestModel(storage.join(output_dir, BEST_MODEL_FILE), monitor, mode,
                                   best=_best_so_far(history_csv, monitor, mode)))
    if (installed if tensorboard is None else tensorboard):
        callbacks.append(keras.callbacks.TensorBoard(storage.join(output_dir, LOGS_DIR)))
    return callbacks + [HistoryLogger(history_csv, append=True)]
