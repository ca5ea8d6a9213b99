"""The one-weight model and its data that the callback, resume and disk-error tests train."""

import keras
import numpy as np
import tensorflow as tf


def one_weight_model() -> keras.Model:
    """Dense(1) on one input, compiled with Adam (so it has optimizer state to back up)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.1), "mse")
    return model


def line_batches() -> tf.data.Dataset:
    """Three batches of two points on y = 2x + 1."""
    x = np.arange(6, dtype="float32").reshape(6, 1)
    return tf.data.Dataset.from_tensor_slices((x, 2 * x + 1)).batch(2)
