"""`BertConfig`: the validated hyper-parameters of a BERT encoder.

Reads Google's `bert_config.json` and Hugging Face's `config.json`; writes Google's format.

Example:
    >>> config = BertConfig.preset("mini", vocab_size=30522)
    >>> (config.num_layers, config.hidden_size, config.num_heads)
    (4, 256, 4)
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from bert_keras import storage

# Activation names accepted in configs, mapped to their canonical name.
# "gelu" is the exact erf form, as in Hugging Face and in conversions of Google's checkpoints
# (Google's reference code computes the tanh form: set "gelu_approximate" for bit-level fidelity).
ACTIVATIONS = {
    "gelu": "gelu",
    "gelu_approximate": "gelu_approximate",
    "gelu_new": "gelu_approximate",
    "gelu_fast": "gelu_approximate",
    "gelu_pytorch_tanh": "gelu_approximate",
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
    "tanh": "tanh",
}

# Published Google BERT sizes (github.com/google-research/bert): name -> (layers, hidden).
# Heads are hidden / 64 and the feed-forward size is 4 * hidden, as in Google's releases.
PRESETS = {
    "tiny": (2, 128),
    "mini": (4, 256),
    "small": (4, 512),
    "medium": (8, 512),
    "base": (12, 768),
    "large": (24, 1024),
}

# Keys of Google's bert_config.json -> BertConfig fields.
_GOOGLE_KEYS = {
    "vocab_size": "vocab_size",
    "hidden_size": "hidden_size",
    "num_hidden_layers": "num_layers",
    "num_attention_heads": "num_heads",
    "intermediate_size": "intermediate_size",
    "hidden_act": "activation",
    "hidden_dropout_prob": "dropout_rate",
    "attention_probs_dropout_prob": "attention_dropout_rate",
    "max_position_embeddings": "max_position_embeddings",
    "type_vocab_size": "type_vocab_size",
    "initializer_range": "initializer_range",
}
# Hugging Face's config.json uses the same names plus these.
_HF_EXTRA_KEYS = {"layer_norm_eps": "layer_norm_epsilon"}


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Hyper-parameters of a BERT encoder; validated on construction.

    Example:
        >>> BertConfig(vocab_size=100, hidden_size=32, num_layers=2, num_heads=4,
        ...            intermediate_size=64).head_size
        8
    """

    vocab_size: int = 30522
    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int = 3072
    activation: str = "gelu"
    dropout_rate: float = 0.1
    attention_dropout_rate: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_epsilon: float = 1e-12
    initializer_range: float = 0.02

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size",
                     "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"BertConfig.{name} must be a positive integer, got {value!r}")
        for name in ("dropout_rate", "attention_dropout_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                raise ValueError(f"BertConfig.{name} must be in [0, 1), got {value!r}")
        for name in ("layer_norm_epsilon", "initializer_range"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"BertConfig.{name} must be a positive number, got {value!r}")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"BertConfig.hidden_size ({self.hidden_size}) must be divisible by "
                f"num_heads ({self.num_heads})")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"BertConfig.activation {self.activation!r} is not supported; "
                f"expected one of {sorted(ACTIVATIONS)}")

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_heads

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "BertConfig":
        """A published Google size: tiny, mini, small, medium, base or large.

        Example:
            >>> BertConfig.preset("base").num_heads
            12
        """
        if name not in PRESETS:
            raise ValueError(f"Unknown BERT preset {name!r}; expected one of {list(PRESETS)}")
        layers, hidden = PRESETS[name]
        values = dict(num_layers=layers, hidden_size=hidden, num_heads=hidden // 64,
                      intermediate_size=4 * hidden)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> "BertConfig":
        """Builds a config from Google-style, Hugging Face-style or BertConfig field names.

        Unknown keys are ignored (HF configs carry many); known ones are validated.
        """
        if values.get("model_type", "bert") != "bert":
            raise ValueError(f"{source}: model_type is {values['model_type']!r}, expected 'bert'")
        if values.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{source}: position_embedding_type "
                             f"{values['position_embedding_type']!r} is not supported "
                             "(only 'absolute')")
        fields = {f.name for f in dataclasses.fields(cls)}
        renames = {**_GOOGLE_KEYS, **_HF_EXTRA_KEYS}
        kwargs = {}
        for key, value in values.items():
            field = renames.get(key, key)
            if field in fields:
                kwargs[field] = value
        try:
            return cls(**kwargs)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "BertConfig":
        """Reads Google's `bert_config.json` or Hugging Face's `config.json`.

        Example:
            >>> config = BertConfig.from_json("uncased_L-12_H-768_A-12/bert_config.json")  # doctest: +SKIP
        """
        path = os.fspath(path)
        try:
            with storage.open_file(path, encoding="utf-8") as file:
                values = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a JSON object, got {type(values).__name__}")
        return cls.from_dict(values, source=path)

    def to_google_dict(self) -> dict[str, Any]:
        """The fields under Google's `bert_config.json` names."""
        google = {key: getattr(self, field) for key, field in _GOOGLE_KEYS.items()}
        google["layer_norm_eps"] = self.layer_norm_epsilon
        return google

    def to_json(self, path: str | os.PathLike) -> None:
        """Writes Google's `bert_config.json` format (plus `layer_norm_eps`)."""
        with storage.open_file(path, "w", encoding="utf-8") as file:
            json.dump(self.to_google_dict(), file, indent=2)
            file.write("\n")
