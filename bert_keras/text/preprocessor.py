"""`BertPreprocessor`: raw strings (one or more segments) -> BERT encoder inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from bert_keras.text.packer import BertPacker
from bert_keras.text.tokenizer import BertTokenizer


@keras.saving.register_keras_serializable(package="bert_keras")
class BertPreprocessor(keras.layers.Layer):
    """Tokenizes one string tensor (or a tuple/list of them, for pairs) and packs the result.

    The vocabulary travels in the config, so a saved `.keras` model needs no `vocab.txt`.

    Args:
        tokenizer: a `BertTokenizer`.
        seq_length, truncation, pad_to: as for `BertPacker`; the special ids come from the
            tokenizer.

    Example:
        >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hi", "there"]
        >>> preprocessor = BertPreprocessor(BertTokenizer(vocab), seq_length=6)
        >>> out = preprocessor((tf.constant(["Hi"]), tf.constant(["there"])))
        >>> out["input_word_ids"].numpy().tolist(), out["input_type_ids"].numpy().tolist()
        ([[2, 5, 3, 6, 3, 0]], [[0, 0, 0, 1, 1, 0]])
    """

    def __init__(
        self,
        tokenizer: BertTokenizer,
        seq_length: int = 128,
        truncation: str = "round_robin",
        pad_to: str = "fixed",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        if not isinstance(tokenizer, BertTokenizer):
            raise ValueError(f"tokenizer must be a BertTokenizer, got {type(tokenizer).__name__}")
        self.tokenizer = tokenizer
        self.packer = BertPacker.from_tokenizer(
            tokenizer, seq_length=seq_length, truncation=truncation, pad_to=pad_to
        )
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    def call(self, inputs: tf.Tensor | Sequence[tf.Tensor]) -> dict[str, tf.Tensor]:
        texts = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        return self.packer([self.tokenizer(text) for text in texts])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
                "seq_length": self.packer.seq_length,
                "truncation": self.packer.truncation,
                "pad_to": self.packer.pad_to,
            }
        )
        return config
