"""The QA rules of `bert_keras.tasks.span_labeling`, against plain Python versions of them."""

import itertools
import math

import numpy as np
import pytest

from bert_keras.tasks.span_labeling import (DEFAULTS, context_budget, prefers_null,
                                            span_candidates, windows)


def windows_by_loop(context_length, budget, doc_stride):
    """`(first, length)` of each window, stepping along the context one window at a time."""
    cut, first = [], 0
    while True:
        length = min(context_length - first, budget)
        cut.append((first, length))
        if first + length >= context_length:
            return cut
        first += min(length, doc_stride)


@pytest.mark.parametrize("seq_length, doc_stride", itertools.product([12, 16], [1, 3, 8, 50]))
def test_windows_match_a_loop_over_the_context(seq_length, doc_stride):
    # Empty and one-token contexts, ones that just fit or just do not, and long ones.
    questions, contexts = zip(*itertools.product([0, 1, 5], [0, 1, 7, 8, 9, 30, 61]))
    cut = {name: value.numpy().tolist() for name, value in windows(
        np.array(questions), np.array(contexts), seq_length, doc_stride).items()}
    expected = [(row, first, length, question + 2)
                for row, (question, context) in enumerate(zip(questions, contexts))
                for first, length in windows_by_loop(
                    context, context_budget(seq_length, question), doc_stride)]
    assert list(zip(cut["example"], cut["first"], cut["length"], cut["offset"])) == expected
    assert cut["count"] == np.bincount(cut["example"], minlength=len(questions)).tolist()


def candidates_by_sorting(start_logits, end_logits, in_context, n_best, max_answer_length):
    """The candidate spans with NumPy's stable sort (the lower position first on ties)."""
    k = min(n_best, start_logits.shape[1])
    starts = np.argsort(-start_logits, axis=1, kind="stable")[:, :k]
    ends = np.argsort(-end_logits, axis=1, kind="stable")[:, :k]
    length = ends[:, None, :] - starts[:, :, None] + 1
    valid = ((length >= 1) & (length <= max_answer_length)
             & np.take_along_axis(in_context, starts, axis=1)[:, :, None]
             & np.take_along_axis(in_context, ends, axis=1)[:, None, :])
    scores = (np.take_along_axis(start_logits, starts, axis=1)[:, :, None]
              + np.take_along_axis(end_logits, ends, axis=1)[:, None, :])
    return starts, ends, scores, valid


@pytest.mark.parametrize("n_best, max_answer_length", [(2, 1), (3, 2), (20, 30), (40, 5)])
def test_span_candidates_match_a_stable_sort(n_best, max_answer_length):
    rng = np.random.default_rng(n_best)
    context_start = rng.integers(1, 12, size=9)
    context_end = np.minimum(context_start + rng.integers(0, 14, size=9), 24)
    position = np.arange(24)
    in_context = (position >= context_start[:, None]) & (position < context_end[:, None])
    # Logits in half steps (many equal ones, so the order of ties matters), higher in the
    # context (so that some spans are valid).
    start_logits, end_logits = rng.integers(-6, 7, size=(2, 9, 24)) / 2 + in_context

    spans = span_candidates(start_logits, end_logits, context_start, context_end, n_best,
                            max_answer_length)

    starts, ends, scores, valid = candidates_by_sorting(start_logits, end_logits, in_context,
                                                        n_best, max_answer_length)
    np.testing.assert_array_equal(spans["starts"], starts)
    np.testing.assert_array_equal(spans["ends"], ends)
    np.testing.assert_array_equal(spans["valid"], valid)
    assert spans["scores"].dtype == np.float64  # the logits' type: float64 stays exact
    np.testing.assert_array_equal(spans["scores"], scores)
    np.testing.assert_array_equal(spans["null"], start_logits[:, 0] + end_logits[:, 0])
    assert valid.any() and not valid.all()


def test_prefers_null_elementwise_and_without_a_valid_span():
    best = np.array([4.0, 4.0, -math.inf, 6.0])
    assert prefers_null(np.full(4, 5.0), best, 0.5).tolist() == [True, True, True, False]
    assert prefers_null(5.0, 4.0, 1.0) is False  # a margin equal to the threshold keeps the span
    assert prefers_null(5.0, -math.inf, math.inf)  # no span at all: always the null answer


def test_defaults_are_valid_settings():
    assert set(DEFAULTS) == {"doc_stride", "max_query_length", "max_answer_length", "n_best",
                             "version_2_with_negative", "null_score_threshold"}
    assert context_budget(384, DEFAULTS["max_query_length"]) > DEFAULTS["doc_stride"]
