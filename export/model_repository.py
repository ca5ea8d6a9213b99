"""The models of a TF Serving base directory (`BASE_DIR/NAME/<version>/saved_model.pb`), loaded.

Only numeric version directories count (a version being written by `bert-keras export` has a
hidden name until it is complete). `refresh()` loads versions that appeared and drops those that
disappeared; `ModelRepository.start_polling` does that in the background, so a new version is
served as soon as it is exported.

As TF Serving does, a version that fails to load (a broken or half-copied directory) never
takes the model down: the newest versions that did load keep serving, the failure is logged,
and the version is tried again as soon as its files change. An error while polling (the base
directory moved away for a moment, say) is logged and polling goes on.

Example:
    >>> repository = ModelRepository("models")  # doctest: +SKIP
    >>> repository.refresh(); repository.get("sst2").version  # doctest: +SKIP
    1
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from typing import Any

import tensorflow as tf
import tensorflow_text  # noqa: F401  (the exported graphs use tf-text ops)
from tensorflow.core.protobuf import meta_graph_pb2

from bert_keras import storage
from bert_keras.export.graph_check import read_saved_model

log = logging.getLogger(__name__)


@dataclasses.dataclass
class LoadedVersion:
    """One loaded model version: its signatures (callables) and their `SignatureDef`s."""

    name: str
    version: int
    path: str
    module: Any
    signature_defs: dict[str, meta_graph_pb2.SignatureDef]
    label_names: list[str] | None  # from assets.extra/label_names.txt, when exported

    def signature(self, name: str):
        return self.module.signatures[name]


class ModelNotFound(LookupError):
    """No such model, or no such version of it."""


def versions(model_base: str) -> list[int]:
    """The numeric version directories in `model_base` (TF Serving's layout), ascending."""
    if not storage.isdir(model_base):
        return []
    return sorted(int(name) for name in storage.listdir(model_base)
                  if name.isdigit() and storage.isdir(storage.join(model_base, name)))


def files_fingerprint(path: str) -> tuple:
    """What changes when a version directory's files change: every file's relative path, size
    and modification time."""
    found = []
    for root, _, files in storage.walk(path):
        for name in files:
            full = storage.join(root, name)
            try:
                size, changed = storage.getsize(full), storage.mtime_ns(full)
            except OSError:  # removed while we looked: the next poll sees the change
                continue
            found.append((os.path.relpath(full, path), size, changed))
    return tuple(sorted(found))


def _signature_defs(path: str) -> dict[str, meta_graph_pb2.SignatureDef]:
    signatures = read_saved_model(path).meta_graphs[0].signature_def
    return {name: signature for name, signature in signatures.items()
            if not name.startswith("__")}


def _label_names(path: str) -> list[str] | None:
    labels = storage.join(path, "assets.extra", "label_names.txt")
    if not storage.exists(labels):
        return None
    with storage.open_file(labels, encoding="utf-8") as file:
        return file.read().splitlines()


class ModelRepository:
    """Loaded versions of every model under `base_dir`, newest kept per model."""

    def __init__(self, base_dir: str, versions_to_keep: int = 1) -> None:
        if not storage.isdir(base_dir):
            raise FileNotFoundError(f"{base_dir}: no such directory (expected BASE_DIR with "
                                    "NAME/<version>/saved_model.pb inside)")
        self.base_dir = base_dir
        self.versions_to_keep = versions_to_keep
        self._models: dict[str, dict[int, LoadedVersion]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.errors: dict[str, str] = {}  # "name/version" -> why it failed to load
        self._failed_files: dict[str, tuple] = {}  # "name/version" -> files when it failed

    def refresh(self) -> None:
        """Loads new versions (the newest `versions_to_keep` that load, per model) and unloads
        the others; a version that fails keeps the older ones serving."""
        for name in sorted(storage.listdir(self.base_dir)):
            model_dir = storage.join(self.base_dir, name)
            if not storage.isdir(model_dir) or name.startswith("."):
                continue
            complete = [version for version in versions(model_dir) if storage.exists(
                storage.join(model_dir, str(version), "saved_model.pb"))]
            loaded = dict(self._models.get(name, {}))
            serving: dict[int, LoadedVersion] = {}
            for version in reversed(complete):  # newest first
                if len(serving) == self.versions_to_keep:
                    break
                model = loaded.get(version) or self._load(name, version, model_dir)
                if model is not None:
                    serving[version] = model
            with self._lock:
                self._models[name] = serving

    def _load(self, name: str, version: int, model_dir: str) -> LoadedVersion | None:
        """Loads one version, or logs why it cannot (once per state of its files)."""
        key = f"{name}/{version}"
        path = storage.join(model_dir, str(version))
        files = files_fingerprint(path)
        if self._failed_files.get(key) == files:
            return None  # failed with exactly these files: wait until they change
        try:
            model = LoadedVersion(name, version, path, tf.saved_model.load(path),
                                  _signature_defs(path), _label_names(path))
        except Exception as error:  # a broken version must not stop the others
            first_line = (str(error).splitlines() or [""])[0][:500]
            self.errors[key] = f"{type(error).__name__}: {first_line}"
            self._failed_files[key] = files
            log.error("model %s version %d did not load (%s); the newest version that "
                      "loaded keeps serving; it is tried again when its files change", name,
                      version, self.errors[key])
            return None
        self.errors.pop(key, None)
        self._failed_files.pop(key, None)
        log.info("loaded model %s version %d from %s", name, version, path)
        return model

    def start_polling(self, seconds: float = 1.0) -> threading.Thread:
        """Refreshes every `seconds` in a daemon thread until `stop()`."""
        def poll() -> None:
            while not self._stop.wait(seconds):
                try:
                    self.refresh()
                except Exception as error:  # e.g. BASE_DIR moved away for a moment
                    log.error("polling %s failed (%s: %s); still serving %s, trying again in "
                              "%g s", self.base_dir, type(error).__name__, error,
                              self.models() or "nothing", seconds)
        thread = threading.Thread(target=poll, name="model-repository-poll", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def get(self, name: str, version: int | None = None) -> LoadedVersion:
        """The newest loaded version of `name` (or that `version`); `ModelNotFound` if none."""
        with self._lock:
            loaded = self._models.get(name) or {}
            if not loaded:
                known = ", ".join(sorted(n for n, v in self._models.items() if v)) or "none"
                raise ModelNotFound(f"model {name!r} is not loaded (models: {known})")
            if version is None:
                return loaded[max(loaded)]
            if version not in loaded:
                raise ModelNotFound(f"model {name!r} has no loaded version {version} "
                                    f"(loaded: {', '.join(map(str, sorted(loaded)))})")
            return loaded[version]

    def versions(self, name: str) -> list[int]:
        """The loaded versions of `name`, ascending."""
        with self._lock:
            return sorted(self._models.get(name) or {})

    def models(self) -> dict[str, list[int]]:
        """`{name: loaded versions}` of every model with at least one loaded version."""
        with self._lock:
            return {name: sorted(loaded) for name, loaded in sorted(self._models.items())
                    if loaded}
