"""`save_model` replaces a model file whole or not at all, and cleans up after killed saves."""

import errno
import os
import socket
import subprocess

import keras
import numpy as np
import pytest

from bert_keras.model_files import partial_path, save_model


def _model(value):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.set_weights([np.full((1, 1), value, "float32"), np.zeros(1, "float32")])
    return model


def test_a_failed_save_keeps_the_previous_file_and_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    save_model(_model(1.0), path)

    def full_disk(model, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"PK\x03\x04 truncated")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", full_disk)
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device"):
        save_model(_model(2.0), path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.keras"]
    assert keras.models.load_model(path).get_weights()[0][0, 0] == 1.0


def test_what_killed_saves_left_is_removed_by_the_next_save(tmp_path):
    exited = subprocess.Popen(["true"])
    exited.wait()
    host = socket.gethostname()
    abandoned = tmp_path / f".partial-{exited.pid}@{host}@model.keras"
    running = tmp_path / os.path.basename(partial_path(tmp_path / "best.keras"))
    elsewhere = tmp_path / f".partial-{exited.pid}@other-{host}@model.keras"
    for path in (abandoned, running, elsewhere):
        path.write_bytes(b"half a model")
    save_model(_model(3.0), tmp_path / "model.keras")
    assert sorted(os.listdir(tmp_path)) == sorted(["model.keras", running.name, elsewhere.name])
