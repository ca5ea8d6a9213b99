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
    """Tokenizes text segments and packs them into BERT encoder inputs.

    Inputs, for a batch of rows of one or more segments each:
    - one segment: a `[batch]` string tensor or array, a Python list of strings, or one string;
    - several segments: a `[batch, segments]` string tensor or array (a row per example), or a
      tuple/list holding one `[batch]` string tensor or array per segment.
    Anything else (a nested Python list, which could mean rows or segments; a segment that is
    not `[batch]`) is refused with the shape expected.

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
        return self.packer([self.tokenizer(segment) for segment in segments(inputs)])

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


_EXPECTED = ("a [batch] string tensor, a [batch, segments] string tensor, or a tuple of [batch] "
             "string tensors (one per segment)")


def segments(inputs: Any) -> list[tf.Tensor]:
    """The `[batch]` string tensors, one per segment, that `inputs` holds (see
    `BertPreprocessor`); a ValueError names the shape expected otherwise.

    Example:
        >>> [s.numpy().tolist() for s in segments(tf.constant([["a", "b"], ["c", "d"]]))]
        [[b'a', b'c'], [b'b', b'd']]
    """
    if isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    if isinstance(inputs, (list, tuple)) and inputs and all(
            isinstance(item, (str, bytes)) for item in inputs):
        return [tf.constant(list(inputs), tf.string)]
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            raise ValueError(f"BertPreprocessor expects {_EXPECTED}; got an empty "
                             f"{type(inputs).__name__}")
        if any(isinstance(item, (list, tuple)) for item in inputs):
            raise ValueError(
                f"BertPreprocessor expects {_EXPECTED}; got a nested Python list, which could "
                "mean rows or segments: pass tf.constant(rows) for rows of segments, or a tuple "
                "of tf.constant(column) for one segment each")
        found = [tf.convert_to_tensor(item) for item in inputs]
        for index, segment in enumerate(found):
            if segment.dtype != tf.string or segment.shape.rank != 1:
                raise ValueError(f"BertPreprocessor expects {_EXPECTED}; segment {index} is a "
                                 f"{segment.dtype.name} tensor of shape {segment.shape}")
        return found
    text = tf.convert_to_tensor(inputs)
    if text.dtype != tf.string or text.shape.rank not in (0, 1, 2) or (
            text.shape.rank == 2 and text.shape[1] is None):
        raise ValueError(f"BertPreprocessor expects {_EXPECTED}; got a {text.dtype.name} "
                         f"tensor of shape {text.shape}")
    if text.shape.rank == 2:
        return tf.unstack(text, axis=1)
    return [tf.reshape(text, [-1])]
