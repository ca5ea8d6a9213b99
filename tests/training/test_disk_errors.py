"""A disk that fills (or a file-size limit) while a run writes: one clear error naming the
file, the previous backup and best model intact, no partial files, no crash."""

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import types
from pathlib import Path

import keras
import numpy as np
import pytest

from bert_keras.training.callbacks import BestModel, HistoryLogger, StepBackup
from bert_keras.training.fit import fit

from one_weight import line_batches, one_weight_model
from task_samples import FILES, TASKS, VOCAB


def test_a_backup_that_cannot_fit_is_refused_before_h5py_writes(tmp_path, monkeypatch):
    """HDF5 crashes the process at exit after a write that filled the disk (a segfault, seen
    on a full tmpfs): a backup must not start when the disk lacks room for it."""
    fit(one_weight_model(), line_batches, epochs=1, steps_per_epoch=3, verbose=0,
        callbacks=[StepBackup(tmp_path, save_freq=1)])
    monkeypatch.setattr(shutil, "disk_usage", lambda path: types.SimpleNamespace(free=1000))
    with pytest.raises(OSError, match=r"cannot write the backup .*step-4\.weights\.h5: it needs "
                                      r"about 1 MiB and the disk has 0 MiB free"):
        fit(one_weight_model(), line_batches, epochs=2, steps_per_epoch=3, verbose=0,
            callbacks=[StepBackup(tmp_path, save_freq=1)])
    assert sorted(os.listdir(tmp_path)) == ["step-3.seeds.npz", "step-3.weights.h5"]


def test_a_backup_write_that_fails_leaves_the_previous_one_and_no_partial(tmp_path,
                                                                           monkeypatch):
    fit(one_weight_model(), line_batches, epochs=1, steps_per_epoch=3, verbose=0,
        callbacks=[StepBackup(tmp_path, save_freq=1)])

    def file_too_large(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"\x89HDF half")
        raise OSError(errno.EFBIG, "Can't synchronously write data (file write failed:\n...)")

    monkeypatch.setattr(keras.Model, "save_weights", file_too_large)
    with pytest.raises(OSError, match=r"^\[Errno 27\] cannot write the backup .*step-4\.weights"
                                      r"\.h5: File too large$"):
        fit(one_weight_model(), line_batches, epochs=2, steps_per_epoch=3, verbose=0,
            callbacks=[StepBackup(tmp_path, save_freq=1)])
    assert sorted(os.listdir(tmp_path)) == ["step-3.seeds.npz", "step-3.weights.h5"]


def test_a_killed_backup_save_is_cleaned_up_on_restart(tmp_path):
    fit(one_weight_model(), line_batches, epochs=1, steps_per_epoch=3, verbose=0,
        callbacks=[StepBackup(tmp_path, save_freq=1)])
    for name in ("partial.weights.h5", "partial.seeds.npz"):
        (tmp_path / name).write_bytes(b"killed mid-write")
    assert StepBackup(tmp_path).restore(one_weight_model()) == 3
    assert sorted(os.listdir(tmp_path)) == ["step-3.seeds.npz", "step-3.weights.h5"]


def test_the_best_model_is_replaced_whole_or_kept(tmp_path, monkeypatch):
    path = tmp_path / "best.keras"
    best = BestModel(str(path), "loss")
    best.set_model(one_weight_model())
    best.on_epoch_end(0, {"loss": 2.0})
    first = best.model.get_weights()

    def full_disk(model, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK truncated")
        raise OSError(errno.ENOSPC, "No space left on device")

    best.set_model(one_weight_model())
    monkeypatch.setattr(keras.Model, "save", full_disk)
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device"):
        best.on_epoch_end(1, {"loss": 1.0})
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["best.keras"]
    for got, expected in zip(keras.models.load_model(path, compile=False).get_weights(), first):
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(KeyError, match="monitors 'val_f1', which the epoch's logs lack"):
        BestModel(str(path), "val_f1").on_epoch_end(0, {"loss": 1.0})


def test_history_write_errors_name_the_file(tmp_path, monkeypatch):
    logger = HistoryLogger(str(tmp_path / "history.csv"))
    logger.set_model(one_weight_model())
    logger.on_train_begin()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(logger, "writer", type("Writer", (), {"writerow": full_disk})(),
                        raising=False)
    logger.keys = ["loss"]
    with pytest.raises(OSError, match=r"cannot write .*history\.csv: No space left on device"):
        logger.on_epoch_end(0, {"loss": 1.0})


def _limit_file_size(limit: int):
    def limit_in_child():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_in_child


def test_finetune_that_cannot_write_its_backup_ends_in_one_line(tmp_path):
    """Run as a user would: the command stops with one line naming the file, exit status 1,
    and leaves no partial file behind. (A file-size limit stands in for a full disk: both
    fail the write with an OSError; the full disk itself is refused before h5py writes.)"""
    train, dev = FILES["sst2"]
    run = tmp_path / "run"
    finished = subprocess.run(
        [sys.executable, "-m", "bert_keras", "finetune", "--task", "sst2", "--init", "random:tiny",
         "--vocab", VOCAB, "--train-file", str(TASKS / train), "--dev-file", str(TASKS / dev),
         "--output-dir", str(run), "--epochs", "1", "--batch-size", "16",
         "--seq-length", "32", "--save-every", "1"],
        capture_output=True, text=True, timeout=300, preexec_fn=_limit_file_size(10 << 20),
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert finished.returncode == 2, finished.stderr[-2000:]
    assert "Traceback" not in finished.stderr
    assert finished.stderr.strip().splitlines()[-1] == (
        f"bert-keras finetune: error: cannot write the backup {run / 'backup' / 'step-1.weights.h5'}: "
        "File too large")
    assert not [name for name in os.listdir(run / "backup") if "partial" in name]
