"""Feed-forward activations by name (the names `BertConfig.activation` accepts)."""

from __future__ import annotations

from typing import Callable

from keras import ops

from bert_keras.config import ACTIVATIONS

_FUNCTIONS: dict[str, Callable] = {
    "gelu": lambda x: ops.gelu(x, approximate=False),
    "gelu_approximate": lambda x: ops.gelu(x, approximate=True),
    "relu": ops.relu,
    "silu": ops.silu,
    "tanh": ops.tanh,
}


def activation_function(name: str) -> Callable:
    """The function for an activation name or alias ("gelu" is exact erf, "gelu_new" tanh).

    Example:
        >>> float(activation_function("relu")(ops.convert_to_tensor(-1.0)))
        0.0
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return _FUNCTIONS[ACTIVATIONS[name]]
