"""Task heads: classification/regression, token classification, NSP, spans, masked LM.

Every head returns float32 logits, also under mixed precision.
"""

from __future__ import annotations

import keras
from keras import ops

from bert_keras.layers.activations import activation_function

# Span logits of padding positions, so that no answer can start or end there.
_PADDING_LOGIT = -1e9


def _kernel_initializer(initializer_range: float) -> keras.initializers.Initializer:
    """A task head's kernel: normal with stddev `initializer_range`, as Hugging Face draws
    it (Google's BERT truncates it at 2 stddev; see docs/results.md, "Fine-tuning quality
    over seeds")."""
    return keras.initializers.RandomNormal(stddev=initializer_range)


@keras.saving.register_keras_serializable(package="bert_keras")
class ClassificationHead(keras.layers.Layer):
    """Dropout then a dense projection to `num_classes` float32 logits.

    Works on pooled `[batch, hidden]` inputs (sentence classification; `num_classes=1` is
    regression; next-sentence prediction is `ClassificationHead(2, dropout_rate=0.0)`) and on
    `[batch, seq, hidden]` inputs (token classification / NER).

    Example:
        >>> tuple(ClassificationHead(3)(ops.ones((2, 32))).shape)
        (2, 3)
    """

    def __init__(self, num_classes: int, dropout_rate: float = 0.1,
                 initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = num_classes
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        self.dropout = keras.layers.Dropout(dropout_rate, dtype=self.dtype_policy)
        self.dense = keras.layers.Dense(
            num_classes, name="dense", dtype="float32",
            kernel_initializer=_kernel_initializer(initializer_range))

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        return self.dense(self.dropout(inputs, training=training))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "dropout_rate": self.dropout_rate, "initializer_range": self.initializer_range}


@keras.saving.register_keras_serializable(package="bert_keras")
class SpanLabelingHead(keras.layers.Layer):
    """Start and end logits per token for extractive QA; padding positions get -1e9.

    Example:
        >>> start, end = SpanLabelingHead()(ops.ones((2, 5, 32)), ops.ones((2, 5), "int32"))
        >>> tuple(start.shape)
        (2, 5)
    """

    def __init__(self, initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.initializer_range = initializer_range
        self.dense = keras.layers.Dense(
            2, name="dense", dtype="float32",
            kernel_initializer=_kernel_initializer(initializer_range))

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.built = True

    def call(self, sequence_output, padding_mask=None):
        logits = self.dense(sequence_output)
        if padding_mask is not None:
            padding = 1.0 - ops.cast(padding_mask, "float32")
            logits = logits + padding[:, :, None] * _PADDING_LOGIT
        return logits[:, :, 0], logits[:, :, 1]

    def get_config(self):
        return {**super().get_config(), "initializer_range": self.initializer_range}


@keras.saving.register_keras_serializable(package="bert_keras")
class MaskedLMHead(keras.layers.Layer):
    """Gathers the masked positions and applies BERT's MLM transform: dense, activation, LayerNorm.

    The vocabulary projection is tied to the word embeddings: feed the result to
    `BertEmbeddings(..., reverse=True)` and then `OutputBias` (what `bert_pretrainer` does).

    Example:
        >>> head = MaskedLMHead(activation="gelu")
        >>> tuple(head(ops.ones((2, 5, 32)), ops.zeros((2, 3), "int32")).shape)
        (2, 3, 32)
    """

    def __init__(self, activation: str = "gelu", layer_norm_epsilon: float = 1e-12,
                 initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self._activation = activation_function(activation)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype="float32", name="layer_norm")

    def build(self, input_shape):
        self.dense = keras.layers.Dense(
            input_shape[-1], name="dense", dtype=self.dtype_policy,
            kernel_initializer=_kernel_initializer(self.initializer_range))
        self.dense.build(input_shape)
        self.layer_norm.build(input_shape)
        self.built = True

    def call(self, sequence_output, masked_positions):
        gathered = ops.take_along_axis(
            sequence_output, ops.cast(masked_positions, "int32")[:, :, None], axis=1)
        hidden = self.layer_norm(self._activation(self.dense(gathered)))
        return ops.cast(hidden, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range}


@keras.saving.register_keras_serializable(package="bert_keras")
class OutputBias(keras.layers.Layer):
    """Adds a learned bias over the last axis and returns float32 (the MLM output bias).

    Example:
        >>> tuple(OutputBias()(ops.ones((2, 3, 10))).shape)
        (2, 3, 10)
    """

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")
        self.built = True

    def call(self, inputs):
        return ops.cast(inputs, "float32") + ops.cast(self.bias, "float32")
