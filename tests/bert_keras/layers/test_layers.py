import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from bert_keras.layers import (BertEmbeddings, BertPooler, ClassificationHead, MaskedLMHead,
                               OutputBias, SpanLabelingHead, TransformerEncoderBlock)


def block(**kwargs):
    return TransformerEncoderBlock(num_heads=4, intermediate_size=64, dropout_rate=0.0,
                                   attention_dropout_rate=0.0, **kwargs)


@pytest.mark.parametrize("layer", [
    BertEmbeddings(vocab_size=50, hidden_size=32, max_position_embeddings=16),
    block(activation="gelu_approximate"),
    BertPooler(initializer_range=0.05),
    ClassificationHead(3, dropout_rate=0.2),
    SpanLabelingHead(),
    MaskedLMHead(activation="relu", layer_norm_epsilon=1e-6),
    OutputBias(),
], ids=lambda layer: type(layer).__name__)
def test_get_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_embeddings_sum_lookup_tables():
    layer = BertEmbeddings(vocab_size=10, hidden_size=8, max_position_embeddings=6,
                           dropout_rate=0.0)
    ids = np.array([[1, 2, 3]], "int32")
    types = np.array([[0, 1, 1]], "int32")
    out = layer(ids, types)
    expected = (ops.take(layer.word_embeddings, ids, axis=0) + layer.position_embeddings[:3]
                + ops.take(layer.token_type_embeddings, types, axis=0))
    np.testing.assert_allclose(out, layer.layer_norm(expected), atol=1e-6)
    logits = layer(ops.ones((2, 4, 8)), reverse=True)
    np.testing.assert_allclose(logits, ops.ones((2, 4, 8)) @ ops.transpose(layer.word_embeddings),
                               atol=1e-5)


def test_padding_positions_do_not_change_real_positions():
    layer = block()
    x = np.random.default_rng(0).normal(size=(1, 6, 32)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0]], "int32")
    changed = x.copy()
    changed[:, 4:] = 100.0
    np.testing.assert_allclose(layer(x, padding_mask=mask)[:, :4],
                               layer(changed, padding_mask=mask)[:, :4], atol=1e-5)
    assert not np.allclose(layer(x)[:, :4], layer(changed)[:, :4], atol=1e-3)


def test_exact_and_tanh_gelu_differ_slightly():
    exact = block(activation="gelu")
    x = np.random.default_rng(1).normal(size=(2, 5, 32)).astype("float32")
    exact(x)
    approximate = block(activation="gelu_new")
    approximate(x)
    approximate.set_weights(exact.get_weights())
    difference = np.abs(exact(x) - approximate(x)).max()
    assert 0 < difference < 1e-2
    with pytest.raises(ValueError, match="Unknown activation 'geluu'"):
        block(activation="geluu")


def test_softmax_and_layer_norm_run_in_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    layer = block()
    x = tf.ones((2, 5, 32), "float16")
    mask = tf.constant([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "int32")
    graph = tf.function(lambda x, m: layer(x, padding_mask=m)).get_concrete_function(
        x, mask).graph
    softmax_types = [op.get_attr("T") for op in graph.get_operations() if op.type == "Softmax"]
    assert softmax_types == [tf.float32]
    assert layer.attention_layer_norm.compute_dtype == "float32"
    assert layer.output_layer_norm.compute_dtype == "float32"
    out = layer(x, padding_mask=mask)
    assert out.dtype == "float16" and np.isfinite(np.asarray(out, "float32")).all()


def test_span_head_masks_padding_and_heads_return_float32():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    start, end = SpanLabelingHead()(ops.ones((1, 4, 32)), np.array([[1, 1, 1, 0]]))
    assert start.dtype == end.dtype == "float32"
    assert float(start[0, 3]) < -1e8 and float(end[0, 3]) < -1e8
    assert ClassificationHead(2)(ops.ones((1, 32))).dtype == "float32"


def test_masked_lm_head_gathers_positions():
    head = MaskedLMHead()
    sequence = np.random.default_rng(2).normal(size=(2, 5, 32)).astype("float32")
    positions = np.array([[4, 0], [1, 1]], "int32")
    gathered = sequence[np.arange(2)[:, None], positions]
    np.testing.assert_allclose(head(sequence, positions),
                               head(gathered, np.array([[0, 1], [0, 1]], "int32")), atol=1e-6)


def test_too_long_sequences_are_a_clear_error():
    layer = BertEmbeddings(vocab_size=10, hidden_size=8, max_position_embeddings=4)
    with pytest.raises(ValueError, match=r"sequence length exceeds max_position_embeddings "
                                         r"\(4\): got 5"):
        layer(np.ones((1, 5), "int32"))
    in_graph = tf.function(layer, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    assert tuple(in_graph(np.ones((2, 4), "int32")).shape) == (2, 4, 8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="exceeds max_position_embeddings"):
        in_graph(np.ones((1, 6), "int32"))
