"""The span labeler's (extractive QA) serving outputs: the answer to a question in a context.

Builds the QA rules of `bert_keras.tasks.span_labeling` into the graph, as training applies
them to its arrays: the question keeps its first `max_query_length` sub-words, a long context
is cut into windows `doc_stride` sub-words apart, and the answer is the best valid span (in the
context, at most `max_answer_length` sub-words, among each window's `n_best` start and end
positions) over all windows, scored start + end logit. A SQuAD 2.0 model answers "" when the
[CLS] score beats the best span by more than `null_score_threshold`.

Outputs (one per question): `answer` (string; "" for none), `start`, `end` (character offsets
in the context, -1 for none: `context[start:end] == answer`), `score` (float; -inf when no
span is valid) and `windows` (how many windows the context took).

Example:
    >>> answer = span_labeler_outputs(load_trained("runs/squad"), {})  # doctest: +SKIP
    >>> answer(tf.constant(["Who wrote?"]), tf.constant(["Ada wrote."]))["answer"]  # doctest: +SKIP
    <tf.Tensor: shape=(1,), dtype=string, numpy=array([b'Ada'], dtype=object)>
"""

from __future__ import annotations

from typing import Any, Callable

import tensorflow as tf

from bert_keras.tasks.span_labeling import (DEFAULTS, context_budget, prefers_null,
                                            span_candidates, windows)
from bert_keras.text import BertPacker
from bert_keras.text.tokenizer import char_offsets
from bert_keras.export.run_dir import TrainedModel


def span_labeler_outputs(trained: TrainedModel, options: dict[str, Any]
                         ) -> Callable[[tf.Tensor, tf.Tensor], dict[str, tf.Tensor]]:
    """A function from `question`, `context` `[batch]` strings to the outputs listed above;
    `options` are the recipe's (`RunSpec.options`), with every setting named in
    `span_labeling.DEFAULTS`."""
    missing = [name for name in DEFAULTS if name not in options]
    if missing:
        raise ValueError(f"the QA run's options lack {', '.join(missing)}")
    settings = {name: options[name] for name in DEFAULTS}
    seq_length, max_query = trained.seq_length, settings["max_query_length"]
    if context_budget(seq_length, max_query) < 1:
        raise ValueError(f"seq_length {seq_length} leaves no room for the context after "
                         f"max_query_length {max_query} question tokens")
    tokenizer, model = trained.tokenizer, trained.model
    packer = BertPacker.from_tokenizer(tokenizer, seq_length, pad_to="longest")

    def answer(question: tf.Tensor, context: tf.Tensor) -> dict[str, tf.Tensor]:
        question_ids = tokenizer(question)[:, :max_query]
        ids, starts, ends = tokenizer.tokenize_with_offsets(context)
        cut = windows(question_ids.row_lengths(), ids.row_lengths(), seq_length,
                      settings["doc_stride"])
        example, first, length = cut["example"], cut["first"], cut["length"]
        tokens = tf.ragged.range(tf.gather(ids.row_splits, example) + first,
                                 tf.gather(ids.row_splits, example) + first + length)
        inputs = packer([tf.gather(question_ids, example),
                         tokens.with_flat_values(tf.gather(ids.flat_values, tokens.flat_values))])
        logits = model(inputs, training=False)
        best = _best_spans(tf.cast(logits["start_logits"], tf.float32),
                           tf.cast(logits["end_logits"], tf.float32), cut,
                           settings["n_best"], settings["max_answer_length"])
        return _answers(context, starts, ends, ids.row_splits, cut, best, settings,
                        tf.size(question, tf.int64))
    return answer


def _best_spans(start_logits: tf.Tensor, end_logits: tf.Tensor, cut: dict[str, tf.Tensor],
                n_best: int, max_answer_length: int) -> dict[str, tf.Tensor]:
    """Each window's best valid span (`span_candidates`): `score` (-inf if none), `start`,
    `end` (positions in the window), and its [CLS] (`null`) score."""
    spans = span_candidates(start_logits, end_logits, cut["offset"],
                            cut["offset"] + cut["length"], n_best, max_answer_length)
    k = tf.shape(spans["starts"])[1]
    scores = tf.where(spans["valid"], spans["scores"], -float("inf"))
    flat = tf.reshape(scores, [tf.shape(scores)[0], -1])
    choice = tf.argmax(flat, axis=1, output_type=tf.int32)
    return {"score": tf.reduce_max(flat, axis=1),
            "start": tf.gather(spans["starts"], choice // k, batch_dims=1),
            "end": tf.gather(spans["ends"], choice % k, batch_dims=1),
            "null": spans["null"]}


def _answers(context: tf.Tensor, starts: tf.RaggedTensor, ends: tf.RaggedTensor,
             row_splits: tf.Tensor, cut: dict[str, tf.Tensor], best: dict[str, tf.Tensor],
             settings: dict[str, Any], batch: tf.Tensor) -> dict[str, tf.Tensor]:
    """The best window's span of each example as text and character offsets."""
    example = cut["example"]
    found = tf.math.unsorted_segment_max(tf.cast(tf.math.is_finite(best["score"]), tf.int32),
                                         example, batch) > 0
    # (A segment max never goes below the lowest finite float, so -inf is put back.)
    top = tf.where(found, tf.math.unsorted_segment_max(best["score"], example, batch),
                   -float("inf"))
    # The first window that reaches the example's best score (training's order).
    index = tf.range(tf.size(example, tf.int64))
    window = tf.math.unsorted_segment_min(
        tf.where(tf.equal(best["score"], tf.gather(top, example)), index, tf.size(
            example, tf.int64)), example, batch)
    # Only the examples with a valid span look it up (without one, the window's best
    # positions may lie outside the context, even outside every context of the batch).
    answered = tf.where(found)
    window = tf.boolean_mask(window, found)

    def byte_offset(offsets: tf.RaggedTensor, position: tf.Tensor) -> tf.Tensor:
        """The byte offset of the span's start or end token in each context (0 for none)."""
        token = (tf.gather(row_splits, tf.gather(example, window))
                 + tf.gather(cut["first"], window) - tf.gather(cut["offset"], window)
                 + tf.cast(tf.gather(position, window), tf.int64))
        return tf.scatter_nd(answered, tf.gather(offsets.flat_values, token),
                             tf.shape(found, tf.int64))

    byte_start, byte_end = byte_offset(starts, best["start"]), byte_offset(ends, best["end"])
    score = top
    if settings["version_2_with_negative"]:
        null = tf.math.unsorted_segment_min(best["null"], example, batch)
        no_answer = prefers_null(null, top, settings["null_score_threshold"])
        found = ~no_answer
        score = tf.where(no_answer, null, top)
    one_each = tf.ones_like(byte_start)
    char_start, char_end = (char_offsets(context, tf.RaggedTensor.from_row_lengths(
        offsets, one_each)).flat_values for offsets in (byte_start, byte_end))
    return {
        "answer": tf.where(found, tf.strings.substr(context, byte_start, byte_end - byte_start),
                           ""),
        "start": tf.cast(tf.where(found, char_start, -1), tf.int32),
        "end": tf.cast(tf.where(found, char_end, -1), tf.int32),
        "score": score,
        "windows": tf.cast(cut["count"], tf.int32),
    }
