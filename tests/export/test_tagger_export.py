"""The tagger's serving signature: token labels, word-level entities and character offsets."""

import numpy as np
import pytest
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from bert_keras.text import BertTokenizer
from export.run_dir import load_trained
from export.tagger import _entities
from training.tasks.tagging import encode_words

from conftest import FRESH_PROCESS_INPUTS, VOCAB

TEXTS = FRESH_PROCESS_INPUTS["conll2003"]["text"]


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


def test_exported_tagger_in_a_fresh_process_matches_the_training_path(
        trained_runs, fresh_process_outputs):
    trained = load_trained(trained_runs("conll2003"))
    outputs = dict(fresh_process_outputs["conll2003"])

    assert outputs.pop("_repo_modules").tolist() == []  # only tensorflow and tensorflow_text
    expected = tagger_reference(trained, TEXTS)

    for row, reference in enumerate(expected):
        n = outputs["num_tokens"][row]
        assert n == len(reference["scores"])
        np.testing.assert_allclose(outputs["token_scores"][row, :n], reference["scores"],
                                   atol=1e-5)
        assert outputs["token_labels"][row, :n].astype(str).tolist() == reference["labels"]
        assert [t.decode() for t in outputs["entity_texts"][row, :outputs["num_entities"][row]]
                ] == reference["entities"]
    assert outputs["truncated"].tolist() == [False, False, True]  # seq_length 32


def tagger_reference(trained, texts):
    """Per-token labels and scores and the entity texts, computed the way training feeds the
    model (each word tokenized on its own, `encode_words`) and grouped by seqeval."""
    tokenizer, labels = trained.tokenizer, trained.label_names
    results = []
    for text in texts:
        ids, starts, ends, first = (p.to_list()[0] for p in tokenizer.tokenize_with_offsets(
            [text], True))
        kept = trained.seq_length - 2
        starts, ends, first = starts[:kept], ends[:kept], first[:kept]
        word_spans = [[s, e] for s, e, f in zip(starts, ends, first) if f]
        for index, (s, e, f) in enumerate(zip(starts, ends, first)):
            if not f:
                word_spans[sum(first[:index + 1]) - 1][1] = e
        raw = text.encode()
        words = [raw[s:e].decode() for s, e in word_spans]
        inputs, _, _, _ = encode_words(tf.ragged.constant([words], dtype=tf.string),
                                       tf.ragged.constant([[0] * len(words)], dtype=tf.int32),
                                       tokenizer, trained.seq_length)
        probabilities = tf.nn.softmax(trained.model(inputs)).numpy()[0, 1:len(starts) + 1]
        token_labels = [labels[i] for i in probabilities.argmax(-1)]
        word_labels = [label for label, f in zip(token_labels, first) if f]
        results.append({"scores": probabilities.max(-1), "labels": token_labels,
                        "entities": [raw[word_spans[a][0]:word_spans[b][1]].decode()
                                     for _, a, b in get_entities(word_labels)]})
    return results
