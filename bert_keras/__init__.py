"""bert-keras: BERT models in Keras 3 / TensorFlow.

`import bert_keras` is quick (it does not import TensorFlow), yet registers every custom Keras
object of the package (layers, models, raw-text models, optimizers, schedules) as soon as
Keras is imported, so `keras.saving.load_model` finds them in a fresh process with only
`import bert_keras` (see `bert_keras.registration`).

Example:
    >>> import bert_keras
    >>> bert_keras.BertConfig.preset("tiny").hidden_size
    128
    >>> encoder, tokenizer = bert_keras.from_pretrained("path/to/hf_bert")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import wrapt

from bert_keras.config import BertConfig
from bert_keras.registration import register_all

__version__ = "0.1.0"

# Public names that need TensorFlow, loaded on first use: name -> module.
_LAZY = {"from_pretrained": "bert_keras.pretrained", "BertEncoder": "bert_keras.models",
         "BertTextModel": "bert_keras.text_models",
         "text_classifier": "bert_keras.text_models", "text_tagger": "bert_keras.text_models",
         "text_span_labeler": "bert_keras.text_models"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bert_keras' has no attribute {name!r}")


wrapt.register_post_import_hook(register_all, "keras")

__all__ = ["BertConfig", *_LAZY]
