"""Model files that appear whole or not at all.

`save_model` writes a `.keras` file under a temporary name in the same folder and renames it
into place, so a crash, a kill or a full disk never leaves a truncated model where a complete
one is expected (a reader sees the old file or the new one). Exports do the same with their
version folders. The temporary names (`partial_path`) carry the writer's process id and host,
so that `remove_abandoned_partials` can remove what killed writers left without touching the
work of running ones.

Example:
    >>> save_model(model, "runs/sst2/model.keras")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import TYPE_CHECKING, Iterator

from bert_keras import storage

if TYPE_CHECKING:  # Keras on import would run the registration hook, which imports
    import keras  # modules that import this one (a cycle when this module comes first)

PARTIAL_PREFIX = ".partial-"


def partial_path(path: str | os.PathLike) -> str:
    """Where this process writes `path` before renaming it into place: beside it, as
    `.partial-<pid>@<host>@<name>` (the name last: Keras wants its `.keras` suffix).

    Example:
        >>> name = os.path.basename(partial_path("runs/x/model.keras"))
        >>> name.startswith(f".partial-{os.getpid()}@"), name.endswith("@model.keras")
        (True, True)
    """
    folder, name = os.path.split(storage.abspath(path))
    return storage.join(folder, f"{PARTIAL_PREFIX}{os.getpid()}@{socket.gethostname()}@{name}")


def remove_abandoned_partials(folder: str | os.PathLike) -> list[str]:
    """Removes the partial files and folders in `folder` whose writer, a process of this host,
    is gone (killed while writing); returns their paths. Those of running processes, and
    those written on other hosts (a shared file system), stay."""
    removed = []
    for name in storage.listdir(folder):
        if not name.startswith(PARTIAL_PREFIX):
            continue
        pid, _, rest = name[len(PARTIAL_PREFIX):].partition("@")
        host = rest.partition("@")[0]
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            path = storage.join(folder, name)
            if storage.isdir(path):
                storage.rmtree(path, ignore_errors=True)
            elif storage.exists(path):
                storage.remove(path)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[str]:
    """Yields the temporary name (`partial_path`) to write `path` under; when the block ends
    renames it into place, and if the block fails removes it. An OSError names `path`.

    Example:
        >>> with atomic_write("runs/x/notes.txt") as partial:  # doctest: +SKIP
        ...     with storage.open_file(partial, "w") as file:
        ...         file.write("whole or absent")
    """
    path = os.fspath(path)
    partial = partial_path(path)
    try:
        yield partial
        storage.replace(partial, path)
    except OSError as error:
        raise OSError(error.errno, f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if storage.exists(partial):
            storage.remove(partial)


def save_model(model: keras.Model, path: str | os.PathLike) -> None:
    """Saves `model` to `path` (a `.keras` file) atomically, without optimizer state (a copy
    that was never compiled is written: the file is the model, about the size of its
    weights; the crash backups keep the optimizer); an OSError names `path`.

    What killed saves to the same folder left behind is removed first.
    """
    with atomic_write(path) as partial:
        storage.makedirs(os.path.dirname(partial))
        remove_abandoned_partials(os.path.dirname(partial))
        without_optimizer(model).save(partial)


def without_optimizer(model: keras.Model) -> keras.Model:
    """`model` itself if it has no optimizer, else an uncompiled copy with its weights.

    Example:
        >>> import keras
        >>> inputs = keras.Input((2,))
        >>> model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
        >>> model.compile("adam", "mse")
        >>> getattr(without_optimizer(model), "optimizer", None) is None
        True
    """
    if getattr(model, "optimizer", None) is None:
        return model
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy
