"""bert_keras.export.graph_check on real SavedModels: our preprocessing passes, tf-text
trimmers fail."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.text import BertPacker, BertTokenizer
from bert_keras.export.graph_check import (TF_SERVING_TF_TEXT_OPS, DisallowedOpsError,
                                           check_saved_model, saved_model_op_types)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "!", "the"]
STRING_BATCH = tf.TensorSpec([None], tf.string)


class Preprocess(tf.Module):
    def __init__(self, lowercase: bool) -> None:
        super().__init__()
        self.tokenizer = BertTokenizer(VOCAB, lowercase=lowercase)
        self.packer = BertPacker.from_tokenizer(self.tokenizer, seq_length=8)

    @tf.function(input_signature=[STRING_BATCH, STRING_BATCH])
    def __call__(self, first, second):
        return self.packer([self.tokenizer(first), self.tokenizer(second)])


class TrimWithTfText(tf.Module):
    @tf.function(input_signature=[STRING_BATCH])
    def __call__(self, text):
        words = tf_text.WhitespaceTokenizer().tokenize(text)
        (trimmed,) = tf_text.RoundRobinTrimmer(max_seq_length=4).trim([words])
        return {"words": trimmed.to_tensor()}


def test_preprocessing_saved_model_uses_only_servable_ops(tmp_path):
    # Uncased uses a superset of the cased ops (StringLower and accent stripping on top).
    module = Preprocess(lowercase=True)
    first, second = tf.constant(["Hello worlds!", ""]), tf.constant(["the world", "hello"])
    expected = module(first, second)
    tf.saved_model.save(module, str(tmp_path), signatures=module.__call__.get_concrete_function())

    ops = check_saved_model(tmp_path)

    assert {"FastWordpieceTokenizeWithOffsets", "RegexSplitWithOffsets", "NormalizeUTF8"} <= ops
    assert not any(op.startswith("TFText>") for op in ops)
    assert ops - TF_SERVING_TF_TEXT_OPS <= set(dir(tf.raw_ops))
    served = tf.saved_model.load(str(tmp_path)).signatures["serving_default"]
    outputs = served(first=first, second=second)
    for key, value in expected.items():
        np.testing.assert_array_equal(outputs[key].numpy(), value.numpy())


def test_round_robin_trimmer_saved_model_is_rejected_with_op_named(tmp_path):
    module = TrimWithTfText()
    tf.saved_model.save(module, str(tmp_path), signatures=module.__call__.get_concrete_function())

    assert "TFText>RoundRobinTrim" in saved_model_op_types(tmp_path)
    with pytest.raises(DisallowedOpsError, match="TFText>RoundRobinTrim") as error:
        check_saved_model(tmp_path)
    assert error.value.ops == ["TFText>RoundRobinTrim", "TFText>WhitespaceTokenizeWithOffsetsV2"]


def test_missing_saved_model_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        check_saved_model(tmp_path)
