"""Token classification (NER): the label and word rules of training and serving.

`bert_keras.training.tasks.tagging` applies them while it fine-tunes and evaluates,
`bert_keras.export.tagger` in the serving graph:

- A word's label is the one at its first sub-word. Training puts the gold tag there (later
  sub-words get weight 0) and reads predictions back from there; serving labels each word by
  its first sub-word's prediction.
- A text keeps its first `max_sub_words(seq_length)` sub-words (beside `[CLS]` and `[SEP]`);
  a word whose first sub-word is cut off has no label: training reads it as `OUTSIDE`, serving
  leaves it out.
- Consecutive labelled words of one sentence form an entity when they share a type (the label
  less its `B-`/`I-` prefix) and the later one does not begin a new entity (`B-`); this reads
  IOB2 and IOB1 alike, as seqeval (which scores training) does (`entity_words`).

Example:
    >>> words = entity_words(tf.constant(["I-PER", "I-PER", "O", "B-LOC", "B-LOC"]),
    ...                      tf.constant([0, 0, 0, 0, 0]))
    >>> words["begins"].numpy().tolist()
    [True, False, False, True, True]
"""

from __future__ import annotations

import tensorflow as tf

# The label of a word in no entity.
OUTSIDE = "O"
# What a label's entity type is left of once this (a regular expression) is removed.
ENTITY_PREFIX = "^[BI]-"
# The prefix of a label that begins a new entity even right after one of its type.
BEGIN = "B-"


def max_sub_words(seq_length: int) -> int:
    """The sub-words of a text that fit in `seq_length` positions beside `[CLS]` and `[SEP]`.

    Example:
        >>> max_sub_words(128)
        126
    """
    return seq_length - 2


def entity_words(word_labels: tf.Tensor, sentences: tf.Tensor) -> dict[str, tf.Tensor]:
    """How words `[words]` (labels and the sentence each belongs to, sentences in order) group
    into entities: each word's entity `type` (its label less the `B-`/`I-` prefix), whether it
    is `inside` an entity (labelled other than `OUTSIDE`) and whether it `begins` one.

    An entity is a word that begins one and the inside words up to the next that begins one.

    Example:
        >>> words = entity_words(tf.constant(["B-PER", "I-PER", "I-LOC", "I-LOC", "I-LOC"]),
        ...                      tf.constant([0, 0, 0, 0, 1]))
        >>> words["type"].numpy().tolist(), words["begins"].numpy().tolist()
        ([b'PER', b'PER', b'LOC', b'LOC', b'LOC'], [True, False, True, False, True])
    """
    word_type = tf.strings.regex_replace(word_labels, ENTITY_PREFIX, "")
    inside = tf.not_equal(word_labels, OUTSIDE)
    follows = tf.concat([[False], tf.equal(sentences[1:], sentences[:-1]) & inside[:-1]
                         & tf.equal(word_type[1:], word_type[:-1])], axis=0)
    begins = inside & ~(follows & ~tf.strings.regex_full_match(word_labels, BEGIN + ".*"))
    return {"type": word_type, "inside": inside, "begins": begins}
