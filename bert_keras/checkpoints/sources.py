"""Read-only views of checkpoint files: names, shapes and NumPy values, loaded lazily."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from bert_keras import storage
from bert_keras.checkpoints.torch_pickle import read_torch_state_dict


class TensorSource(Protocol):
    path: str
    naming: str  # "google" or "hf": which WeightSpec column names these tensors

    def names(self) -> set[str]: ...
    def shape(self, name: str) -> tuple[int, ...]: ...
    def get(self, name: str) -> np.ndarray: ...


def _normalize_hf_name(name: str) -> str:
    """Drops the `bert.` prefix of task checkpoints and renames old `gamma`/`beta` LayerNorms."""
    name = name.removeprefix("bert.")
    if ".LayerNorm." in name:
        name = name.replace(".LayerNorm.gamma", ".LayerNorm.weight")
        name = name.replace(".LayerNorm.beta", ".LayerNorm.bias")
    return name


class HuggingFaceSource:
    """A Hugging Face BERT state dict from `model.safetensors` or `pytorch_model.bin`."""

    naming = "hf"

    def __init__(self, directory: str):
        safetensors_path = storage.join(directory, "model.safetensors")
        torch_path = storage.join(directory, "pytorch_model.bin")
        if storage.exists(safetensors_path):
            from safetensors import SafetensorError, safe_open
            from safetensors.numpy import load

            self.path = safetensors_path
            self._tensors = None
            try:
                if storage.is_url(safetensors_path):  # safe_open maps local files only
                    self._tensors = load(storage.read_bytes(safetensors_path))
                else:
                    self._file = safe_open(safetensors_path, framework="numpy")
            except SafetensorError as error:
                raise ValueError(f"{safetensors_path}: not a readable safetensors file "
                                 f"({error})") from None
            raw_names = (self._tensors if self._tensors is not None else self._file).keys()
        elif storage.exists(torch_path):
            self.path = torch_path
            self._tensors = read_torch_state_dict(torch_path)
            raw_names = self._tensors.keys()
        else:
            raise FileNotFoundError(
                f"{directory}: no model.safetensors or pytorch_model.bin next to config.json")
        self._raw_names = {_normalize_hf_name(name): name for name in raw_names}

    def names(self) -> set[str]:
        return set(self._raw_names)

    def shape(self, name: str) -> tuple[int, ...]:
        raw = self._raw_names[name]
        if self._tensors is not None:
            return tuple(self._tensors[raw].shape)
        return tuple(self._file.get_slice(raw).get_shape())

    def get(self, name: str) -> np.ndarray:
        from safetensors import SafetensorError

        raw = self._raw_names[name]
        if self._tensors is not None:
            return self._tensors[raw]
        try:
            return self._file.get_tensor(raw)
        except SafetensorError as error:
            raise ValueError(f"{self.path}: cannot read {raw} ({error})") from None


class GoogleSource:
    """A TF1 name-based checkpoint (`bert_model.ckpt.index` + `.data-*`), as Google released."""

    naming = "google"

    def __init__(self, prefix: str):
        import tensorflow as tf

        self.path = prefix
        try:
            self._reader = tf.train.load_checkpoint(prefix)
        except (tf.errors.OpError, ValueError) as error:
            message = getattr(error, "message", str(error)).splitlines()[0]
            raise ValueError(f"{prefix}: not a readable TensorFlow checkpoint ({message})"
                             ) from None
        self._shapes = self._reader.get_variable_to_shape_map()

    def names(self) -> set[str]:
        return set(self._shapes)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._shapes[name])

    def get(self, name: str) -> np.ndarray:
        return np.asarray(self._reader.get_tensor(name))


def google_checkpoint_prefix(directory: str) -> str:
    """The checkpoint prefix in a Google release directory (`.../bert_model.ckpt`)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(directory)
    if latest:
        return latest
    indexes = sorted(storage.glob(storage.join(directory, "*.index")))
    if len(indexes) != 1:
        raise FileNotFoundError(
            f"{directory}: expected one TF checkpoint (*.index) next to bert_config.json, "
            f"found {len(indexes)}")
    return indexes[0][: -len(".index")]
