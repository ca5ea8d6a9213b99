"""Every file a user names, on the local disk or behind a URL (`gs://`, `s3://`, `ram://`, ...).

This module is the package's one owner of file access for user-supplied paths. A path with a
scheme (`scheme://...`) goes through `tf.io.gfile`, so data, vocabularies, checkpoints, run
directories and exports can live on cloud storage; a local path goes through Python's own
`open`/`os`/`shutil`, so local behaviour (error numbers, messages, atomic `os.replace`, speed)
is exactly Python's, and reading a local file does not import TensorFlow. Errors are
`OSError`s naming the path, whichever way the path went: `tf.errors.NotFoundError` becomes a
`FileNotFoundError`, and so on.

Example:
    >>> import tempfile
    >>> folder = join(tempfile.mkdtemp(), "run")
    >>> makedirs(folder)
    >>> with open_file(join(folder, "notes.txt"), "w", encoding="utf-8") as file:
    ...     _ = file.write("hello\\n")
    >>> listdir(folder), getsize(join(folder, "notes.txt"))
    (['notes.txt'], 6)
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import glob as _glob
import io
import os
import posixpath
import re
import shutil
from typing import IO, Any, Iterator

PathLike = str | os.PathLike

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path: PathLike) -> bool:
    """Whether `path` names a file behind a URL scheme (read and written by `tf.io.gfile`).

    Example:
        >>> is_url("gs://bucket/data/train.tsv"), is_url("data/train.tsv")
        (True, False)
    """
    return bool(_SCHEME.match(os.fspath(path)))


def _tf_errors_as_os_errors(path: PathLike) -> contextlib.AbstractContextManager:
    """A context that re-raises TensorFlow's file errors as the matching `OSError` naming
    `path` (TensorFlow's own messages may be empty or span lines)."""
    return _Converting(os.fspath(path))


class _Converting(contextlib.AbstractContextManager):
    def __init__(self, path: str):
        self.path = path

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            return False
        import tensorflow as tf

        if not isinstance(error, tf.errors.OpError):
            return False
        table = {tf.errors.NotFoundError: (FileNotFoundError, errno.ENOENT),
                 tf.errors.PermissionDeniedError: (PermissionError, errno.EACCES),
                 tf.errors.AlreadyExistsError: (FileExistsError, errno.EEXIST),
                 tf.errors.ResourceExhaustedError: (OSError, errno.ENOSPC)}
        cls, number = table.get(type(error), (OSError, errno.EIO))
        reason = " ".join((error.message or "").split()) or os.strerror(number)
        raise cls(number, reason, self.path) from None


class _GFileIO(io.RawIOBase):
    """A `tf.io.gfile.GFile` (binary) as a raw Python stream, for `io`'s buffers and text."""

    def __init__(self, path: str, mode: str):
        import tensorflow as tf

        self._path, self._mode = path, mode
        with _tf_errors_as_os_errors(path):
            self._file = tf.io.gfile.GFile(path, mode + "b")
            if mode == "r":
                self._file.size()  # GFile opens lazily: a missing file fails here
            else:
                self._file.write(b"")  # creates the file, even if nothing more is written

    def readable(self) -> bool:
        return self._mode == "r"

    def writable(self) -> bool:
        return self._mode != "r"

    def readinto(self, buffer: Any) -> int:
        with _tf_errors_as_os_errors(self._path):
            data = self._file.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        with _tf_errors_as_os_errors(self._path):
            self._file.write(bytes(data))
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                with _tf_errors_as_os_errors(self._path):
                    self._file.close()
            finally:
                super().close()


def open_file(path: PathLike, mode: str = "r", encoding: str | None = None,
              errors: str | None = None, newline: str | None = None) -> IO:
    """Opens `path` like the built-in `open` (modes `r`, `w`, `a`, each with or without `b`).

    A URL is opened with `tf.io.gfile.GFile` (text modes default to UTF-8); a missing file
    raises `FileNotFoundError` naming it either way.

    Example:
        >>> import tempfile
        >>> path = join(tempfile.mkdtemp(), "vocab.txt")
        >>> with open_file(path, "w", encoding="utf-8") as file:
        ...     _ = file.write("[PAD]\\n[UNK]\\n")
        >>> open_file(path, "rb").read()
        b'[PAD]\\n[UNK]\\n'
    """
    if not is_url(path):
        return builtins.open(path, mode, encoding=encoding, errors=errors, newline=newline)
    kind = mode.replace("b", "")
    if kind not in ("r", "w", "a"):
        raise ValueError(f"{os.fspath(path)}: unsupported mode {mode!r}")
    raw = _GFileIO(os.fspath(path), kind)
    buffered = io.BufferedReader(raw) if kind == "r" else io.BufferedWriter(raw)
    if "b" in mode:
        return buffered
    return io.TextIOWrapper(buffered, encoding=encoding or "utf-8", errors=errors,
                            newline=newline)


def _gfile(function: str, path: PathLike, *args: Any) -> Any:
    """`tf.io.gfile.<function>(path, *args)`, its errors as `OSError`s naming `path`."""
    import tensorflow as tf

    with _tf_errors_as_os_errors(path):
        return getattr(tf.io.gfile, function)(os.fspath(path), *args)


def read_bytes(path: PathLike) -> bytes:
    """The whole content of `path`.

    Example:
        >>> read_bytes("no/such/file")
        Traceback (most recent call last):
        FileNotFoundError: [Errno 2] No such file or directory: 'no/such/file'
    """
    with open_file(path, "rb") as file:
        return file.read()


def exists(path: PathLike) -> bool:
    """Whether `path` exists (file or directory).

    Example:
        >>> exists("no/such/file")
        False
    """
    if not is_url(path):
        return os.path.exists(path)
    return _gfile("exists", path)


def isdir(path: PathLike) -> bool:
    """Whether `path` is a directory.

    Example:
        >>> import tempfile
        >>> isdir(tempfile.mkdtemp()), isdir("no/such/dir")
        (True, False)
    """
    if not is_url(path):
        return os.path.isdir(path)
    return _gfile("isdir", path)


def isfile(path: PathLike) -> bool:
    """Whether `path` is a file (it exists and is no directory).

    Example:
        >>> import tempfile
        >>> isfile(tempfile.mkdtemp())
        False
    """
    if not is_url(path):
        return os.path.isfile(path)
    return exists(path) and not isdir(path)


def makedirs(path: PathLike) -> None:
    """Creates the directory `path` and its parents; nothing happens if it exists.

    Example:
        >>> import tempfile
        >>> folder = join(tempfile.mkdtemp(), "a", "b")
        >>> makedirs(folder); makedirs(folder); isdir(folder)
        True
    """
    if not is_url(path):
        os.makedirs(path, exist_ok=True)
        return
    _gfile("makedirs", path)


def listdir(path: PathLike) -> list[str]:
    """The names of the entries of the directory `path` (no paths, unordered like `os.listdir`).

    Example:
        >>> import tempfile
        >>> listdir(tempfile.mkdtemp())
        []
    """
    if not is_url(path):
        return os.listdir(path)
    return [name.rstrip("/") for name in _gfile("listdir", path)]


def glob(pattern: PathLike) -> list[str]:
    """The paths that match `pattern` (`*`, `?`, `[...]`), unordered like `glob.glob`.

    Example:
        >>> glob("no/such/dir/*.tfrecord")
        []
    """
    if not is_url(pattern):
        return _glob.glob(os.fspath(pattern))
    return list(_gfile("glob", pattern))


def escape(path: PathLike) -> str:
    """`path` with the glob characters in it matched literally (for `glob`), like
    `glob.escape`; URLs are returned as they are (their stores' names rarely hold such
    characters, and `tf.io.gfile.glob` knows no escapes).

    Example:
        >>> escape("runs/[draft]")
        'runs/[[]draft]'
    """
    return os.fspath(path) if is_url(path) else _glob.escape(os.fspath(path))


def remove(path: PathLike) -> None:
    """Deletes the file `path`; `FileNotFoundError` if there is none.

    Example:
        >>> remove("no/such/file")
        Traceback (most recent call last):
        FileNotFoundError: [Errno 2] No such file or directory: 'no/such/file'
    """
    if not is_url(path):
        os.remove(path)
        return
    _gfile("remove", path)


def rmtree(path: PathLike, ignore_errors: bool = False) -> None:
    """Deletes the directory `path` and everything in it (errors ignored if asked).

    Example:
        >>> rmtree("no/such/dir", ignore_errors=True)
    """
    if not is_url(path):
        shutil.rmtree(path, ignore_errors=ignore_errors)
        return
    try:
        with _tf_errors_as_os_errors(path):
            _remove_url_tree(os.fspath(path))
    except OSError:
        if not ignore_errors:
            raise


def _remove_url_tree(path: str) -> None:
    """`tf.io.gfile.rmtree`, subfolders first in reverse name order: `ram://` lists the folder
    `a.b`'s entries in the folder `a` too (as `.b`) and fails to delete `a` while `a.b` exists."""
    import tensorflow as tf

    if tf.io.gfile.isdir(path):
        for name in sorted(tf.io.gfile.listdir(path), reverse=True):
            child = posixpath.join(path, name.rstrip("/"))
            if tf.io.gfile.isdir(child):
                _remove_url_tree(child)
    tf.io.gfile.rmtree(path)


def replace(source: PathLike, target: PathLike) -> None:
    """Renames `source` (a file or directory) to `target`, replacing a file `target`
    (`os.replace`; behind a URL the rename is usually a copy, not atomic).

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open_file(join(folder, "a.tmp"), "w") as file:
        ...     _ = file.write("new")
        >>> replace(join(folder, "a.tmp"), join(folder, "a.txt")); listdir(folder)
        ['a.txt']
    """
    if not is_url(source):
        os.replace(source, target)
        return
    import tensorflow as tf

    source, target = os.fspath(source), os.fspath(target)
    with _tf_errors_as_os_errors(source):
        if not tf.io.gfile.isdir(source):
            tf.io.gfile.rename(source, target, overwrite=True)
            return
        # Not every file system renames a directory's contents with it (`ram://` does not):
        # copy them, then delete the source.
        for folder, _, files in tf.io.gfile.walk(source):
            inner = posixpath.relpath(folder, source)
            destination = target if inner == "." else posixpath.join(target, inner)
            tf.io.gfile.makedirs(destination)
            for name in files:
                try:
                    tf.io.gfile.copy(posixpath.join(folder, name),
                                     posixpath.join(destination, name), overwrite=True)
                except tf.errors.NotFoundError:  # listed but absent: `ram://` lists the
                    continue  # folder `a.b`'s files in the folder `a` too, as `.b`
        _remove_url_tree(source)


def copyfile(source: PathLike, target: PathLike) -> None:
    """Copies the file `source` to `target` (replaced if it exists); either may be a URL.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open_file(join(folder, "a.txt"), "w") as file:
        ...     _ = file.write("x")
        >>> copyfile(join(folder, "a.txt"), join(folder, "b.txt")); sorted(listdir(folder))
        ['a.txt', 'b.txt']
    """
    if not is_url(source) and not is_url(target):
        shutil.copyfile(source, target)
        return
    import tensorflow as tf

    with _tf_errors_as_os_errors(source):
        tf.io.gfile.copy(os.fspath(source), os.fspath(target), overwrite=True)


def getsize(path: PathLike) -> int:
    """The size of the file `path` in bytes.

    Example:
        >>> getsize("no/such/file")
        Traceback (most recent call last):
        FileNotFoundError: [Errno 2] No such file or directory: 'no/such/file'
    """
    if not is_url(path):
        return os.path.getsize(path)
    return _gfile("stat", path).length


def mtime_ns(path: PathLike) -> int:
    """When the file `path` last changed, in nanoseconds since the epoch.

    Example:
        >>> import tempfile, time
        >>> abs(mtime_ns(tempfile.mkdtemp()) / 1e9 - time.time()) < 60
        True
    """
    if not is_url(path):
        return os.stat(path).st_mtime_ns
    return _gfile("stat", path).mtime_nsec


def walk(top: PathLike) -> Iterator[tuple[str, list[str], list[str]]]:
    """`(folder, subfolder names, file names)` for `top` and every folder below it, like
    `os.walk`.

    Example:
        >>> list(walk("no/such/dir"))
        []
    """
    if not is_url(top):
        yield from os.walk(top)
        return
    import tensorflow as tf

    with _tf_errors_as_os_errors(top):
        for folder, folders, files in tf.io.gfile.walk(os.fspath(top)):
            yield (folder, [name.rstrip("/") for name in folders], files)


def free_bytes(path: PathLike) -> int | None:
    """The free space of the local disk that holds the directory `path`; None for a URL
    (cloud stores do not fill up like disks).

    Example:
        >>> free_bytes("gs://bucket/runs") is None
        True
    """
    return None if is_url(path) else shutil.disk_usage(path).free


def join(path: PathLike, *names: str) -> str:
    """`path` and `names` joined with the separator of the path's kind (`/` for URLs).

    Example:
        >>> join("gs://bucket/runs", "sst2", "task.json")
        'gs://bucket/runs/sst2/task.json'
    """
    if is_url(path):
        return posixpath.join(os.fspath(path), *names)
    return os.path.join(path, *names)


def abspath(path: PathLike) -> str:
    """`path` made absolute if it is local; a URL is absolute already.

    Example:
        >>> abspath("gs://bucket/data/train.tsv")
        'gs://bucket/data/train.tsv'
    """
    return os.fspath(path) if is_url(path) else os.path.abspath(path)
