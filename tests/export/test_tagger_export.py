"""The tagger's serving signature: token labels, word-level entities and character offsets."""

import numpy as np
import pytest
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from bert_keras.text import BertTokenizer
from bert_keras.export.tagger import _entities

from conftest import VOCAB


def test_entities_read_iob2_and_iob1_and_count_characters():
    text = "John Smith and Zoë went to New York, then Rome Milan."
    # One label per word: "," and "." are words of their own.
    word_labels = ["B-PER", "I-PER", "O", "B-PER", "O", "O", "B-LOC", "I-LOC", "O", "O",
                   "I-LOC", "B-LOC", "I-MISC"]
    tokenizer = BertTokenizer(VOCAB)
    ids, starts, ends, first = tokenizer.tokenize_with_offsets(tf.constant([text]), True)
    word_of_token = np.cumsum(first.flat_values.numpy()) - 1
    assert word_of_token[-1] == len(word_labels) - 1
    labels = first.with_flat_values(tf.constant([word_labels[w] for w in word_of_token]))
    scores = first.with_flat_values(tf.linspace(0.1, 0.9, tf.size(first.flat_values)))

    entities = {name: value.numpy()[0].tolist() for name, value in _entities(
        tf.constant([text]), starts, ends, first, labels, scores).items()}

    expected = ["John Smith", "Zoë", "New York", "Rome", "Milan", "."]
    assert [t.decode() for t in entities["entity_texts"]] == expected
    assert [t.decode() for t in entities["entity_labels"]] == [
        "PER", "PER", "LOC", "LOC", "LOC", "MISC"]
    assert [text[s:e] for s, e in zip(entities["entity_starts"], entities["entity_ends"])
            ] == expected  # character offsets, though "ë" is two bytes
    assert entities["num_entities"] == 6
    first_scores = scores.flat_values.numpy()[first.flat_values.numpy()]
    assert entities["entity_scores"][0] == pytest.approx(first_scores[:2].mean())
    # The same grouping as seqeval's.
    assert [(kind, text) for kind, text in zip(entities["entity_labels"], expected)] == [
        (kind.encode(), expected[i]) for i, (kind, _, _) in enumerate(get_entities(word_labels))]


