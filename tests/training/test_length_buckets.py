"""`length_bucketed_batches`: every row once per epoch, similar lengths together, cut to width."""

import numpy as np
import tensorflow as tf

from bert_keras.training.tasks.base import length_bucketed_batches

SEQ = 64


def _rows(lengths):
    mask = np.array([[1] * n + [0] * (SEQ - n) for n in lengths], np.int32)
    ids = mask * (np.arange(len(lengths))[:, None] + 1)  # row number as the token id
    inputs = {"input_word_ids": ids, "input_mask": mask, "input_type_ids": np.zeros_like(mask)}
    return tf.data.Dataset.from_tensor_slices((inputs, np.arange(len(lengths))))


def _epoch(dataset):
    return [(inputs["input_word_ids"].numpy(), inputs["input_mask"].numpy(), targets.numpy())
            for inputs, targets in dataset]


def test_each_row_once_cut_to_the_longest_and_reproducible():
    lengths = np.random.default_rng(0).integers(3, SEQ + 1, size=203)
    batches = length_bucketed_batches(_rows(lengths), 8, seed=5, pool=4, multiple=8)
    assert int(batches.cardinality()) == 26
    epoch = _epoch(batches)
    assert len(epoch) == 26
    targets = np.concatenate([t for _, _, t in epoch])
    assert sorted(targets.tolist()) == list(range(203))
    for ids, mask, rows in epoch:
        longest = mask.sum(axis=1).max()
        assert ids.shape[1] == min(SEQ, -(-longest // 8) * 8)
        assert (mask.sum(axis=1) == lengths[rows]).all()  # only padding was cut
        assert (ids[:, 0] == rows + 1).all()  # inputs stay with their targets
    again = _epoch(length_bucketed_batches(_rows(lengths), 8, seed=5, pool=4, multiple=8))
    assert all((a[2] == b[2]).all() for a, b in zip(epoch, again))


def test_batches_group_similar_lengths():
    lengths = np.random.default_rng(1).integers(3, SEQ + 1, size=512)
    epoch = _epoch(length_bucketed_batches(_rows(lengths), 16, seed=0, pool=32, multiple=1))
    padded = sum(mask.size for _, mask, _ in epoch)
    random_batches = sum(16 * lengths[i:i + 16].max() for i in range(0, 512, 16))
    assert padded < 0.75 * random_batches


def test_drop_remainder_keeps_full_batches_only():
    batches = length_bucketed_batches(_rows([5] * 21), 4, seed=0, drop_remainder=True)
    assert int(batches.cardinality()) == 5
    assert [len(t) for _, _, t in _epoch(batches)] == [4] * 5


def test_a_pool_of_one_batch_is_no_bucketing():
    """`--bucket-pool 1`: each batch holds the rows of one batch of the seeded shuffle."""
    lengths = np.random.default_rng(2).integers(3, SEQ + 1, size=100)
    epoch = _epoch(length_bucketed_batches(_rows(lengths), 8, seed=3, pool=1, multiple=1))
    shuffled = [targets.numpy() for _, targets in
                _rows(lengths).shuffle(100, seed=3).batch(8).take(len(epoch))]
    assert [sorted(t.tolist()) for _, _, t in epoch] == [sorted(t.tolist()) for t in shuffled]
