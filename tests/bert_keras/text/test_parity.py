"""Exact parity with Google's BERT tokenizer (`tokenization.py`, PyPI bert-tensorflow): on the
shipped adversarial sample, on packed pairs, and on every code point of the Basic Multilingual
Plane, alone and inside a word, with both Google vocabularies."""

from __future__ import annotations

import hashlib

import pytest
import tensorflow as tf

from bert_keras.text import BertPacker, BertTokenizer

from task_samples import SHARED_DATA
from text_testdata import VOCAB_FILES, load_parity_script, parity_sample

parity = load_parity_script()
VOCABS = ["uncased", "cased"]


def test_shipped_vocabularies_are_googles():
    sha256 = {
        "uncased": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        "cased": "eeaa9875b23b04b4c54ef759d03db9d1ba1554838f8fb26c5d96fa551df93d02",
    }
    for vocab, digest in sha256.items():
        assert hashlib.sha256(VOCAB_FILES[vocab].read_bytes()).hexdigest() == digest


def test_the_reference_is_googles_own_code():
    reference = parity.reference_tokenizer(VOCAB_FILES["uncased"], lowercase=True)
    assert type(reference).__module__ == "bert.tokenization"
    # Google's rules where Hugging Face departs from them: private use is not deleted, a
    # decomposed accent is not composed in cased mode.
    assert reference.tokenize("ab\ue000cd") == ["[UNK]"]
    cased = parity.reference_tokenizer(VOCAB_FILES["cased"], lowercase=False)
    assert cased.tokenize("A\u030angstrom") == ["[UNK]"]


@pytest.mark.parametrize("vocab", VOCABS)
def test_ids_match_reference_on_shipped_sample(vocab):
    lowercase = vocab == "uncased"
    reference = parity.reference_tokenizer(VOCAB_FILES[vocab], lowercase)
    ours = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase)

    texts = list(parity_sample())

    got = ours(tf.constant(texts)).to_list()
    expected = parity.reference_ids(reference, texts)

    mismatches = [(t, g, e) for t, g, e in zip(texts, got, expected) if g != e]
    assert len(got) == len(texts) > 250
    assert not mismatches, f"{len(mismatches)} texts differ, first: {mismatches[0]!r}"


@pytest.mark.parametrize("vocab", VOCABS)
def test_packed_pairs_match_reference_truncation(vocab):
    lowercase = vocab == "uncased"
    reference = parity.reference_tokenizer(VOCAB_FILES[vocab], lowercase)
    tokenizer = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase)
    packer = BertPacker.from_tokenizer(tokenizer, seq_length=48)
    texts = parity_sample()
    pairs = list(zip(texts[:-1], texts[1:]))

    a, b = (tf.constant(list(side)) for side in zip(*pairs))
    packed = packer([tokenizer(a), tokenizer(b)])
    got = [
        row[mask == 1].tolist()
        for row, mask in zip(packed["input_word_ids"].numpy(), packed["input_mask"].numpy())
    ]

    assert got == parity.reference_pair_ids(reference, pairs, seq_length=48)


@pytest.mark.parametrize("vocab", VOCABS)
def test_every_code_point_of_the_bmp_matches_the_reference(vocab):
    """All 63,488 non-surrogate code points of the BMP (assigned or not), alone and inside a
    word: Cc/Cf deletion, whitespace, punctuation, CJK, case, accents, unassigned (Cn),
    private use (Co)."""
    lowercase = vocab == "uncased"
    ours = parity.Ours(VOCAB_FILES[vocab], lowercase, seq_length=128)
    reference = parity.reference_tokenizer(VOCAB_FILES[vocab], lowercase)
    differences = parity.code_point_differences(ours, reference, planes="bmp")
    assert len(parity.code_points("bmp")) == 0x10000 - 0x800
    assert differences == []


@pytest.mark.skipif(not (SHARED_DATA / "vocab").is_dir(), reason="needs ../shared/data")
def test_parity_script_on_shared_data_subset(capsys):
    assert parity.main([str(SHARED_DATA), "--limit", "300", "--hf"]) == 0
    out = capsys.readouterr().out
    assert "total differences: 0" in out
    assert "squad" in out and "conll2003" in out
