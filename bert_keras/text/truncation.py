"""Token budgets for truncating several segments to one length, with core TensorFlow ops only.

tf-text's `RoundRobinTrimmer` compiles to `TFText>RoundRobinTrim`, which TF Serving only links from
2.20 on; these functions compute the same budgets with sort/cumsum arithmetic instead.

Example:
    >>> round_robin_lengths(tf.constant([[10, 10], [2, 9]]), budget=5).numpy().tolist()
    [[3, 2], [2, 3]]
    >>> waterfall_lengths(tf.constant([[10, 10], [2, 9]]), budget=5).numpy().tolist()
    [[5, 0], [2, 3]]
"""

from __future__ import annotations

import tensorflow as tf


def round_robin_lengths(lengths: tf.Tensor, budget: int | tf.Tensor) -> tf.Tensor:
    """Kept lengths when segments take one token each in turn until `budget` is spent.

    For two segments this equals Google's `_truncate_seq_pair` (pop from the longer one, the
    second on ties) and the `truncation="longest_first"` of Hugging Face's Python tokenizer;
    Hugging Face's default (Rust) tokenizer gives an odd token to the longer segment instead
    (lengths (3, 10) at a budget of 5: (2, 3) there, (3, 2) here and in Google's code).

    Args:
        lengths: int `[batch, num_segments]` segment lengths.
        budget: total tokens allowed per row.

    Returns:
        int `[batch, num_segments]`, same dtype as `lengths`.
    """
    lengths = tf.convert_to_tensor(lengths)
    budget = tf.cast(budget, lengths.dtype)
    num_segments = tf.shape(lengths)[1]
    ascending = tf.sort(lengths, axis=1)
    before = tf.cumsum(ascending, axis=1, exclusive=True)
    # Total kept if every segment were capped at the k-th smallest length.
    remaining = tf.cast(tf.range(num_segments, 0, -1), lengths.dtype)
    capped_total = before + remaining * ascending
    # Segments no longer than the `whole`-th smallest fit entirely.
    whole = tf.reduce_sum(tf.cast(capped_total <= budget[..., None], lengths.dtype), axis=1)
    sharing = tf.cast(num_segments, lengths.dtype) - whole
    prefix_sums = tf.pad(tf.cumsum(ascending, axis=1), [[0, 0], [1, 0]])
    spent = tf.gather(prefix_sums, whole, axis=1, batch_dims=1)
    left = budget - spent
    safe_sharing = tf.maximum(sharing, 1)
    level = left // safe_sharing
    extra = left - level * safe_sharing
    is_long = lengths > level[:, None]
    rank_among_long = tf.cumsum(tf.cast(is_long, lengths.dtype), axis=1, exclusive=True)
    bonus = tf.cast(is_long & (rank_among_long < extra[:, None]), lengths.dtype)
    trimmed = tf.minimum(lengths, level[:, None]) + bonus
    fits = tf.reduce_sum(lengths, axis=1) <= budget
    return tf.where(fits[:, None], lengths, trimmed)


def waterfall_lengths(lengths: tf.Tensor, budget: int | tf.Tensor) -> tf.Tensor:
    """Kept lengths when earlier segments take all they need before later ones get any.

    Args:
        lengths: int `[batch, num_segments]` segment lengths.
        budget: total tokens allowed per row.

    Returns:
        int `[batch, num_segments]`, same dtype as `lengths`.
    """
    lengths = tf.convert_to_tensor(lengths)
    budget = tf.cast(budget, lengths.dtype)
    before = tf.cumsum(lengths, axis=1, exclusive=True)
    return tf.clip_by_value(budget - before, tf.zeros_like(lengths), lengths)
