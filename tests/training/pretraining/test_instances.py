"""google-research/bert's pretraining data recipe: statistics on real text read back from the
written records, the pure instance functions, streaming, determinism and input errors."""

import json
import os
import random

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.samples import sample_path
from bert_keras.data import DataError
from bert_keras.text import BertTokenizer
from bert_keras.text.vocab import load_vocabulary
from bert_keras.training.pretraining.create_data import create_pretraining_data
from bert_keras.training.pretraining.instances import (InstanceRecipe, MaskingVocabulary,
                                                       create_instances,
                                                       create_instances_from_document,
                                                       mask_tokens, num_to_predict,
                                                       truncate_seq_pair)
from bert_keras.training.pretraining.records import parse_records, read_metadata
from bert_keras.training.pretraining.text_reading import chunk_documents

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")
WIKITEXT = sample_path("wikitext_sample.txt")
SAMPLE = os.path.join(DATA, "pretrain", "sample_text.txt")
VOCAB_PATH = os.path.join(DATA, "text", "bert_uncased_vocab.txt")
VOCAB = load_vocabulary(VOCAB_PATH)
PAD, CLS, SEP, MASK = (VOCAB.index(token) for token in ("[PAD]", "[CLS]", "[SEP]", "[MASK]"))
SEQ, PREDICTIONS = 128, 20


# ---------------------------------------------------------------------------------------------
# Helpers: run on a corpus, read the records back, restore the original tokens.

def _run(tmp_path, name, inputs=(WIKITEXT,), **settings):
    output = str(tmp_path / name)
    settings = {"dupe_factor": 2, "progress": False, **settings}
    statistics = create_pretraining_data(list(inputs), output, VOCAB_PATH, **settings)
    return output, statistics


def _records(output):
    metadata = read_metadata(output)
    files = [os.path.join(output, name) for name in metadata["shards"]]
    return [{name: value.numpy() for name, value in element.items()}
            for element in parse_records(files, metadata["max_seq_length"],
                                         metadata["max_predictions_per_seq"])]


def _decoded(record):
    """(input ids, original ids, masked positions), unpadded."""
    length = int(record["input_mask"].sum())
    count = int(record["masked_lm_weights"].sum())
    positions = record["masked_lm_positions"][:count]
    inputs = record["input_ids"][:length]
    originals = inputs.copy()
    originals[positions] = record["masked_lm_ids"][:count]
    return inputs, originals, positions


def _segments(originals):
    """A and B of `[CLS] A [SEP] B [SEP]` (asserting that layout)."""
    seps = np.flatnonzero(originals == SEP).tolist()
    assert originals[0] == CLS and len(seps) == 2 and seps[1] == len(originals) - 1
    return originals[1:seps[0]], originals[seps[0] + 1:-1]


def _corpus_documents(path):
    """The token ids of each document of a corpus, as ' id id ... ' strings for search."""
    tokenizer = BertTokenizer(VOCAB_PATH)
    with open(path, encoding="utf-8") as file:
        documents = [[line for line in text.split("\n") if line.strip()]
                     for text in file.read().split("\n\n")]
    return [" " + " ".join(str(i) for i in tokenizer(tf.constant(document)).flat_values.numpy())
            + " " for document in documents if document]


def _containing(tokens, documents):
    needle = " " + " ".join(str(i) for i in tokens) + " "
    return {index for index, document in enumerate(documents) if needle in document}


@pytest.fixture(scope="module")
def wikitext(tmp_path_factory):
    output, statistics = _run(tmp_path_factory.mktemp("wikitext"), "out")
    return statistics, _records(output)


@pytest.fixture(scope="module")
def wikitext_whole_word(tmp_path_factory):
    output, _ = _run(tmp_path_factory.mktemp("wikitext_wwm"), "out", do_whole_word_mask=True)
    return _records(output)


@pytest.fixture(scope="module")
def corpus_documents():
    return _corpus_documents(WIKITEXT)


# ---------------------------------------------------------------------------------------------
# Statistics on WikiText, read back from the records.

def test_statistics_match_the_records(wikitext):
    statistics, records = wikitext
    assert statistics["documents"] == 10 and statistics["chunks"] == 1
    assert statistics["instances"] == len(records) > 900
    assert statistics["masked_tokens"] == sum(int(r["masked_lm_weights"].sum()) for r in records)
    assert statistics["random_next_instances"] == sum(int(r["next_sentence_labels"][0])
                                                      for r in records)


