"""BertPacker: truncation rules, padding modes, graph/tf.data use, argument errors."""

from __future__ import annotations

import pytest
import tensorflow as tf

from bert_keras.text import BertPacker, BertTokenizer
from bert_keras.text.truncation import round_robin_lengths, waterfall_lengths

from text_testdata import TINY_VOCAB

CLS, SEP, PAD = 101, 102, 0


def packer(**kwargs) -> BertPacker:
    return BertPacker(cls_id=CLS, sep_id=SEP, pad_id=PAD, **kwargs)


def pack(layer: BertPacker, *segments: list[list[int]]) -> dict[str, list]:
    out = layer([tf.ragged.constant(s, dtype=tf.int32) for s in segments])
    return {k: v.numpy().tolist() for k, v in out.items()}


def test_pair_layout_mask_and_type_ids():
    out = pack(packer(seq_length=10), [[1, 2, 3]], [[11, 12]])
    assert out["input_word_ids"] == [[CLS, 1, 2, 3, SEP, 11, 12, SEP, PAD, PAD]]
    assert out["input_mask"] == [[1, 1, 1, 1, 1, 1, 1, 1, 0, 0]]
    assert out["input_type_ids"] == [[0, 0, 0, 0, 0, 1, 1, 1, 0, 0]]


def test_round_robin_truncation_hand_computed():
    # Budget 8 - 3 = 5: the longer segment gives up tokens first; on a tie the second does.
    out = pack(
        packer(seq_length=8),
        [[1, 2, 3, 4, 5, 6], [1, 2], [1, 2, 3]],
        [[11, 12, 13, 14], [11, 12, 13, 14, 15], [11, 12, 13]],
    )
    assert out["input_word_ids"] == [
        [CLS, 1, 2, 3, SEP, 11, 12, SEP],
        [CLS, 1, 2, SEP, 11, 12, 13, SEP],
        [CLS, 1, 2, 3, SEP, 11, 12, SEP],
    ]


def test_waterfall_truncation_hand_computed():
    out = pack(
        packer(seq_length=8, truncation="waterfall"),
        [[1, 2, 3, 4, 5, 6], [1, 2]],
        [[11, 12, 13, 14], [11, 12, 13, 14, 15]],
    )
    assert out["input_word_ids"] == [
        [CLS, 1, 2, 3, 4, 5, SEP, SEP],
        [CLS, 1, 2, SEP, 11, 12, 13, SEP],
    ]


def test_three_segments_round_robin_and_type_ids():
    out = pack(packer(seq_length=9), [[1, 2, 3, 4]], [[11]], [[21, 22, 23]])
    # Budget 9 - 4 = 5: lengths (4, 1, 3) -> (2, 1, 2).
    assert out["input_word_ids"] == [[CLS, 1, 2, SEP, 11, SEP, 21, 22, SEP]]
    assert out["input_type_ids"] == [[0, 0, 0, 0, 1, 1, 2, 2, 2]]


def test_truncation_budgets_match_reference_pair_rule():
    def truncate_seq_pair(a: int, b: int, budget: int) -> list[int]:
        while a + b > budget:
            if a > b:
                a -= 1
            else:
                b -= 1
        return [a, b]

    lengths = [[a, b] for a in range(12) for b in range(12)]
    for budget in range(0, 15):
        got = round_robin_lengths(tf.constant(lengths), budget).numpy().tolist()
        assert got == [truncate_seq_pair(a, b, budget) for a, b in lengths]
    assert waterfall_lengths(tf.constant([[3, 4, 5]]), 6).numpy().tolist() == [[3, 3, 0]]


def test_pad_to_fixed_versus_longest():
    segments = [[1, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]
    fixed = pack(packer(seq_length=8), segments)
    assert [len(row) for row in fixed["input_word_ids"]] == [8, 8]
    longest = pack(packer(seq_length=20, pad_to="longest"), [[1, 2], [1, 2, 3]])
    assert longest["input_word_ids"] == [[CLS, 1, 2, SEP, PAD], [CLS, 1, 2, 3, SEP]]
    capped = pack(packer(seq_length=8, pad_to="longest"), segments)
    assert capped["input_word_ids"][1] == [CLS, 1, 2, 3, 4, 5, 6, SEP]


def test_single_ragged_tensor_and_dense_input():
    layer = packer(seq_length=5)
    ragged = layer(tf.ragged.constant([[7, 8]]))["input_word_ids"].numpy().tolist()
    dense = layer(tf.constant([[7, 8]]))["input_word_ids"].numpy().tolist()
    assert ragged == dense == [[CLS, 7, 8, SEP, PAD]]


def test_from_tokenizer_in_tf_function_and_dataset_map():
    tokenizer = BertTokenizer(TINY_VOCAB)
    layer = BertPacker.from_tokenizer(tokenizer, seq_length=6)
    assert (layer.cls_id, layer.sep_id, layer.pad_id) == (2, 3, 0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    def preprocess(a, b):
        return layer([tokenizer(a), tokenizer(b)])

    expected = [[2, 5, 3, 6, 8, 3], [2, 26, 3, 3, 0, 0]]
    out = preprocess(tf.constant(["hello", "the"]), tf.constant(["world!", ""]))
    assert out["input_word_ids"].numpy().tolist() == expected

    dataset = (
        tf.data.Dataset.from_tensor_slices((["hello", "the"], ["world!", ""]))
        .batch(2)
        .map(lambda a, b: layer([tokenizer(a), tokenizer(b)]))
    )
    batch = next(iter(dataset))
    assert batch["input_word_ids"].numpy().tolist() == expected
    assert batch["input_word_ids"].shape == (2, 6)


def test_config_round_trip():
    layer = packer(seq_length=16, truncation="waterfall", pad_to="longest", name="p")
    clone = BertPacker.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seq_length": 1}, "seq_length must be an int >= 2, got 1"),
        ({"seq_length": 8.0}, "seq_length must be an int >= 2"),
        ({"seq_length": 8, "truncation": "longest_first"}, "truncation must be one of"),
        ({"seq_length": 8, "pad_to": "max"}, "pad_to must be one of"),
        ({"seq_length": 8, "cls_id": -1}, "cls_id must be a non-negative int"),
    ],
)
def test_bad_arguments(kwargs, message):
    ids = {"cls_id": CLS, "sep_id": SEP, "pad_id": PAD}
    ids.update({k: kwargs.pop(k) for k in list(kwargs) if k.endswith("_id")})
    with pytest.raises(ValueError, match=message):
        BertPacker(**ids, **kwargs)


def test_bad_inputs():
    layer = packer(seq_length=3)
    with pytest.raises(ValueError, match="cannot hold 3 segments"):
        layer([tf.ragged.constant([[1]])] * 3)
    with pytest.raises(ValueError, match="at least one segment"):
        layer([])
    with pytest.raises(ValueError, match="integer token ids, got float32"):
        layer(tf.ragged.constant([[1.0]]))
    with pytest.raises(ValueError, match=r"Segment 0 must be .* got shape \(2,\)"):
        layer(tf.constant([1, 2]))
