"""The span labeler's (extractive QA) serving outputs: the answer to a question in a context.

Runs the training recipe's windowing and decoding in the graph
(`bert_keras.training.tasks.qa_decoding` is the reference): the question keeps its first
`max_query_length` sub-words, a long context is cut into windows `doc_stride` sub-words apart,
and the answer is the best valid span (in the context, at most `max_answer_length` sub-words,
among each window's `n_best` start and end positions) over all windows, scored start + end
logit. A SQuAD 2.0 model answers "" when the
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

from bert_keras.text import BertPacker
from bert_keras.text.tokenizer import char_offsets
from bert_keras.export.run_dir import TrainedModel

# The QA recipe's options the serving graph follows (the run directory records them all).
SETTINGS = ("doc_stride", "max_query_length", "max_answer_length", "n_best",
            "version_2_with_negative", "null_score_threshold")


def span_labeler_outputs(trained: TrainedModel, options: dict[str, Any]
                         ) -> Callable[[tf.Tensor, tf.Tensor], dict[str, tf.Tensor]]:
    """A function from `question`, `context` `[batch]` strings to the outputs listed above;
    `options` are the recipe's (`RunSpec.options`), with every name in `SETTINGS`."""
    missing = [name for name in SETTINGS if name not in options]
    if missing:
        raise ValueError(f"the QA run's options lack {', '.join(missing)}")
    settings = {name: options[name] for name in SETTINGS}
    seq_length, max_query = trained.seq_length, settings["max_query_length"]
    if seq_length - max_query - 3 < 1:
        raise ValueError(f"seq_length {seq_length} leaves no room for the context after "
                         f"max_query_length {max_query} question tokens")
    tokenizer, model = trained.tokenizer, trained.model
    packer = BertPacker.from_tokenizer(tokenizer, seq_length, pad_to="longest")

    def answer(question: tf.Tensor, context: tf.Tensor) -> dict[str, tf.Tensor]:
        question_ids = tokenizer(question)[:, :max_query]
        ids, starts, ends = tokenizer.tokenize_with_offsets(context)
        windows = _windows(question_ids.row_lengths(), ids.row_lengths(), seq_length,
                           settings["doc_stride"])
        example, first, length = windows["example"], windows["first"], windows["length"]
        tokens = tf.ragged.range(tf.gather(ids.row_splits, example) + first,
                                 tf.gather(ids.row_splits, example) + first + length)
        inputs = packer([tf.gather(question_ids, example),
                         tokens.with_flat_values(tf.gather(ids.flat_values, tokens.flat_values))])
        logits = model(inputs, training=False)
        offset = tf.gather(question_ids.row_lengths(), example) + 2  # [CLS] question [SEP]
        best = _best_spans(tf.cast(logits["start_logits"], tf.float32),
                           tf.cast(logits["end_logits"], tf.float32), offset, length,
                           settings["n_best"], settings["max_answer_length"])
        return _answers(context, starts, ends, ids.row_splits, windows, offset, best,
                        settings, tf.size(question, tf.int64))
    return answer


def _windows(question_lengths: tf.Tensor, context_lengths: tf.Tensor, seq_length: int,
             doc_stride: int) -> dict[str, tf.Tensor]:
    """Every window as `example`, `first` context token and `length` (flat, example-major),
    as `qa_decoding._windows` cuts them."""
    budget = seq_length - question_lengths - 3
    step = tf.minimum(budget, doc_stride)
    extra = tf.where(context_lengths > budget, -(-(context_lengths - budget) // step), 0)
    count = extra + 1
    example = tf.repeat(tf.range(tf.size(count, tf.int64)), count)
    first = tf.ragged.range(count).flat_values * tf.gather(step, example)
    length = tf.minimum(tf.gather(context_lengths, example) - first, tf.gather(budget, example))
    return {"example": example, "first": first, "length": length, "count": count}


def _best_spans(start_logits: tf.Tensor, end_logits: tf.Tensor, offset: tf.Tensor,
                length: tf.Tensor, n_best: int, max_answer_length: int) -> dict[str, tf.Tensor]:
    """Each window's best valid span: `score` (-inf if none), `start`, `end` (positions in the
    window), and its [CLS] (`null`) score."""
    k = tf.minimum(n_best, tf.shape(start_logits)[1])
    start_values, start_positions = tf.math.top_k(start_logits, k)
    end_values, end_positions = tf.math.top_k(end_logits, k)

    def in_context(positions):
        positions = tf.cast(positions, tf.int64)
        return (positions >= offset[:, None]) & (positions < (offset + length)[:, None])

    span = end_positions[:, None, :] - start_positions[:, :, None] + 1
    valid = ((span >= 1) & (span <= max_answer_length) & in_context(start_positions)[:, :, None]
             & in_context(end_positions)[:, None, :])
    scores = tf.where(valid, start_values[:, :, None] + end_values[:, None, :], -float("inf"))
    flat = tf.reshape(scores, [tf.shape(scores)[0], -1])
    choice = tf.argmax(flat, axis=1, output_type=tf.int32)
    return {"score": tf.reduce_max(flat, axis=1),
            "start": tf.gather(start_positions, choice // k, batch_dims=1),
            "end": tf.gather(end_positions, choice % k, batch_dims=1),
            "null": start_logits[:, 0] + end_logits[:, 0]}


def _answers(context: tf.Tensor, starts: tf.RaggedTensor, ends: tf.RaggedTensor,
             row_splits: tf.Tensor, windows: dict[str, tf.Tensor], offset: tf.Tensor,
             best: dict[str, tf.Tensor], settings: dict[str, Any], batch: tf.Tensor
             ) -> dict[str, tf.Tensor]:
    """The best window's span of each example as text and character offsets."""
    example = windows["example"]
    found = tf.math.unsorted_segment_max(tf.cast(tf.math.is_finite(best["score"]), tf.int32),
                                         example, batch) > 0
    # (A segment max never goes below the lowest finite float, so -inf is put back.)
    top = tf.where(found, tf.math.unsorted_segment_max(best["score"], example, batch),
                   -float("inf"))
    # The first window that reaches the example's best score (the reference's order).
    index = tf.range(tf.size(example, tf.int64))
    window = tf.math.unsorted_segment_min(
        tf.where(tf.equal(best["score"], tf.gather(top, example)), index, tf.size(
            example, tf.int64)), example, batch)
    safe = tf.where(found, window, 0)

    def context_token(position):
        token = tf.cast(tf.gather(position, safe), tf.int64) - tf.gather(offset, safe)
        return tf.gather(row_splits, tf.gather(example, safe)) + tf.gather(
            windows["first"], safe) + token

    byte_start = tf.where(found, tf.gather(starts.flat_values, context_token(best["start"])), 0)
    byte_end = tf.where(found, tf.gather(ends.flat_values, context_token(best["end"])), 0)
    score = top
    if settings["version_2_with_negative"]:
        null = tf.math.unsorted_segment_min(best["null"], example, batch)
        no_answer = ~found | (null - top > settings["null_score_threshold"])
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
        "windows": tf.cast(windows["count"], tf.int32),
    }
