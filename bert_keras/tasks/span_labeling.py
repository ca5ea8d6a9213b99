"""Extractive QA (span labeling): the settings, windows and span rules of training and serving.

`bert_keras.training.tasks.qa_decoding` runs these functions eagerly on its NumPy arrays
(evaluation and `predict` while fine-tuning); `bert_keras.export.span_labeler` builds them
into the serving graph. The rules:

- A window is `[CLS] question [SEP] context tokens [SEP]`. The question keeps its first
  `max_query_length` sub-words; a context longer than the room left (`context_budget`) is cut
  into windows `doc_stride` sub-words apart, the last one ending at the context's end
  (`windows`).
- A candidate span pairs one of a window's `n_best` highest start logits with one of its
  `n_best` highest end logits (on equal logits, the lower position first). It is valid when
  both ends lie in the context and it is 1 to `max_answer_length` tokens long; its score is
  start logit + end logit (`span_candidates`).
- The answer is the best-scoring valid span over all windows of a question. A SQuAD 2.0 model
  (`version_2_with_negative`) scores "no answer" as the lowest [CLS] score (start + end logit
  at position 0) over the windows, and answers "" when no span is valid or that score beats
  the best span's by more than `null_score_threshold` (`prefers_null`).

Example:
    >>> cut = windows([4], [300], seq_length=128, doc_stride=DEFAULTS["doc_stride"])
    >>> cut["count"].numpy().tolist(), cut["first"].numpy().tolist()
    ([3], [0, 121, 242])
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, TypeVar

import numpy as np
import tensorflow as tf

from bert_keras.options import NUMBER, POSITIVE_INT, SWITCH, check_options, option


@dataclasses.dataclass(frozen=True)
class SpanLabelingOptions:
    """The QA settings that training and serving share: what `bert-keras finetune --task
    squad` records in a run's options and what the serving graph reads back from them.

    Example:
        >>> SpanLabelingOptions(doc_stride=0)
        Traceback (most recent call last):
        ValueError: doc_stride (--doc-stride): expected a positive integer, got 0
    """

    doc_stride: int = option(128, POSITIVE_INT,
                             "squad: sub-words between the windows of a long context")
    max_query_length: int = option(64, POSITIVE_INT, "squad: question sub-words kept")
    max_answer_length: int = option(30, POSITIVE_INT,
                                    "squad: longest answer decoded, in sub-words")
    n_best: int = option(20, POSITIVE_INT, "squad: start/end positions tried per window")
    version_2_with_negative: bool = option(False, SWITCH,
                                           "squad: SQuAD v2.0, with unanswerable questions")
    null_score_threshold: float = option(
        0.0, NUMBER, "squad v2.0: answer nothing when the no-answer score beats the best "
                     "span's by more than this")

    def __post_init__(self) -> None:
        check_options(self)


# The settings by name, with their defaults.
DEFAULTS: dict[str, Any] = dataclasses.asdict(SpanLabelingOptions())
# [CLS] and [SEP] around the question, [SEP] after the context.
SPECIAL_TOKENS = 3

Lengths = TypeVar("Lengths", int, np.ndarray, tf.Tensor)


def context_budget(seq_length: int, question_length: Lengths) -> Lengths:
    """Context tokens one window has room for after a question of `question_length` tokens.

    Example:
        >>> context_budget(384, 64)
        317
    """
    return seq_length - question_length - SPECIAL_TOKENS


def windows(question_lengths: np.ndarray | tf.Tensor, context_lengths: np.ndarray | tf.Tensor,
            seq_length: int, doc_stride: int) -> dict[str, tf.Tensor]:
    """The windows of each question (`[questions]` token counts, the question already cut to
    `max_query_length`); every question's `context_budget` must be at least 1.

    Consecutive windows start `min(doc_stride, budget)` tokens apart; the last one is the first
    that reaches the end of the context (an empty context gets one empty window).

    Returns int64 tensors, flat over all windows (question-major): `example` (the question it
    belongs to), `first` (its first context token), `length` (its context tokens) and `offset`
    (the position of its first context token, after `[CLS] question [SEP]`); and `count`, the
    windows of each question.

    Example:
        >>> cut = windows([2, 2], [5, 0], seq_length=8, doc_stride=2)
        >>> {name: value.numpy().tolist() for name, value in cut.items()}
        {'example': [0, 0, 1], 'first': [0, 2, 0], 'length': [3, 3, 0], 'offset': [4, 4, 4],
         'count': [2, 1]}
    """
    question_lengths = tf.cast(question_lengths, tf.int64)
    context_lengths = tf.cast(context_lengths, tf.int64)
    budget = context_budget(seq_length, question_lengths)
    step = tf.minimum(budget, doc_stride)
    extra = tf.where(context_lengths > budget, -(-(context_lengths - budget) // step), 0)
    count = extra + 1
    example = tf.repeat(tf.range(tf.size(count, tf.int64)), count)
    first = tf.ragged.range(count).flat_values * tf.gather(step, example)
    length = tf.minimum(tf.gather(context_lengths, example) - first, tf.gather(budget, example))
    offset = tf.gather(question_lengths, example) + 2  # after [CLS] question [SEP]
    return {"example": example, "first": first, "length": length, "offset": offset,
            "count": count}


def span_candidates(start_logits: np.ndarray | tf.Tensor, end_logits: np.ndarray | tf.Tensor,
                    context_start: np.ndarray | tf.Tensor, context_end: np.ndarray | tf.Tensor,
                    n_best: int, max_answer_length: int) -> dict[str, tf.Tensor]:
    """The candidate spans of each window from its span logits `[windows, seq]` (any float
    type; the scores keep it) and its context positions `[context_start, context_end)`.

    Returns `starts` and `ends`, each window's `k = min(n_best, seq)` best start and end
    positions `[windows, k]` (int32, best first, the lower position first on equal logits);
    `scores` and `valid` `[windows, k, k]` of the span from start `i` to end `j` (see the
    module docstring); and `null`, each window's [CLS] score `[windows]`.

    Example:
        >>> logits = [[0.0, 0.0, 3.0, 2.0, 1.0]]  # [CLS] at 0; the context is positions 2-4
        >>> spans = span_candidates(logits, logits, [2], [5], n_best=2, max_answer_length=2)
        >>> spans["starts"].numpy().tolist(), spans["valid"].numpy().tolist()
        ([[2, 3]], [[[True, True], [False, True]]])
        >>> spans["scores"].numpy().tolist(), spans["null"].numpy().tolist()
        ([[[6.0, 5.0], [5.0, 4.0]]], [0.0])
    """
    start_logits = tf.convert_to_tensor(start_logits)
    end_logits = tf.convert_to_tensor(end_logits)
    context_start = tf.convert_to_tensor(context_start)[:, None]
    context_end = tf.convert_to_tensor(context_end)[:, None]
    k = tf.minimum(n_best, tf.shape(start_logits)[1])
    start_values, starts = tf.math.top_k(start_logits, k)
    end_values, ends = tf.math.top_k(end_logits, k)

    def in_context(positions: tf.Tensor) -> tf.Tensor:
        positions = tf.cast(positions, context_start.dtype)
        return (positions >= context_start) & (positions < context_end)

    length = ends[:, None, :] - starts[:, :, None] + 1
    valid = ((length >= 1) & (length <= max_answer_length) & in_context(starts)[:, :, None]
             & in_context(ends)[:, None, :])
    return {"starts": starts, "ends": ends,
            "scores": start_values[:, :, None] + end_values[:, None, :], "valid": valid,
            "null": start_logits[:, 0] + end_logits[:, 0]}


Score = TypeVar("Score", float, np.ndarray, tf.Tensor)


def prefers_null(null_score: Score, best_score: Score, null_score_threshold: float) -> Score:
    """Whether a SQuAD 2.0 model answers "" (elementwise on arrays and tensors): when no span
    is valid (`best_score` is -inf) or the no-answer score beats the best span's by more than
    `null_score_threshold`.

    Example:
        >>> prefers_null(5.0, 4.0, 0.9), prefers_null(5.0, 4.0, 1.1)
        (True, False)
        >>> prefers_null(5.0, -math.inf, 9.0)
        True
    """
    return (best_score == -math.inf) | (null_score - best_score > null_score_threshold)
