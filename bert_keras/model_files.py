"""Model files that appear whole or not at all.

`save_model` writes a `.keras` file under a temporary name in the same folder and renames it
into place, so a crash, a kill or a full disk never leaves a truncated model where a complete
one is expected (a reader sees the old file or the new one).

Example:
    >>> save_model(model, "runs/sst2/model.keras")  # doctest: +SKIP
"""

from __future__ import annotations

import os

import keras


def save_model(model: keras.Model, path: str | os.PathLike) -> None:
    """Saves `model` to `path` (a `.keras` file) atomically; an OSError names `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    partial = os.path.join(folder, f".partial-{os.getpid()}-{os.path.basename(path)}")
    try:
        os.makedirs(folder, exist_ok=True)
        model.save(partial)
        os.replace(partial, path)
    except OSError as error:
        raise OSError(error.errno, f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
