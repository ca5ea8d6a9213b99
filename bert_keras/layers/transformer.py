"""Post-LayerNorm Transformer encoder block, as in BERT."""

from __future__ import annotations

import math

import keras
from keras import ops

from bert_keras.layers.activations import activation_function

# Added to attention scores of padding positions (in float32) before the softmax.
_MASK_BIAS = -1e9


@keras.saving.register_keras_serializable(package="bert_keras")
class TransformerEncoderBlock(keras.layers.Layer):
    """Multi-head self-attention with a padding mask, then a feed-forward network.

    Each sub-block is followed by dropout, a residual connection and LayerNorm (post-LN).
    LayerNorm and the attention softmax run in float32 under mixed precision.

    Example:
        >>> block = TransformerEncoderBlock(num_heads=4, intermediate_size=64)
        >>> y = block(ops.ones((2, 5, 32)), padding_mask=ops.ones((2, 5), "int32"))
        >>> tuple(y.shape)
        (2, 5, 32)
    """

    def __init__(self, num_heads: int, intermediate_size: int, activation: str = "gelu",
                 dropout_rate: float = 0.1, attention_dropout_rate: float = 0.1,
                 layer_norm_epsilon: float = 1e-12, initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.activation = activation
        self.dropout_rate = dropout_rate
        self.attention_dropout_rate = attention_dropout_rate
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self._activation = activation_function(activation)

    def build(self, input_shape):
        hidden_size = input_shape[-1]
        if hidden_size % self.num_heads:
            raise ValueError(f"{self.name}: hidden size {hidden_size} is not divisible by "
                             f"num_heads {self.num_heads}")
        self.head_size = hidden_size // self.num_heads

        def dense(units, name):
            return keras.layers.Dense(
                units, name=name, dtype=self.dtype_policy,
                kernel_initializer=keras.initializers.TruncatedNormal(
                    stddev=self.initializer_range))

        def layer_norm(name):
            return keras.layers.LayerNormalization(
                epsilon=self.layer_norm_epsilon, dtype="float32", name=name)

        self.query = dense(hidden_size, "query")
        self.key = dense(hidden_size, "key")
        self.value = dense(hidden_size, "value")
        self.attention_output = dense(hidden_size, "attention_output")
        self.attention_layer_norm = layer_norm("attention_layer_norm")
        self.intermediate = dense(self.intermediate_size, "intermediate")
        self.output_dense = dense(hidden_size, "output")
        self.output_layer_norm = layer_norm("output_layer_norm")
        # Sublayers follow this layer's policy, not the global one, so that a model saved
        # under a mixed policy loads and computes the same where the global policy differs.
        self.attention_dropout = keras.layers.Dropout(self.attention_dropout_rate,
                                                      dtype=self.dtype_policy)
        self.dropout = keras.layers.Dropout(self.dropout_rate, dtype=self.dtype_policy)
        for layer in (self.query, self.key, self.value, self.attention_output,
                      self.intermediate):
            layer.build(input_shape)
        self.output_dense.build((*input_shape[:-1], self.intermediate_size))
        self.attention_layer_norm.build(input_shape)
        self.output_layer_norm.build(input_shape)
        self.built = True

    def _split_heads(self, x, batch, seq):
        x = ops.reshape(x, (batch, seq, self.num_heads, self.head_size))
        return ops.transpose(x, (0, 2, 1, 3))

    def _attention(self, x, padding_mask, training):
        batch, seq = ops.shape(x)[0], ops.shape(x)[1]
        query = self._split_heads(self.query(x), batch, seq)
        key = self._split_heads(self.key(x), batch, seq)
        value = self._split_heads(self.value(x), batch, seq)
        scores = ops.einsum("bnqd,bnkd->bnqk", query, key)
        scores = ops.cast(scores, "float32") / math.sqrt(self.head_size)
        if padding_mask is not None:
            keep = ops.cast(padding_mask, "float32")[:, None, None, :]
            scores = scores + (1.0 - keep) * _MASK_BIAS
        probabilities = ops.cast(ops.softmax(scores, axis=-1), self.compute_dtype)
        probabilities = self.attention_dropout(probabilities, training=training)
        context = ops.einsum("bnqk,bnkd->bnqd", probabilities, value)
        context = ops.reshape(ops.transpose(context, (0, 2, 1, 3)),
                              (batch, seq, self.num_heads * self.head_size))
        return self.attention_output(context)

    def call(self, inputs, padding_mask=None, training=None):
        attention = self.dropout(self._attention(inputs, padding_mask, training),
                                 training=training)
        hidden = ops.cast(self.attention_layer_norm(inputs + attention), self.compute_dtype)
        feed_forward = self.output_dense(self._activation(self.intermediate(hidden)))
        feed_forward = self.dropout(feed_forward, training=training)
        return ops.cast(self.output_layer_norm(hidden + feed_forward), self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_size": self.intermediate_size,
            "activation": self.activation,
            "dropout_rate": self.dropout_rate,
            "attention_dropout_rate": self.attention_dropout_rate,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "initializer_range": self.initializer_range,
        }