def test_mask_count_is_the_recipes_and_about_15_percent(wikitext):
    _, records = wikitext
    masked = maskable = expected = 0
    for record in records:
        inputs, _, positions = _decoded(record)
        # each instance gets exactly the recipe's number of masks
        assert len(positions) == num_to_predict(len(inputs), InstanceRecipe())
        masked += len(positions)
        maskable += len(inputs) - 3
        expected += min(PREDICTIONS, max(1, round(len(inputs) * 0.15)))
    assert masked == expected
    # round(len * 0.15) counts [CLS]/[SEP] too, so slightly above 15% of the maskable tokens.
    assert abs(masked / maskable - 0.15) < 0.015, masked / maskable


def test_masked_positions_are_80_percent_mask_10_kept_10_random(wikitext):
    _, records = wikitext
    kinds = {"mask": 0, "kept": 0, "random": 0}
    for record in records:
        inputs, originals, positions = _decoded(record)
        for position in positions:
            if inputs[position] == MASK:
                kinds["mask"] += 1
            elif inputs[position] == originals[position]:
                kinds["kept"] += 1
            else:
                kinds["random"] += 1
    total = sum(kinds.values())
    assert total > 15000
    for kind, share in (("mask", 0.8), ("kept", 0.1), ("random", 0.1)):
        assert abs(kinds[kind] / total - share) < 0.02, kinds


def test_next_sentence_is_random_about_half_the_time(wikitext):
    _, records = wikitext
    share = np.mean([record["next_sentence_labels"][0] for record in records])
    assert abs(share - 0.5) < 0.05, share


def test_layout_padding_and_no_special_token_masked(wikitext):
    _, records = wikitext
    for record in records:
        inputs, originals, positions = _decoded(record)
        length = len(inputs)
        tokens_a, tokens_b = _segments(originals)
        assert len(tokens_a) >= 1 and len(tokens_b) >= 1 and length <= SEQ
        np.testing.assert_array_equal(
            record["segment_ids"],
            [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1) + [0] * (SEQ - length))
        np.testing.assert_array_equal(record["input_mask"], [1] * length + [0] * (SEQ - length))
        assert not record["input_ids"][length:].any()
        assert PAD not in originals
        assert all(originals[p] not in (CLS, SEP, PAD) for p in positions)
        assert list(positions) == sorted(set(positions))
        count = len(positions)
        assert not record["masked_lm_positions"][count:].any()
        assert not record["masked_lm_ids"][count:].any()
        np.testing.assert_array_equal(record["masked_lm_weights"],
                                      [1.0] * count + [0.0] * (PREDICTIONS - count))


def test_labels_restore_the_corpus_text_and_b_comes_from_the_right_document(
        wikitext, corpus_documents):
    """A and B, with the masked positions restored from masked_lm_ids, are each a contiguous
    piece of the tokenized corpus; a random B is from another document, a real one from A's."""
    _, records = wikitext
    for record in records:
        tokens_a, tokens_b = _segments(_decoded(record)[1])
        documents_a = _containing(tokens_a, corpus_documents)
        documents_b = _containing(tokens_b, corpus_documents)
        assert documents_a and documents_b
        if record["next_sentence_labels"][0]:
            assert any(a != b for a in documents_a for b in documents_b)
        else:
            assert documents_a & documents_b


def test_whole_word_masking_never_masks_part_of_a_word(wikitext_whole_word):
    masked = allowed = 0
    for record in wikitext_whole_word:
        inputs, originals, positions = _decoded(record)
        is_masked = np.zeros(len(inputs), bool)
        is_masked[positions] = True
        for position in range(1, len(inputs)):
            previous = originals[position - 1]
            if VOCAB[originals[position]].startswith("##") and previous not in (CLS, SEP):
                assert is_masked[position] == is_masked[position - 1], (record, position)
        masked += len(positions)
        allowed += num_to_predict(len(inputs), InstanceRecipe())
        assert len(positions) <= num_to_predict(len(inputs), InstanceRecipe())
    # Whole words that do not fit in the budget are skipped, so a little under the budget.
    assert 0.95 < masked / allowed <= 1, masked / allowed


# ---------------------------------------------------------------------------------------------
# The recipe's pure functions, on token lists.

