"""The tagger's (NER) serving outputs: per-token labels and word-level entities, from raw text.

Words are those of BERT's basic tokenization (split on whitespace and punctuation). The rules
are `bert_keras.tasks.tagging`'s, which training follows too: a word's label is the prediction
at its first sub-word; consecutive words form an entity when they share a type and the later
one does not start a new entity (`B-`), which reads IOB2 and IOB1 alike; texts longer than
`seq_length - 2` sub-words are cut (`truncated` says so). Offsets are in characters (code
points) of the input string, so `text[start:end]` is the entity in Python.

Outputs (dense, padded with "", 0.0 and -1):
    tokens, token_labels, token_scores, token_starts, token_ends   [batch, tokens]
    entity_texts, entity_labels, entity_scores, entity_starts, entity_ends   [batch, entities]
    num_tokens, num_entities, truncated   [batch]

Example:
    >>> tag = tagger_outputs(load_trained("runs/conll"))  # doctest: +SKIP
    >>> tag(tf.constant(["Angela Merkel visited Paris."]))["entity_texts"]  # doctest: +SKIP
    <tf.Tensor: shape=(1, 2), dtype=string, numpy=array([[b'Angela Merkel', b'Paris']], ...)>
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from bert_keras.tasks.tagging import entity_words, max_sub_words
from bert_keras.text import BertPacker
from bert_keras.text.tokenizer import char_offsets
from bert_keras.export.run_dir import TrainedModel


def tagger_outputs(trained: TrainedModel) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """A function from `text` `[batch]` strings to the outputs listed in the module doc."""
    tokenizer, model = trained.tokenizer, trained.model
    max_tokens = max_sub_words(trained.seq_length)
    packer = BertPacker.from_tokenizer(tokenizer, trained.seq_length, pad_to="longest")
    label_names = tf.constant(list(trained.label_names))
    vocabulary = tf.constant(list(tokenizer.vocabulary))

    def tag(text: tf.Tensor) -> dict[str, tf.Tensor]:
        ids, starts, ends, first = tokenizer.tokenize_with_offsets(text, word_starts=True)
        truncated = ids.row_lengths() > max_tokens
        ids, starts, ends, first = (part[:, :max_tokens] for part in (ids, starts, ends, first))
        logits = tf.cast(model(packer(ids), training=False), tf.float32)[:, 1:]  # after [CLS]
        probabilities = tf.nn.softmax(logits)

        def per_token(values: tf.Tensor) -> tf.RaggedTensor:
            return tf.RaggedTensor.from_tensor(values, ids.row_lengths())

        labels = per_token(tf.gather(label_names, tf.argmax(probabilities, axis=-1)))
        scores = per_token(tf.reduce_max(probabilities, axis=-1))
        entities = _entities(text, starts, ends, first, labels, scores)
        char_starts, char_ends = char_offsets(text, starts), char_offsets(text, ends)
        return {
            "tokens": tf.gather(vocabulary, ids).to_tensor(""),
            "token_labels": labels.to_tensor(""),
            "token_scores": scores.to_tensor(0.0),
            "token_starts": tf.cast(char_starts, tf.int32).to_tensor(-1),
            "token_ends": tf.cast(char_ends, tf.int32).to_tensor(-1),
            "num_tokens": tf.cast(ids.row_lengths(), tf.int32),
            "truncated": truncated,
            **entities,
        }
    return tag


def _entities(text: tf.Tensor, starts: tf.RaggedTensor, ends: tf.RaggedTensor,
              first: tf.RaggedTensor, labels: tf.RaggedTensor, scores: tf.RaggedTensor
              ) -> dict[str, tf.Tensor]:
    """Words from sub-words (byte spans, first sub-word's label and score), then entities."""
    word_of_token = tf.cumsum(tf.cast(first.flat_values, tf.int64)) - 1
    num_words = tf.reduce_sum(tf.cast(first.flat_values, tf.int64))
    is_first = first.flat_values
    word_row = tf.boolean_mask(first.value_rowids(), is_first)
    word_start = tf.boolean_mask(starts.flat_values, is_first)
    word_end = tf.math.unsorted_segment_max(ends.flat_values, word_of_token, num_words)
    word_label = tf.boolean_mask(labels.flat_values, is_first)
    word_score = tf.boolean_mask(scores.flat_values, is_first)

    words = entity_words(word_label, word_row)
    word_type, inside, begins = words["type"], words["inside"], words["begins"]
    entity_of_word = tf.cumsum(tf.cast(begins, tf.int64)) - 1
    in_entity = tf.where(inside)[:, 0]
    entity_ids = tf.gather(entity_of_word, in_entity)
    num_entities = tf.reduce_sum(tf.cast(begins, tf.int64))

    def per_entity(reduce, values):
        return reduce(tf.gather(values, in_entity), entity_ids, num_entities)

    entity_start = per_entity(tf.math.unsorted_segment_min, word_start)
    entity_end = per_entity(tf.math.unsorted_segment_max, word_end)
    entity_score = per_entity(tf.math.unsorted_segment_mean, word_score)
    entity_row = tf.boolean_mask(word_row, begins)
    entity_text = tf.strings.substr(tf.gather(text, entity_row), entity_start,
                                    entity_end - entity_start)

    def by_row(values):
        return tf.RaggedTensor.from_value_rowids(values, entity_row, nrows=tf.size(
            text, tf.int64), validate=False)

    return {
        "entity_texts": by_row(entity_text).to_tensor(""),
        "entity_labels": by_row(tf.boolean_mask(word_type, begins)).to_tensor(""),
        "entity_scores": by_row(entity_score).to_tensor(0.0),
        "entity_starts": tf.cast(char_offsets(text, by_row(entity_start)), tf.int32).to_tensor(-1),
        "entity_ends": tf.cast(char_offsets(text, by_row(entity_end)), tf.int32).to_tensor(-1),
        "num_entities": tf.cast(by_row(entity_start).row_lengths(), tf.int32),
    }
