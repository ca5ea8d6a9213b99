"""`load_checkpoint` and `load_pretrainer`: Google TF1, Hugging Face and `.keras` sources."""

from __future__ import annotations

import logging
import os

import keras
import numpy as np

from bert_keras import storage
from bert_keras.checkpoints.sources import (GoogleSource, HuggingFaceSource, TensorSource,
                                            google_checkpoint_prefix)
from bert_keras.checkpoints.weight_map import (WeightSpec, encoder_weight_specs,
                                               pretraining_head_specs)
from bert_keras.config import BertConfig
from bert_keras.models import (BertEncoder, BertPretrainer, bert_encoder, bert_pretrainer,
                               encoder_of)

logger = logging.getLogger(__name__)

# Variables a checkpoint may hold that are not model weights.
_IGNORED_SUFFIXES = ("/adam_m", "/adam_v", "global_step", "embeddings.position_ids")
# Name prefixes of encoder weights, per naming: leftovers under them mean a config mismatch.
_ENCODER_PREFIXES = {"google": ("bert/",), "hf": ("embeddings.", "encoder.", "pooler.")}


def _open(path: str) -> tuple[BertConfig, TensorSource]:
    """Config and tensors of a Hugging Face directory or a Google checkpoint (dir or prefix)."""
    if storage.isdir(path):
        if storage.exists(storage.join(path, "config.json")):
            return (BertConfig.from_json(storage.join(path, "config.json")),
                    HuggingFaceSource(path))
        if storage.exists(storage.join(path, "bert_config.json")):
            return (BertConfig.from_json(storage.join(path, "bert_config.json")),
                    GoogleSource(google_checkpoint_prefix(path)))
        raise FileNotFoundError(f"{path}: neither a Hugging Face directory (config.json) nor a "
                                "Google BERT directory (bert_config.json)")
    if storage.exists(path + ".index"):
        config_path = storage.join(os.path.dirname(path), "bert_config.json")
        if not storage.exists(config_path):
            raise FileNotFoundError(f"{path}: no bert_config.json next to the checkpoint")
        return BertConfig.from_json(config_path), GoogleSource(path)
    raise FileNotFoundError(f"{path}: not a checkpoint directory, checkpoint prefix or "
                            ".keras file")


def _source_name(spec: WeightSpec, naming: str) -> tuple[str, bool]:
    if naming == "google":
        return spec.google_name, spec.google_transpose
    return spec.hf_name, spec.hf_transpose


def _assign(model: keras.Model, source: TensorSource, specs: list[WeightSpec]) -> set[str]:
    """Copies each spec's tensor into the model, checking shapes; returns the names used."""
    variables = {variable.path: variable for variable in model.weights}
    used = set()
    for spec in specs:
        name, transpose = _source_name(spec, source.naming)
        if name not in source.names():
            raise ValueError(f"{source.path}: variable {name} is missing from the checkpoint")
        variable = variables[spec.keras_path]
        shape = source.shape(name)
        loaded_shape = shape[::-1] if transpose else shape
        if loaded_shape != tuple(variable.shape):
            expected = tuple(variable.shape)[::-1] if transpose else tuple(variable.shape)
            raise ValueError(f"{source.path}: variable {name} has shape {shape} in the "
                             f"checkpoint but the config expects {expected}")
        value = source.get(name)
        variable.assign(np.asarray(value.T if transpose else value, dtype=variable.dtype))
        used.add(name)
    return used


def _check_nothing_left(source: TensorSource, used: set[str]) -> None:
    leftovers = sorted(
        name for name in source.names() - used
        if name.startswith(_ENCODER_PREFIXES[source.naming])
        and not name.endswith(_IGNORED_SUFFIXES))
    if leftovers:
        more = f" (and {len(leftovers) - 1} more)" if len(leftovers) > 1 else ""
        raise ValueError(f"{source.path}: variable {leftovers[0]}{more} is not described by "
                         "the config; does num_hidden_layers match?")


def load_checkpoint(path: str | os.PathLike) -> tuple[BertConfig, BertEncoder]:
    """Loads a BERT encoder from a Hugging Face dir, a Google TF1 checkpoint or a `.keras` file.

    Example:
        >>> config, encoder = load_checkpoint("uncased_L-12_H-768_A-12")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if path.endswith(".keras"):
        encoder = encoder_of(keras.models.load_model(path))
        return encoder.config, encoder
    config, source = _open(path)
    encoder = bert_encoder(config)
    used = _assign(encoder, source, encoder_weight_specs(config.num_layers))
    _check_nothing_left(source, used)
    return config, encoder


def load_pretrainer(path: str | os.PathLike) -> tuple[BertConfig, BertPretrainer]:
    """Like `load_checkpoint`, but returns `bert_pretrainer` with MLM/NSP heads.

    Head weights present in the checkpoint are loaded (each head all or nothing); heads the
    checkpoint lacks keep their fresh initialisation (logged).

    Example:
        >>> config, pretrainer = load_pretrainer("uncased_L-12_H-768_A-12")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if path.endswith(".keras"):
        model = keras.models.load_model(path)
        if isinstance(model, BertPretrainer):
            return model.encoder.config, model
        encoder = encoder_of(model)
        return encoder.config, bert_pretrainer(encoder)
    config, source = _open(path)
    pretrainer = bert_pretrainer(bert_encoder(config))
    used = _assign(pretrainer, source, encoder_weight_specs(config.num_layers))
    _check_nothing_left(source, used)
    head_specs = pretraining_head_specs()
    for head, prefix in (("masked-LM", "mlm_"), ("next-sentence", "nsp_")):
        specs = [spec for spec in head_specs if spec.keras_path.startswith(prefix)]
        present = [spec for spec in specs if _source_name(spec, source.naming)[0] in source.names()]
        if present:
            _assign(pretrainer, source, specs)
        else:
            logger.info("%s: no %s head weights; the head starts from random values",
                        source.path, head)
    return config, pretrainer