TINY_VOCAB = MaskingVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                               + [f"w{i}" for i in range(95)] + [f"##p{i}" for i in range(100)])


def _restore(instance):
    originals = list(instance.input_ids)
    for position, token in zip(instance.masked_lm_positions, instance.masked_lm_ids):
        originals[position] = token
    sep = originals.index(TINY_VOCAB.sep_id)
    return originals[1:sep], originals[sep + 1:-1]


def _document(first, sentences, length=3):
    """Sentences of distinct ids first, first + 1, ..."""
    return [list(range(first + i * length, first + (i + 1) * length)) for i in range(sentences)]


def test_one_sentence_document_gives_a_random_next_instance():
    documents = [[[10, 11, 12]], _document(20, 4)]
    recipe = InstanceRecipe(max_seq_length=32, short_seq_prob=0)
    for seed in range(5):
        (instance,) = create_instances_from_document(documents, 0, recipe, TINY_VOCAB,
                                                     random.Random(seed))
        tokens_a, tokens_b = _restore(instance)
        assert instance.is_random_next and tokens_a == [10, 11, 12]
        assert set(tokens_b) <= set(range(20, 32))


def test_unused_sentences_go_back_and_every_sentence_is_used():
    documents = [_document(5, 12), _document(50, 12)]
    recipe = InstanceRecipe(max_seq_length=13, short_seq_prob=0)  # 10 tokens: about three sentences
    for seed in range(20):
        instances = create_instances_from_document(documents, 0, recipe, TINY_VOCAB,
                                                   random.Random(seed))
        used = set()
        for instance in instances:
            tokens_a, tokens_b = _restore(instance)
            used.update(tokens_a)
            if instance.is_random_next:
                assert set(tokens_b) <= set(range(50, 86))
            else:
                used.update(tokens_b)
                assert set(tokens_b) <= set(range(5, 41))
        # Truncation may cut tokens at the edges, never a whole sentence of three.
        for sentence in documents[0]:
            assert used & set(sentence), (seed, sentence)


def test_a_single_document_corpus_draws_b_from_itself():
    documents = [_document(5, 6)]
    instances = create_instances(documents, InstanceRecipe(max_seq_length=12), TINY_VOCAB,
                                 random.Random(0))
    assert instances and any(instance.is_random_next for instance in instances)
    for instance in instances:
        assert set(_restore(instance)[1]) <= set(range(5, 23))


def test_truncation_keeps_max_num_tokens_from_the_longer_side():
    rng = random.Random(0)
    for length_a, length_b in ((50, 3), (3, 50), (30, 30), (1, 100)):
        a, b = list(range(length_a)), list(range(100, 100 + length_b))
        cut_a, cut_b = truncate_seq_pair(a, b, 10, rng)
        assert len(cut_a) + len(cut_b) == 10 and cut_a and cut_b
        # Contiguous pieces of the originals.
        assert cut_a == a[a.index(cut_a[0]):a.index(cut_a[0]) + len(cut_a)]
        assert cut_b == b[b.index(cut_b[0]):b.index(cut_b[0]) + len(cut_b)]
    assert truncate_seq_pair([1, 2], [3], 5, rng) == ([1, 2], [3])
    # Both ends get cut.
    cuts = [truncate_seq_pair(list(range(20)), [99], 5, rng)[0] for _ in range(50)]
    assert any(cut[0] > 0 for cut in cuts) and any(cut[-1] < 19 for cut in cuts)


def test_whole_word_groups_never_cross_sep():
    # [CLS] w0 ##p0 [SEP] ##p1 w1 [SEP]: ##p1 starts B, so it is its own group.
    tokens = [2, 5, 100, 3, 101, 6, 3]
    recipe = InstanceRecipe(masked_lm_prob=0.3, do_whole_word_mask=True)  # budget round(2.1) = 2
    seen = set()
    for seed in range(50):
        _, positions, _ = mask_tokens(tokens, recipe, TINY_VOCAB, random.Random(seed))
        seen.add(tuple(positions))
        assert 0 not in positions and 3 not in positions and 6 not in positions
        assert (1 in positions) == (2 in positions)
    assert (1, 2) in seen and (4, 5) in seen


