"""Token + position + segment embeddings, LayerNorm and dropout."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="bert_keras")
class BertEmbeddings(keras.layers.Layer):
    """Sums word, position and segment embeddings, then LayerNorm (float32) and dropout.

    Called with `reverse=True` on hidden states `[..., hidden]` it returns logits
    `[..., vocab_size]` against the word-embedding table: the masked-LM head uses this to
    tie its output weights to the input embeddings.

    Example:
        >>> layer = BertEmbeddings(vocab_size=100, hidden_size=32)
        >>> x = layer(ops.ones((2, 5), "int32"), ops.zeros((2, 5), "int32"))
        >>> tuple(x.shape)
        (2, 5, 32)
    """

    def __init__(self, vocab_size: int, hidden_size: int, max_position_embeddings: int = 512,
                 type_vocab_size: int = 2, dropout_rate: float = 0.1,
                 layer_norm_epsilon: float = 1e-12, initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.dropout_rate = dropout_rate
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype="float32", name="layer_norm")
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout", dtype=self.dtype_policy)

    def build(self, input_shape):
        initializer = keras.initializers.TruncatedNormal(stddev=self.initializer_range)
        self.word_embeddings = self.add_weight(
            name="word_embeddings", shape=(self.vocab_size, self.hidden_size),
            initializer=initializer)
        self.position_embeddings = self.add_weight(
            name="position_embeddings", shape=(self.max_position_embeddings, self.hidden_size),
            initializer=initializer)
        self.token_type_embeddings = self.add_weight(
            name="token_type_embeddings", shape=(self.type_vocab_size, self.hidden_size),
            initializer=initializer)
        self.layer_norm.build((None, None, self.hidden_size))
        self.built = True

    def call(self, inputs, input_type_ids=None, reverse: bool = False, training=None):
        if reverse:
            table = ops.cast(self.word_embeddings, self.compute_dtype)
            return ops.matmul(ops.cast(inputs, self.compute_dtype), ops.transpose(table))
        seq_length = self._checked_length(inputs)
        embeddings = ops.take(self.word_embeddings, inputs, axis=0)
        embeddings = embeddings + self.position_embeddings[None, :seq_length, :]
        if input_type_ids is None:
            input_type_ids = ops.zeros_like(inputs)
        embeddings = embeddings + ops.take(self.token_type_embeddings, input_type_ids, axis=0)
        embeddings = self.layer_norm(embeddings)
        return self.dropout(ops.cast(embeddings, self.compute_dtype), training=training)

    def _checked_length(self, inputs):
        """The sequence length, which must not exceed `max_position_embeddings`."""
        message = (f"{self.name}: sequence length exceeds max_position_embeddings "
                   f"({self.max_position_embeddings})")
        seq_length = inputs.shape[1]
        if seq_length is not None:
            if seq_length > self.max_position_embeddings:
                raise ValueError(f"{message}: got {seq_length}")
            return seq_length
        seq_length = tf.shape(inputs)[1]
        with tf.control_dependencies([tf.debugging.assert_less_equal(
                seq_length, self.max_position_embeddings, message=message)]):
            return tf.identity(seq_length)

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "dropout_rate": self.dropout_rate,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "initializer_range": self.initializer_range,
        }
