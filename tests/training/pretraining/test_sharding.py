"""Input sharding across workers: TFRecord shards split by file when there are at least as many
files as workers, by data (with a warning) when fewer; the union of the workers' passes holds
every record exactly once, and one worker reads what it always read."""

import logging
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.training.pretraining.inputs import logger, record_batches, shard_policy
from bert_keras.training.pretraining.records import serialize_instance
from bert_keras.training.pretraining.text_inputs import text_dataset

SEQ, PREDICTIONS, GLOBAL_BATCH = 8, 2, 4
DATA_DIR = Path(__file__).parents[2] / "data"
VOCAB = str(DATA_DIR / "text" / "bert_uncased_vocab.txt")
SAMPLE = str(DATA_DIR / "pretrain" / "sample_text.txt")
FILE, DATA = tf.data.experimental.AutoShardPolicy.FILE, tf.data.experimental.AutoShardPolicy.DATA


def _shards(directory, num_files, per_file):
    """`num_files` shards of `per_file` records; a record's id is its masked-LM target."""
    names = []
    for number in range(num_files):
        names.append(f"part-{number:05d}.tfrecord")
        with tf.io.TFRecordWriter(str(directory / names[-1])) as writer:
            for record_id in range(number * per_file, (number + 1) * per_file):
                writer.write(serialize_instance([2, 5, 3, 6, 3], [0, 0, 0, 1, 1], [1],
                                                [record_id + 10], 0, SEQ, PREDICTIONS))
    return {"max_seq_length": SEQ, "max_predictions_per_seq": PREDICTIONS, "shards": names}


def _warnings(caplog):
    return [record.getMessage() for record in caplog.records if record.name == logger.name
            and record.levelno == logging.WARNING]


def _ids(dataset):
    """The record ids of one pass, batch by batch."""
    return [(targets["mlm_logits"][:, 0].numpy() - 10).tolist() for _, targets, _ in dataset]


def _worker_passes(directory, metadata, workers, replicas_per_worker=1):
    return [_ids(record_batches(str(directory), metadata, GLOBAL_BATCH, seed=3,
                                input_context=tf.distribute.InputContext(
                                    workers, index, workers * replicas_per_worker)))
            for index in range(workers)]


def test_shard_policy_is_by_file_unless_files_are_fewer_than_workers(caplog):
    with caplog.at_level(logging.WARNING):
        assert shard_policy(4, 2) == shard_policy(2, 2) == shard_policy(1, 1) == FILE
        assert not _warnings(caplog)
        assert shard_policy(1, 2) == shard_policy(3, 4) == DATA
    assert len(_warnings(caplog)) == 2
    assert "1 input file(s) for 2 workers" in _warnings(caplog)[0]
    with pytest.raises(ValueError, match="at least one file"):
        shard_policy(0, 2)


def test_two_workers_split_four_files_by_file(tmp_path, caplog):
    metadata = _shards(tmp_path, num_files=4, per_file=6)
    with caplog.at_level(logging.WARNING):
        passes = _worker_passes(tmp_path, metadata, workers=2)
    assert not _warnings(caplog)
    # Per-replica batches (4 global / 2 replicas); worker i reads files i and i + 2 only.
    assert all(len(batch) == 2 for batches in passes for batch in batches)
    seen = [sorted(sum(batches, [])) for batches in passes]
    assert seen == [[*range(0, 6), *range(12, 18)], [*range(6, 12), *range(18, 24)]]
    assert sorted(seen[0] + seen[1]) == list(range(24))  # every record exactly once


def test_two_workers_split_one_file_by_data_with_a_warning(tmp_path, caplog):
    metadata = _shards(tmp_path, num_files=1, per_file=24)
    with caplog.at_level(logging.WARNING):
        passes = _worker_passes(tmp_path, metadata, workers=2, replicas_per_worker=2)
    assert len(_warnings(caplog)) == 2 and "sharding by data" in _warnings(caplog)[0]
    assert all(len(batch) == 1 for batches in passes for batch in batches)  # 4 / 4 replicas
    seen = [sum(batches, []) for batches in passes]
    assert len(seen[0]) == len(seen[1]) == 12
    assert sorted(seen[0] + seen[1]) == list(range(24))  # every record exactly once


