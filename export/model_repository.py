"""The models of a TF Serving base directory (`BASE_DIR/NAME/<version>/saved_model.pb`), loaded.

Only numeric version directories count (a version being written by `bert-keras export` has a
hidden name until it is complete). `refresh()` loads versions that appeared and drops those that
disappeared; `ModelRepository.start_polling` does that in the background, so a new version is
served as soon as it is exported.

Example:
    >>> repository = ModelRepository("models")  # doctest: +SKIP
    >>> repository.refresh(); repository.get("sst2").version  # doctest: +SKIP
    1
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

import tensorflow as tf
import tensorflow_text  # noqa: F401  (the exported graphs use tf-text ops)
from tensorflow.core.protobuf import meta_graph_pb2

from bert_keras.export.graph_check import read_saved_model


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
    if not os.path.isdir(model_base):
        return []
    return sorted(int(name) for name in os.listdir(model_base)
                  if name.isdigit() and os.path.isdir(os.path.join(model_base, name)))


def _signature_defs(path: str) -> dict[str, meta_graph_pb2.SignatureDef]:
    signatures = read_saved_model(path).meta_graphs[0].signature_def
    return {name: signature for name, signature in signatures.items()
            if not name.startswith("__")}


def _label_names(path: str) -> list[str] | None:
    labels = os.path.join(path, "assets.extra", "label_names.txt")
    if not os.path.exists(labels):
        return None
    with open(labels, encoding="utf-8") as file:
        return file.read().splitlines()


class ModelRepository:
    """Loaded versions of every model under `base_dir`, newest kept per model."""

    def __init__(self, base_dir: str, versions_to_keep: int = 1) -> None:
        if not os.path.isdir(base_dir):
            raise FileNotFoundError(f"{base_dir}: no such directory (expected BASE_DIR with "
                                    "NAME/<version>/saved_model.pb inside)")
        self.base_dir = base_dir
        self.versions_to_keep = versions_to_keep
        self._models: dict[str, dict[int, LoadedVersion]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.errors: dict[str, str] = {}  # "name/version" -> why it failed to load

    def refresh(self) -> None:
        """Loads new versions (the newest `versions_to_keep` of each model), unloads old ones."""
        for name in sorted(os.listdir(self.base_dir)):
            model_dir = os.path.join(self.base_dir, name)
            if not os.path.isdir(model_dir) or name.startswith("."):
                continue
            complete = [version for version in versions(model_dir) if os.path.exists(
                os.path.join(model_dir, str(version), "saved_model.pb"))]
            wanted = complete[-self.versions_to_keep:]
            loaded = dict(self._models.get(name, {}))
            for version in wanted:
                key = f"{name}/{version}"
                if version in loaded or key in self.errors:
                    continue
                path = os.path.join(model_dir, str(version))
                try:
                    loaded[version] = LoadedVersion(name, version, path, tf.saved_model.load(path),
                                                    _signature_defs(path), _label_names(path))
                except Exception as error:  # a broken version must not stop the others
                    self.errors[key] = f"{type(error).__name__}: {error}"
            loaded = {v: model for v, model in loaded.items() if v in wanted}
            with self._lock:
                self._models[name] = loaded

    def start_polling(self, seconds: float = 1.0) -> threading.Thread:
        """Refreshes every `seconds` in a daemon thread until `stop()`."""
        def poll() -> None:
            while not self._stop.wait(seconds):
                self.refresh()
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
