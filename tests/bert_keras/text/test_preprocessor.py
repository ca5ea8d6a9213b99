"""BertPreprocessor: texts and pairs, tf.data, a `.keras` round trip without vocab.txt."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_keras.text import BertPreprocessor, BertTokenizer

from text_testdata import TINY_VOCAB


def test_single_and_pair_inputs():
    preprocessor = BertPreprocessor(BertTokenizer(TINY_VOCAB), seq_length=7)
    single = preprocessor(tf.constant(["hello worlds"]))
    assert single["input_word_ids"].numpy().tolist() == [[2, 5, 6, 7, 3, 0, 0]]
    pair = preprocessor((tf.constant(["hello"]), tf.constant(["the world"])))
    assert pair["input_word_ids"].numpy().tolist() == [[2, 5, 3, 26, 6, 3, 0]]
    assert pair["input_type_ids"].numpy().tolist() == [[0, 0, 0, 1, 1, 1, 0]]


def test_rows_of_segments_numpy_arrays_and_python_lists():
    preprocessor = BertPreprocessor(BertTokenizer(TINY_VOCAB), seq_length=7)
    pairs = preprocessor((tf.constant(["hello", "the"]), tf.constant(["the world", "hello"])))
    expected = pairs["input_word_ids"].numpy().tolist()
    rows = [["hello", "the world"], ["the", "hello"]]
    # A [batch, segments] tensor or array: one row per example.
    assert preprocessor(tf.constant(rows))["input_word_ids"].numpy().tolist() == expected
    assert preprocessor(np.array(rows))["input_word_ids"].numpy().tolist() == expected
    # A flat Python list of strings, a NumPy string array or one string: one segment.
    single = preprocessor(tf.constant(["hello", "the"]))["input_word_ids"].numpy().tolist()
    assert preprocessor(["hello", "the"])["input_word_ids"].numpy().tolist() == single
    assert preprocessor(np.array(["hello", "the"]))["input_word_ids"].numpy().tolist() == single
    assert preprocessor("hello")["input_word_ids"].numpy().tolist() == single[:1]


@pytest.mark.parametrize("inputs,problem", [
    ([["hello", "the"], ["world", "hello"]], "got a nested Python list, which could mean rows "
                                              "or segments"),
    ((tf.constant(["a"]), tf.constant([["b"]])), r"segment 1 is a string tensor of shape "
                                                 r"\(1, 1\)"),
    (tf.constant([[["a"]]]), r"got a string tensor of shape \(1, 1, 1\)"),
    (tf.constant([1, 2]), r"got a int32 tensor of shape \(2,\)"),
    ([], "got an empty list"),
])
def test_inputs_of_the_wrong_shape_name_the_shape_expected(inputs, problem):
    preprocessor = BertPreprocessor(BertTokenizer(TINY_VOCAB), seq_length=7)
    with pytest.raises(ValueError, match=r"expects a \[batch\] string tensor, a \[batch, "
                                         r"segments\] string tensor, or a tuple of \[batch\] "
                                         r"string tensors \(one per segment\); " + problem):
        preprocessor(inputs)


def test_in_dataset_map():
    preprocessor = BertPreprocessor(BertTokenizer(TINY_VOCAB), seq_length=5, pad_to="longest")
    texts = tf.data.Dataset.from_tensor_slices(["hello", "hello world!"])
    dataset = texts.batch(2).map(preprocessor)
    batch = next(iter(dataset))
    assert batch["input_word_ids"].numpy().tolist() == [[2, 5, 3, 0, 0], [2, 5, 6, 8, 3]]


def test_rejects_non_tokenizer():
    with pytest.raises(ValueError, match="tokenizer must be a BertTokenizer, got str"):
        BertPreprocessor("vocab.txt")


def test_keras_file_round_trip_keeps_vocabulary(tmp_path):
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    preprocessor = BertPreprocessor(
        BertTokenizer(str(vocab_path), lowercase=False), seq_length=12, truncation="waterfall"
    )
    text = keras.Input(shape=(), dtype="string", name="text")
    model = keras.Model(text, preprocessor(text))
    batch = tf.constant(["Hello world!", "café, the unaffable $ ^ `", ""])
    before = model(batch)

    model.save(tmp_path / "preprocess.keras")
    vocab_path.unlink()
    restored = keras.saving.load_model(tmp_path / "preprocess.keras")
    after = restored(batch)

    for key in ("input_word_ids", "input_mask", "input_type_ids"):
        np.testing.assert_array_equal(after[key].numpy(), before[key].numpy())
    layer = restored.layers[-1]
    assert isinstance(layer, BertPreprocessor)
    assert layer.tokenizer.lowercase is False and layer.packer.truncation == "waterfall"