def test_one_worker_reads_global_batches_as_before(tmp_path):
    """One input pipeline of one replica is the pass without a context: same batches, same
    seeded order, and a dataset built anew repeats the same sequence of passes."""
    metadata = _shards(tmp_path, num_files=2, per_file=7)

    def passes(**context):
        dataset = record_batches(str(tmp_path), metadata, GLOBAL_BATCH, seed=3, **context)
        return [_ids(dataset) for _ in range(2)]

    plain = passes()
    assert passes() == plain
    assert passes(input_context=tf.distribute.InputContext()) == plain
    assert all(len(batch) == GLOBAL_BATCH for batch in plain[0])  # drop_remainder: 3 of 14
    assert len(plain[0]) == 3 and plain[0] != plain[1]
    assert len(np.unique(sum(plain[0], []))) == 12


def _text_sequences(dataset, count):
    """The first `count` packed sequences of a text stream, masks undone."""
    sequences = []
    for inputs, targets, weights in dataset.unbatch().take(count):
        ids = inputs["input_word_ids"].numpy()
        for position, token, weight in zip(inputs["masked_lm_positions"].numpy(),
                                           targets["mlm_logits"].numpy(),
                                           weights["mlm_logits"].numpy()):
            if weight:
                ids[position] = token
        sequences.append(tuple(ids.tolist()))
    return sequences


def test_text_input_is_split_by_file_or_by_data(tmp_path, caplog):
    lines = open(SAMPLE, encoding="utf-8").read().splitlines()
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    files[0].write_text("\n".join(lines[:17]) + "\n", encoding="utf-8")
    files[1].write_text("\n".join(lines[18:]) + "\n", encoding="utf-8")

    def stream(paths, batch, context=None):
        return text_dataset([str(path) for path in paths], VOCAB, True, batch, seq_length=16,
                            max_predictions=3, seed=5, input_context=context)

    # By file: worker 1 pairs only file 1, as a run on that file alone does.
    _, per_pass = stream(files, 2, tf.distribute.InputContext(2, 1, 2))
    assert per_pass == stream(files[1:], 1)[1] > 0
    # By data (one file, a warning): the workers' first passes are the one-worker pass.
    with caplog.at_level(logging.WARNING):
        one, per_pass = stream([SAMPLE], 1)
        shares = [stream([SAMPLE], 2, tf.distribute.InputContext(2, index, 2))
                  for index in range(2)]
    assert _warnings(caplog)
    assert sum(count for _, count in shares) == per_pass
    together = sum((_text_sequences(data, count) for data, count in shares), [])
    assert sorted(together) == sorted(_text_sequences(one, per_pass))


def test_two_workers_pretrain_from_shards_split_by_file(tmp_path):
    """The per-worker route for real: two MultiWorkerMirrored workers on 127.0.0.1 pretrain
    from four shards (two each), take the same optimizer steps and end with equal weights."""
    import json
    import sys

    from bert_keras.cli import main

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workers"))
    from launch import Worker, free_ports

    data = tmp_path / "data"
    assert main(["create-pretraining-data", "--input", SAMPLE, "--output-dir", str(data),
                 "--vocab", VOCAB, "--seq-length", "32", "--max-predictions", "5",
                 "--dupe-factor", "2", "--instances-per-shard", "12", "--no-progress"]) == 0
    assert len(list(data.glob("*.tfrecord"))) >= 4
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [Worker("--output", str(tmp_path / "run"), "--strategy", "multi_worker",
                      "--data", str(data), "--result", str(tmp_path / f"worker{index}.npz"),
                      script=Path(__file__).resolve().parents[1] / "workers" / "pretrain_tiny.py",
                      env={"TF_CONFIG": json.dumps({"cluster": cluster, "task": {
                          "type": "worker", "index": index}})})
               for index in range(2)]
    try:
        for worker in workers:
            worker.finish(timeout=240)
    finally:
        for worker in workers:
            worker.kill()
    steps = [[line for line in worker.lines if line.startswith("OPTIMIZER_STEPS")]
             for worker in workers]
    assert steps == [["OPTIMIZER_STEPS 15"]] * 2
    first, second = (np.load(tmp_path / f"worker{index}.npz") for index in range(2))
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name])
    assert (tmp_path / "run" / "model.keras").exists()
