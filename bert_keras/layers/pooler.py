"""The tanh pooler over the first ([CLS]) token."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="bert_keras")
class BertPooler(keras.layers.Layer):
    """`tanh(dense(sequence_output[:, 0]))`, BERT's sentence representation.

    Example:
        >>> from keras import ops
        >>> tuple(BertPooler(initializer_range=0.02)(ops.ones((2, 5, 32))).shape)
        (2, 32)
    """

    def __init__(self, initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.initializer_range = initializer_range

    def build(self, input_shape):
        self.dense = keras.layers.Dense(
            input_shape[-1], activation="tanh", name="dense", dtype=self.dtype_policy,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=self.initializer_range))
        self.dense.build((input_shape[0], input_shape[-1]))
        self.built = True

    def call(self, sequence_output):
        return self.dense(sequence_output[:, 0, :])

    def get_config(self):
        return {**super().get_config(), "initializer_range": self.initializer_range}
