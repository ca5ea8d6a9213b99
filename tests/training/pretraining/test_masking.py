"""Dynamic masking in the graph: the reference statistics on real text, whole words, seeds."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.samples import sample_path
from bert_keras.text import BertPacker, BertTokenizer
from bert_keras.training.pretraining.masking import MaskedLMMasker

DATA = Path(__file__).resolve().parents[2] / "data"
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
CLS, SEP, PAD, MASK = 101, 102, 0, 103


@pytest.fixture(scope="module")
def packed_wikitext():
    tokenizer = BertTokenizer(VOCAB)
    lines = [line.strip() for line in open(sample_path("wikitext_sample.txt"),
                                           encoding="utf-8") if line.strip()]
    pairs = [tokenizer(tf.constant(lines[0::2][:800])), tokenizer(tf.constant(lines[1::2][:800]))]
    return BertPacker.from_tokenizer(tokenizer, 128)(pairs)["input_word_ids"].numpy()


def _chosen(masked, shape):
    chosen = np.zeros(shape, bool)
    rows = np.repeat(np.arange(shape[0])[:, None], masked["masked_lm_positions"].shape[1], 1)
    valid = masked["masked_lm_weights"].numpy() > 0
    chosen[rows[valid], masked["masked_lm_positions"].numpy()[valid]] = True
    return chosen, valid


@pytest.mark.parametrize("whole_word", [False, True])
def test_masking_statistics_on_real_text(packed_wikitext, whole_word):
    ids = packed_wikitext
    masked = MaskedLMMasker(VOCAB, whole_word=whole_word)(ids, seed=[7, 0])
    new = masked["input_word_ids"].numpy()
    chosen, valid = _chosen(masked, ids.shape)
    maskable = (ids != CLS) & (ids != SEP) & (ids != PAD)
    assert not (chosen & ~maskable).any()  # never [CLS], [SEP] or [PAD]
    assert not ((new != ids) & ~chosen).any()  # only chosen positions change
    # The masked-LM targets are the original tokens, positions ascending, padding after.
    np.testing.assert_array_equal(ids[chosen], masked["masked_lm_ids"].numpy()[valid])
    positions = np.where(valid, masked["masked_lm_positions"].numpy(), 10**6 + np.arange(20))
    assert (np.diff(positions, axis=1) > 0).all()
    budget = np.minimum(20, np.maximum(1, np.round(maskable.sum(1) * 0.15)))
    counts = chosen.sum(1)
    assert (counts <= budget).all()
    fraction = counts.sum() / maskable.sum()
    assert abs(fraction - 0.15) < (0.01 if not whole_word else 0.02), fraction
    if not whole_word:
        np.testing.assert_array_equal(counts, budget)
    replaced = new[chosen]
    original = ids[chosen]
    as_mask = np.mean(replaced == MASK)
    kept = np.mean(replaced == original)
    random = np.mean((replaced != MASK) & (replaced != original))
    assert abs(as_mask - 0.8) < 0.02 and abs(kept - 0.1) < 0.02 and abs(random - 0.1) < 0.02, (
        as_mask, kept, random)


def test_whole_word_masking_never_splits_a_word(packed_wikitext):
    ids = packed_wikitext
    tokens = BertTokenizer(VOCAB).vocabulary
    continuation = np.array([token.startswith("##") for token in tokens])[ids]
    masked = MaskedLMMasker(VOCAB, whole_word=True)(ids, seed=[3, 1])
    chosen, _ = _chosen(masked, ids.shape)
    inside_word = continuation[:, 1:] & (ids[:, :-1] != CLS) & (ids[:, :-1] != SEP)
    assert inside_word.sum() > 1000  # the text has plenty of multi-piece words
    assert not (inside_word & (chosen[:, 1:] != chosen[:, :-1])).any()
    assert (inside_word & chosen[:, 1:]).any()


def test_same_seed_same_mask_new_seed_new_mask(packed_wikitext):
    ids = packed_wikitext[:64]
    masker = MaskedLMMasker(VOCAB)
    first = masker(ids, seed=[1, 5])["input_word_ids"].numpy()
    np.testing.assert_array_equal(first, masker(ids, seed=[1, 5])["input_word_ids"].numpy())
    assert (first != masker(ids, seed=[1, 6])["input_word_ids"].numpy()).any()


def test_budget_caps_and_short_rows():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(50)]
    ids = np.array([[2] + list(range(5, 45)) + [3], [2, 5, 3] + [0] * 39], np.int32)
    masked = MaskedLMMasker(vocab, masked_lm_prob=0.5, max_predictions=4)(ids, seed=[0, 0])
    np.testing.assert_array_equal(masked["masked_lm_weights"].numpy().sum(1), [4, 1])
    assert masked["masked_lm_positions"].numpy()[1].tolist() == [1, 0, 0, 0]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="masked_lm_prob must be in"):
        MaskedLMMasker(VOCAB, masked_lm_prob=0.0)
    with pytest.raises(ValueError, match="max_predictions must be >= 1"):
        MaskedLMMasker(VOCAB, max_predictions=0)
