"""The pretraining record format: padding, round trip, google-research/bert's spec, metadata."""

import json

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.training.pretraining.records import (METADATA_FILE, parse_records, read_metadata,
                                                     serialize_instance)

SEQ, PREDICTIONS = 10, 3


def _write(path, records):
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record)
    return str(path)


def _instance(first_token, label=0):
    """[CLS] a b [SEP] c [SEP] with `a` masked (position 1)."""
    return serialize_instance([2, 4, first_token + 1, 3, first_token + 2, 3], [0, 0, 0, 0, 1, 1],
                              [1], [first_token], label, SEQ, PREDICTIONS)


def test_round_trip_pads_and_casts(tmp_path):
    path = _write(tmp_path / "a.tfrecord", [_instance(10, label=1)])
    (element,) = list(parse_records([path], SEQ, PREDICTIONS))
    assert element["input_ids"].numpy().tolist() == [2, 4, 11, 3, 12, 3, 0, 0, 0, 0]
    assert element["input_mask"].numpy().tolist() == [1] * 6 + [0] * 4
    assert element["segment_ids"].numpy().tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert element["masked_lm_positions"].numpy().tolist() == [1, 0, 0]
    assert element["masked_lm_ids"].numpy().tolist() == [10, 0, 0]
    assert element["masked_lm_weights"].numpy().tolist() == [1.0, 0.0, 0.0]
    assert element["next_sentence_labels"].numpy().tolist() == [1]
    assert {name: value.dtype for name, value in element.items()} == {
        "input_ids": tf.int32, "input_mask": tf.int32, "segment_ids": tf.int32,
        "masked_lm_positions": tf.int32, "masked_lm_ids": tf.int32,
        "masked_lm_weights": tf.float32, "next_sentence_labels": tf.int32}


def test_files_are_read_in_the_given_order(tmp_path):
    first = _write(tmp_path / "b.tfrecord", [_instance(10), _instance(20)])
    second = _write(tmp_path / "a.tfrecord", [_instance(30)])
    for files, expected in (([first, second], [10, 20, 30]), ([second, first], [30, 10, 20])):
        dataset = parse_records(files, SEQ, PREDICTIONS)
        assert [int(e["masked_lm_ids"][0]) for e in dataset] == expected


def test_google_run_pretraining_feature_spec_parses_our_records():
    # The spec of google-research/bert run_pretraining.py's input_fn_builder, written by hand.
    google_spec = {
        "input_ids": tf.io.FixedLenFeature([SEQ], tf.int64),
        "input_mask": tf.io.FixedLenFeature([SEQ], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([SEQ], tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature([PREDICTIONS], tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature([PREDICTIONS], tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature([PREDICTIONS], tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }
    parsed = tf.io.parse_single_example(_instance(10, label=1), google_spec)
    assert parsed["input_ids"].numpy().tolist()[:6] == [2, 4, 11, 3, 12, 3]
    assert parsed["next_sentence_labels"].numpy().tolist() == [1]
    # No feature beyond google's: the Example holds exactly these seven.
    example = tf.train.Example.FromString(_instance(10))
    assert set(example.features.feature) == set(google_spec)
    assert example.features.feature["masked_lm_weights"].WhichOneof("kind") == "float_list"


def test_google_style_record_parses_with_ours(tmp_path):
    """A record laid out as google-research/bert writes it (ints as int64, weights as floats)."""
    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    features = {
        "input_ids": ints([2, 5, 3, 6, 3] + [0] * 5), "input_mask": ints([1] * 5 + [0] * 5),
        "segment_ids": ints([0, 0, 0, 1, 1] + [0] * 5),
        "masked_lm_positions": ints([1, 0, 0]), "masked_lm_ids": ints([7, 0, 0]),
        "masked_lm_weights": tf.train.Feature(float_list=tf.train.FloatList(value=[1, 0, 0])),
        "next_sentence_labels": ints([0]),
    }
    record = tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()
    (element,) = list(parse_records([_write(tmp_path / "g.tfrecord", [record])], SEQ, PREDICTIONS))
    np.testing.assert_array_equal(element["masked_lm_ids"], [7, 0, 0])


@pytest.mark.parametrize("change, message", [
    (dict(input_ids=list(range(11)), segment_ids=[0] * 11),
     "input_ids has 11 tokens, more than max_seq_length 10"),
    (dict(segment_ids=[0, 0]), "segment_ids has 2 entries but input_ids has 5"),
    (dict(masked_lm_positions=[1, 2, 3, 4], masked_lm_ids=[5, 5, 5, 5]),
     "4 masked positions, more than max_predictions_per_seq 3"),
    (dict(masked_lm_ids=[5, 6]), "masked_lm_ids has 2 entries but masked_lm_positions has 1"),
    (dict(masked_lm_positions=[7]), "masked_lm_positions [7] outside the 5 tokens"),
    (dict(next_sentence_label=2), "next_sentence_label must be 0 or 1, got 2"),
])
def test_serialize_instance_rejects_bad_instances(change, message):
    arguments = dict(input_ids=[2, 5, 3, 6, 3], segment_ids=[0, 0, 0, 1, 1],
                     masked_lm_positions=[1], masked_lm_ids=[5], next_sentence_label=0,
                     max_seq_length=SEQ, max_predictions_per_seq=PREDICTIONS)
    with pytest.raises(ValueError) as error:
        serialize_instance(**{**arguments, **change})
    assert str(error.value) == message


def test_parse_records_errors(tmp_path):
    with pytest.raises(ValueError, match="at least one TFRecord file"):
        parse_records([], SEQ, PREDICTIONS)
    with pytest.raises(FileNotFoundError, match="TFRecord file not found: .*missing.tfrecord"):
        parse_records([str(tmp_path / "missing.tfrecord")], SEQ, PREDICTIONS)


def test_read_metadata(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{METADATA_FILE} not found: .* not the output"):
        read_metadata(tmp_path)
    (tmp_path / METADATA_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        read_metadata(tmp_path)
    (tmp_path / METADATA_FILE).write_text(json.dumps({"max_seq_length": 10}))
    assert read_metadata(tmp_path) == {"max_seq_length": 10}


def test_record_passes_differ_and_a_dataset_built_anew_repeats_them(tmp_path):
    """A resumed run builds its data anew and skips the batches it trained: it must see the
    batches an uninterrupted run sees, in every later pass too."""
    from bert_keras.training.pretraining.inputs import record_batches, record_metadata

    _write(tmp_path / "part-00000.tfrecord", [_instance(token) for token in range(10, 20)])
    metadata = record_metadata(str(tmp_path), max_seq_length=SEQ, max_predictions=PREDICTIONS)
    assert metadata["num_instances"] == 10

    def three_passes(skip=0):
        batches = record_batches(str(tmp_path), metadata, batch_size=2, seed=3).repeat()
        return [targets["mlm_logits"][:, 0].numpy().tolist()
                for _, targets, _ in batches.skip(skip).take(15 - skip)]

    uninterrupted = three_passes()
    assert three_passes() == uninterrupted and three_passes(skip=7) == uninterrupted[7:]
    passes = [sum(uninterrupted[start:start + 5], []) for start in (0, 5, 10)]
    assert all(sorted(one_pass) == list(range(10, 20)) for one_pass in passes)
    assert len({tuple(one_pass) for one_pass in passes}) == 3
