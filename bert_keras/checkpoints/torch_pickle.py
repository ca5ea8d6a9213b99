"""Reads PyTorch `pytorch_model.bin` state dicts into NumPy without importing torch.

Only the zip format (torch >= 1.6) is supported, and only the classes a state dict needs are
unpickled: anything else is refused, so a malicious pickle cannot run code. A crafted file can
still lie about sizes, so every tensor view is checked against its storage (no read outside it,
no negative strides), every storage against the size the pickle declares, and a storage that
inflates over `MAX_INFLATION` times its compressed size (torch stores them uncompressed) is
refused before it is read.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import ml_dtypes
import numpy as np

from bert_keras import storage

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": ml_dtypes.bfloat16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


MAX_INFLATION = 100


class UnreadableStateDict(pickle.UnpicklingError, ValueError):
    """A `pytorch_model.bin` refused or unreadable; the message starts with the file's path."""


class _StorageType:
    def __init__(self, name: str):
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _rebuild_tensor(storage, offset, size, stride, *unused):
    """The tensor view (`offset`, `size`, `stride`) of `storage`, copied; pickle.UnpicklingError
    if the view is malformed or reaches outside the storage."""
    size, stride = tuple(size), tuple(stride)
    if not (_is_count(offset) and all(map(_is_count, size)) and all(map(_is_count, stride))
            and len(size) == len(stride)):
        raise pickle.UnpicklingError(f"malformed tensor view: offset {offset!r}, size {size!r}, "
                                     f"stride {stride!r} (expected non-negative ints, one "
                                     "stride per dimension)")
    if 0 not in size:
        last = offset + sum((length - 1) * step for length, step in zip(size, stride))
        if last >= len(storage):
            raise pickle.UnpicklingError(
                f"tensor view reaches element {last} of a storage of {len(storage)} elements "
                f"(offset {offset}, size {list(size)}, stride {list(stride)})")
    elif offset > len(storage):
        raise pickle.UnpicklingError(f"tensor view starts at {offset}, past the end of a "
                                     f"storage of {len(storage)} elements")
    itemsize = storage.dtype.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=tuple(s * itemsize for s in stride)).copy()


def _rebuild_parameter(data, *unused):
    return data


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, path: str):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._path = path

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(
            f"{self._path}: refusing to unpickle {module}.{name} (not part of a state dict)")

    def persistent_load(self, persistent_id):
        if not (isinstance(persistent_id, tuple) and len(persistent_id) == 5):
            raise pickle.UnpicklingError(f"{self._path}: malformed persistent id "
                                         f"{persistent_id!r:.100}")
        kind, storage_type, key, _location, numel = persistent_id
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"{self._path}: unknown persistent id {kind!r:.100}")
        name = f"{self._prefix}/data/{key}"
        try:
            member = self._archive.getinfo(name)
        except KeyError:
            raise pickle.UnpicklingError(f"{self._path}: no storage {name!r:.200} in the "
                                         "archive") from None
        expected = numel * storage_type.dtype.itemsize if _is_count(numel) else None
        if member.file_size != expected:
            raise pickle.UnpicklingError(
                f"{self._path}: storage {name} holds {member.file_size} bytes, the pickle "
                f"declares {numel!r:.50} elements of {storage_type.dtype.itemsize} bytes")
        if member.file_size > MAX_INFLATION * max(member.compress_size, 1):
            raise pickle.UnpicklingError(
                f"{self._path}: storage {name} inflates from {member.compress_size} to "
                f"{member.file_size} bytes (over {MAX_INFLATION}x; torch stores tensors "
                "uncompressed): refusing it")
        return np.frombuffer(self._archive.read(name), dtype=storage_type.dtype)


def read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The tensors of a `torch.save`d state dict, as NumPy arrays.

    Example:
        >>> tensors = read_torch_state_dict("bert-base-uncased/pytorch_model.bin")  # doctest: +SKIP
    """
    path = os.fspath(path)
    # zipfile reads a local file where it is; a URL's bytes are read once (gfile cannot seek
    # as zipfile needs).
    archive_file = io.BytesIO(storage.read_bytes(path)) if storage.is_url(path) else path
    if not zipfile.is_zipfile(archive_file):
        raise ValueError(f"{path}: not a zip-format PyTorch file (saved by torch < 1.6?); "
                         "re-save it with a recent torch or convert it to safetensors")
    with zipfile.ZipFile(archive_file) as archive:
        pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"{path}: expected one data.pkl in the archive, found {len(pickles)}")
        prefix = pickles[0][: -len("/data.pkl")]
        with archive.open(pickles[0]) as file:
            try:
                state = _StateDictUnpickler(file, archive, prefix, path).load()
            except (pickle.UnpicklingError, EOFError, TypeError, KeyError, AttributeError,
                    IndexError, ValueError, zipfile.BadZipFile) as error:
                reason = str(error).removeprefix(f"{path}: ") or type(error).__name__
                raise UnreadableStateDict(f"{path}: {reason}") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    return dict(state)
