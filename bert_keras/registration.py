"""Registers every custom Keras object of the package once Keras is imported.

`import bert_keras` must let `keras.saving.load_model` find our layers, models and optimizers
in a fresh process, without importing TensorFlow itself (`bert-keras --help` would take
seconds). So `bert_keras/__init__.py` asks wrapt (a TensorFlow dependency) to call
`register_all` right after `keras` is imported, and `register_all` imports the modules that
define custom objects.

Keras is often first imported by one of those modules itself, half-way through its own
import; importing the others then would meet it half-initialised. So `register_all` stops
at the first module still initialising, and each of these modules calls `register_all`
again on its last line, which finishes the work once the chain of imports is done.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# Modules that define custom Keras objects, each after those it imports.
MODULES = ("bert_keras.layers", "bert_keras.text", "bert_keras.optimizers",
           "bert_keras.models", "bert_keras.text_models")


def register_all(_keras: Any = None, *, finished: str = "") -> None:
    """Imports every module of `MODULES` (registering their objects), up to the first one
    that is still being imported (it calls this again when it is done); `finished` names
    the module calling from its last line.

    Example:
        >>> register_all()
        >>> import keras
        >>> keras.saving.get_registered_object("bert_keras>BertEncoder").__name__
        'BertEncoder'
    """
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            importlib.import_module(name)
        elif name != finished and getattr(module.__spec__, "_initializing", False):
            return
