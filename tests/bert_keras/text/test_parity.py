"""Exact parity with the reference (HF slow BERT tokenizer = Google tokenization.py)."""

from __future__ import annotations

import hashlib

import pytest
import tensorflow as tf

from bert_keras.text import BertPacker, BertTokenizer

from task_samples import SHARED_DATA
from text_testdata import VOCAB_FILES, load_parity_script, parity_sample

parity = load_parity_script()


def test_shipped_vocabularies_are_googles():
    sha256 = {
        "uncased": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        "cased": "eeaa9875b23b04b4c54ef759d03db9d1ba1554838f8fb26c5d96fa551df93d02",
    }
    for vocab, digest in sha256.items():
        assert hashlib.sha256(VOCAB_FILES[vocab].read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("vocab", ["uncased", "cased"])
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


@pytest.mark.parametrize("vocab", ["uncased", "cased"])
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


@pytest.mark.skipif(not (SHARED_DATA / "vocab").is_dir(), reason="needs ../shared/data")
def test_parity_script_on_shared_data_subset(capsys):
    assert parity.main([str(SHARED_DATA), "--limit", "300"]) == 0
    out = capsys.readouterr().out
    assert "total differences: 0" in out
    assert "squad" in out and "conll2003" in out