def test_masking_budget_and_cap():
    recipe = InstanceRecipe(max_predictions_per_seq=5)
    tokens = [2] + list(range(5, 95)) + [3] + list(range(5, 40)) + [3]
    _, positions, labels = mask_tokens(tokens, recipe, TINY_VOCAB, random.Random(0))
    assert len(positions) == 5 and labels == [tokens[p] for p in positions]
    assert num_to_predict(10, InstanceRecipe()) == 2 and num_to_predict(200, InstanceRecipe()) == 20


def test_chunks_hold_at_least_two_documents():
    for count in range(2, 12):
        chunks = list(chunk_documents(range(count), 3))
        assert [d for chunk in chunks for d in chunk] == list(range(count))
        assert all(2 <= len(chunk) <= 4 for chunk in chunks)
    assert list(chunk_documents(["only"], 3)) == [["only"]]


def test_recipe_validation():
    with pytest.raises(ValueError, match=r"max_seq_length must be an integer >= 5 \(room for"):
        InstanceRecipe(max_seq_length=4)
    with pytest.raises(ValueError, match=r"masked_lm_prob must be in \(0, 1\], got 1.5"):
        InstanceRecipe(masked_lm_prob=1.5)
    with pytest.raises(ValueError, match=r"short_seq_prob must be in \[0, 1\], got -0.1"):
        InstanceRecipe(short_seq_prob=-0.1)
    with pytest.raises(ValueError, match="dupe_factor must be an integer >= 1, got 0"):
        InstanceRecipe(dupe_factor=0)


# ---------------------------------------------------------------------------------------------
# Files: streaming, determinism, the output directory, errors.

def _shard_bytes(output):
    return [open(os.path.join(output, name), "rb").read()
            for name in read_metadata(output)["shards"]]


def test_streaming_chunks_and_shards(tmp_path, corpus_documents):
    output, statistics = _run(tmp_path, "out", dupe_factor=1, documents_per_chunk=3,
                              instances_per_shard=100)
    metadata = read_metadata(output)
    # Ten documents in chunks of 3, 3 and 4 (the lone last document joins the last chunk).
    assert statistics["chunks"] == 3 and statistics["documents"] == 10
    shards = metadata["shards"]
    assert shards == [f"part-{i:05d}.tfrecord" for i in range(len(shards))]
    assert sorted(os.listdir(output)) == sorted(shards + ["metadata.json", "vocab.txt"])
    sizes = [sum(1 for _ in tf.data.TFRecordDataset(os.path.join(output, name)))
             for name in shards]
    assert all(size == 100 for size in sizes[:-1]) and 0 < sizes[-1] <= 100
    assert sum(sizes) == metadata["num_instances"] == statistics["instances"]
    # Every instance is valid, and a random B comes from another document of A's chunk.
    chunk_of = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    for record in _records(output):
        tokens_a, tokens_b = _segments(_decoded(record)[1])
        documents_a = _containing(tokens_a, corpus_documents)
        documents_b = _containing(tokens_b, corpus_documents)
        assert any(chunk_of[a] == chunk_of[b] and (a != b) == bool(record["next_sentence_labels"])
                   for a in documents_a for b in documents_b)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first, _ = _run(tmp_path, "a", [SAMPLE])
    again, _ = _run(tmp_path, "b", [SAMPLE])
    other, _ = _run(tmp_path, "c", [SAMPLE], seed=7)
    assert _shard_bytes(first) == _shard_bytes(again)
    assert _shard_bytes(first) != _shard_bytes(other)
    with open(os.path.join(first, "metadata.json")) as file:
        metadata = json.load(file)
    assert metadata["seed"] == 12345 and read_metadata(other)["seed"] == 7


def test_crlf_and_whitespace_only_separators_give_the_same_data(tmp_path):
    with open(SAMPLE, encoding="utf-8") as file:
        text = file.read()
    variant = tmp_path / "crlf.txt"
    variant.write_bytes(("\ufeff" + text.replace("\n\n", "\n \t \n")).replace("\n", "\r\n")
                        .encode("utf-8"))
    plain, _ = _run(tmp_path, "plain", [SAMPLE])
    crlf, statistics = _run(tmp_path, "crlf", [str(variant)])
    assert statistics["documents"] == 3
    assert _shard_bytes(plain) == _shard_bytes(crlf)


