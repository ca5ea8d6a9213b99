"""The NER rules of `bert_keras.tasks.tagging`: entities as seqeval (training's scorer) reads
them, in IOB1 and IOB2."""

import numpy as np
import pytest
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from bert_keras.tasks.tagging import OUTSIDE, entity_words, max_sub_words


def entities(labels, sentences):
    """`(type, first word, last word)` of each entity, by `entity_words`."""
    words = {name: value.numpy() for name, value in entity_words(
        tf.constant(labels, tf.string), tf.constant(sentences, tf.int64)).items()}
    found = []
    for index in np.flatnonzero(words["inside"]):
        if words["begins"][index]:
            found.append([words["type"][index].decode(), index, index])
        else:
            found[-1][2] = index
    return [tuple(entity) for entity in found]


def seqeval_entities(labels, sentences):
    """The same from seqeval, one sentence at a time (word indices over all sentences)."""
    found = []
    for sentence in np.unique(sentences):
        first = int(np.flatnonzero(np.asarray(sentences) == sentence)[0])
        rows = [label for label, row in zip(labels, sentences) if row == sentence]
        found += [(kind, first + start, first + end) for kind, start, end in get_entities(rows)]
    return found


@pytest.mark.parametrize("labels, sentences, expected", [
    # IOB2, and IOB1 (an entity may start with I-; B- only splits two of one type).
    (["B-PER", "I-PER", "O", "B-LOC", "I-LOC"], [0] * 5, [("PER", 0, 1), ("LOC", 3, 4)]),
    (["I-PER", "I-PER", "O", "I-LOC", "B-LOC"], [0] * 5,
     [("PER", 0, 1), ("LOC", 3, 3), ("LOC", 4, 4)]),
    # A change of type, and a new sentence, end an entity.
    (["B-PER", "I-LOC", "I-LOC", "I-LOC"], [0, 0, 0, 1], [("PER", 0, 0), ("LOC", 1, 2),
                                                         ("LOC", 3, 3)]),
    ([OUTSIDE, "I-MISC"], [0, 0], [("MISC", 1, 1)]),
    ([], [], []),
])
def test_entities_by_hand(labels, sentences, expected):
    assert entities(labels, sentences) == expected
    assert seqeval_entities(labels, sentences) == expected


def test_entities_match_seqeval_on_random_iob1_and_iob2():
    rng = np.random.default_rng(0)
    names = [OUTSIDE, "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    for _ in range(30):
        labels = [names[i] for i in rng.integers(0, len(names), size=40)]
        sentences = np.sort(rng.integers(0, 4, size=40)).tolist()
        assert entities(labels, sentences) == seqeval_entities(labels, sentences)


def test_max_sub_words_leaves_room_for_cls_and_sep():
    assert max_sub_words(3) == 1
    assert max_sub_words(512) == 510
