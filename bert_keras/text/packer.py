"""`BertPacker`: ragged token ids of one or more segments -> the three BERT encoder inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from bert_keras.text.truncation import round_robin_lengths, waterfall_lengths

TRUNCATIONS = {"round_robin": round_robin_lengths, "waterfall": waterfall_lengths}
PAD_TO = ("fixed", "longest")

Segments = tf.RaggedTensor | tf.Tensor | Sequence[tf.RaggedTensor | tf.Tensor]


def _check_id(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int token id, got {value!r}")
    return value


@keras.saving.register_keras_serializable(package="bert_keras")
class BertPacker(keras.layers.Layer):
    """Packs segments into `[CLS] a [SEP] b [SEP] ...` with masks and segment (type) ids.

    Only core TensorFlow ops are used, so the layer can run inside an exported graph for any
    TF Serving version.

    Args:
        seq_length: length of every packed row (`pad_to="fixed"`) or the cap (`"longest"`).
        cls_id, sep_id, pad_id: ids of `[CLS]`, `[SEP]` and `[PAD]` (see `from_tokenizer`).
        truncation: `"round_robin"` (segments give up tokens in turn, the longest first; equals
            the reference `_truncate_seq_pair` for pairs) or `"waterfall"` (later segments are
            truncated first).
        pad_to: `"fixed"` pads to `seq_length`; `"longest"` to the longest row in the batch.

    Called on a ragged `[batch, (tokens)]` int tensor or a list of them, returns a dict of int32
    `[batch, seq]` tensors `input_word_ids`, `input_mask`, `input_type_ids`.

    Example:
        >>> packer = BertPacker(seq_length=8, cls_id=2, sep_id=3, pad_id=0)
        >>> a = tf.ragged.constant([[10, 11, 12, 13]])
        >>> b = tf.ragged.constant([[20, 21, 22]])
        >>> out = packer([a, b])
        >>> out["input_word_ids"].numpy().tolist()
        [[2, 10, 11, 12, 3, 20, 21, 3]]
        >>> out["input_type_ids"].numpy().tolist()
        [[0, 0, 0, 0, 0, 1, 1, 1]]
    """

    def __init__(
        self,
        seq_length: int,
        cls_id: int,
        sep_id: int,
        pad_id: int,
        truncation: str = "round_robin",
        pad_to: str = "fixed",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(seq_length, bool) or not isinstance(seq_length, int) or seq_length < 2:
            raise ValueError(f"seq_length must be an int >= 2, got {seq_length!r}")
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {sorted(TRUNCATIONS)}, got {truncation!r}")
        if pad_to not in PAD_TO:
            raise ValueError(f"pad_to must be one of {list(PAD_TO)}, got {pad_to!r}")
        self.seq_length = seq_length
        self.cls_id = _check_id("cls_id", cls_id)
        self.sep_id = _check_id("sep_id", sep_id)
        self.pad_id = _check_id("pad_id", pad_id)
        self.truncation = truncation
        self.pad_to = pad_to
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, seq_length: int, **kwargs: Any) -> BertPacker:
        """Builds a packer with the special token ids of a `BertTokenizer`.

        Example:
            >>> from bert_keras.text import BertTokenizer
            >>> tokenizer = BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
            >>> BertPacker.from_tokenizer(tokenizer, seq_length=16).sep_id
            3
        """
        return cls(
            seq_length=seq_length,
            cls_id=tokenizer.cls_id,
            sep_id=tokenizer.sep_id,
            pad_id=tokenizer.pad_id,
            **kwargs,
        )

    def call(self, inputs: Segments) -> dict[str, tf.Tensor]:
        segments = self._as_segments(inputs)
        num_segments = len(segments)
        budget = self.seq_length - num_segments - 1
        if budget < 0:
            raise ValueError(
                f"seq_length={self.seq_length} cannot hold {num_segments} segments: "
                f"they need {num_segments + 1} special tokens"
            )
        lengths = tf.stack([segment.row_lengths() for segment in segments], axis=1)
        kept = TRUNCATIONS[self.truncation](lengths, budget)
        batch_size = segments[0].nrows()
        cls = tf.fill([batch_size, 1], tf.constant(self.cls_id, tf.int32))
        sep = tf.fill([batch_size, 1], tf.constant(self.sep_id, tf.int32))
        word_parts = [tf.RaggedTensor.from_tensor(cls)]
        type_parts = [tf.RaggedTensor.from_tensor(tf.zeros_like(cls))]
        for index, segment in enumerate(segments):
            keep = tf.ragged.range(segment.row_lengths()) < kept[:, index : index + 1]
            truncated = tf.ragged.boolean_mask(segment, keep)
            truncated = tf.concat([truncated, tf.RaggedTensor.from_tensor(sep)], axis=1)
            word_parts.append(truncated)
            type_parts.append(tf.ones_like(truncated) * index)
        word_ids = tf.concat(word_parts, axis=1)
        type_ids = tf.concat(type_parts, axis=1)
        shape = [None, self.seq_length] if self.pad_to == "fixed" else None
        return {
            "input_word_ids": word_ids.to_tensor(default_value=self.pad_id, shape=shape),
            "input_mask": tf.ones_like(word_ids).to_tensor(default_value=0, shape=shape),
            "input_type_ids": type_ids.to_tensor(default_value=0, shape=shape),
        }

    @staticmethod
    def _as_segments(inputs: Segments) -> list[tf.RaggedTensor]:
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not items:
            raise ValueError("BertPacker needs at least one segment, got an empty list")
        segments = []
        for index, item in enumerate(items):
            if not isinstance(item, tf.RaggedTensor):
                item = tf.convert_to_tensor(item)
                if item.shape.rank != 2:
                    raise ValueError(
                        f"Segment {index} must be a [batch, (tokens)] ragged or dense tensor, "
                        f"got shape {item.shape}"
                    )
                item = tf.RaggedTensor.from_tensor(item)
            if item.shape.rank != 2:
                raise ValueError(
                    f"Segment {index} must have rank 2 [batch, (tokens)], got shape {item.shape}"
                )
            if not item.dtype.is_integer:
                raise ValueError(
                    f"Segment {index} must hold integer token ids, got {item.dtype.name}"
                )
            segments.append(tf.cast(item, tf.int32))
        return segments

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "seq_length": self.seq_length,
                "cls_id": self.cls_id,
                "sep_id": self.sep_id,
                "pad_id": self.pad_id,
                "truncation": self.truncation,
                "pad_to": self.pad_to,
            }
        )
        return config