def test_metadata_and_vocab_copy(tmp_path):
    output, statistics = _run(tmp_path, "out", [SAMPLE], max_seq_length=64,
                              max_predictions_per_seq=10, do_whole_word_mask=True)
    metadata = read_metadata(output)
    assert {key: metadata[key] for key in (
        "max_seq_length", "max_predictions_per_seq", "lowercase", "vocab_size", "dupe_factor",
        "masked_lm_prob", "short_seq_prob", "do_whole_word_mask", "seed")} == {
        "max_seq_length": 64, "max_predictions_per_seq": 10, "lowercase": True,
        "vocab_size": len(VOCAB), "dupe_factor": 2, "masked_lm_prob": 0.15,
        "short_seq_prob": 0.1, "do_whole_word_mask": True, "seed": 12345}
    assert metadata["num_instances"] == statistics["instances"] == len(_records(output))
    assert load_vocabulary(os.path.join(output, "vocab.txt")) == VOCAB


def test_output_directory_needs_overwrite_and_overwrite_removes_old_shards(tmp_path):
    output, _ = _run(tmp_path, "out", [SAMPLE], instances_per_shard=5)
    assert len(read_metadata(output)["shards"]) > 1
    with pytest.raises(ValueError, match="Output directory .*out is not empty; use --overwrite"):
        _run(tmp_path, "out", [SAMPLE])
    _run(tmp_path, "out", [SAMPLE], overwrite=True)
    assert sorted(os.listdir(output)) == ["metadata.json", "part-00000.tfrecord", "vocab.txt"]


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_input_errors(tmp_path):
    out = str(tmp_path / "out")
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="Input file not found: .*missing.txt"):
        create_pretraining_data([missing], out, VOCAB_PATH)
    for name, content in (("empty.txt", b""), ("blank.txt", b"\n  \n\t\r\n")):
        path = _write(tmp_path, name, content)
        with pytest.raises(DataError) as error:
            create_pretraining_data([SAMPLE, path], out, VOCAB_PATH)
        assert str(error.value) == f"{path}: no text: the file is empty or has only blank lines"
    with pytest.raises(ValueError, match="No input files given"):
        create_pretraining_data([], out, VOCAB_PATH)
    with pytest.raises(FileNotFoundError, match="Vocabulary file not found"):
        create_pretraining_data([SAMPLE], out, str(tmp_path / "vocab.txt"))
    with pytest.raises(ValueError, match="max_seq_length must be an integer >= 5"):
        create_pretraining_data([SAMPLE], out, VOCAB_PATH, max_seq_length=4)
    with pytest.raises(ValueError, match=r"masked_lm_prob must be in \(0, 1\], got 0"):
        create_pretraining_data([SAMPLE], out, VOCAB_PATH, masked_lm_prob=0)
    with pytest.raises(ValueError, match="documents_per_chunk must be an integer >= 2"):
        create_pretraining_data([SAMPLE], out, VOCAB_PATH, documents_per_chunk=1)
    assert not os.path.exists(out)  # nothing written before the settings are checked


def test_bad_utf8_line_names_file_and_line_and_leaves_no_shards(tmp_path):
    # Five documents, then a bad line: the first chunks are written before it is read.
    text = b"".join(b"Sentence %d of a document.\nAnother one.\n\n" % i for i in range(5))
    path = _write(tmp_path, "bad.txt", text + b"caf\xe9 au lait\n")
    out = str(tmp_path / "out")
    with pytest.raises(DataError) as error:
        create_pretraining_data([path], out, VOCAB_PATH, documents_per_chunk=2,
                                instances_per_shard=1, progress=False)
    assert error.value.path == path and error.value.line == 16
    assert str(error.value).startswith(f"{path}:16: not UTF-8: invalid continuation byte")
    assert os.listdir(out) == []  # no shard, no vocab.txt, no metadata left


def test_lines_without_tokens_are_counted_and_no_tokens_at_all_is_an_error(tmp_path):
    control = _write(tmp_path, "control.txt", "\x00\x01\n\x02\n".encode())
    with pytest.raises(DataError, match="no sentences: no line gives any token"):
        create_pretraining_data([control], str(tmp_path / "a"), VOCAB_PATH, progress=False)
    _, statistics = _run(tmp_path, "b", [SAMPLE, control])
    assert statistics["lines_without_tokens"] == 2
    assert statistics["documents_without_tokens"] == 1 and statistics["documents"] == 3
