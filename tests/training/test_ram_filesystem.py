"""Runs whose every file lies behind a URL: fine-tune -> evaluate -> export and
create-pretraining-data -> pretrain on TensorFlow's in-memory `ram://` file system, which goes
through the same `tf.io.gfile` layer as `gs://` (so nothing here needs a bucket or network)."""

import uuid

import pytest
import tensorflow as tf

from bert_keras import storage
from bert_keras.cli import main
from bert_keras.export.saved_model import export_model
from bert_keras.training.finetune import Run, finetune
from bert_keras.training.options import FinetuneOptions, PretrainOptions
from bert_keras.training.pretraining.create_data import create_pretraining_data
from bert_keras.training.pretraining.pretrain import pretrain

from task_samples import DATA, FILES, TASKS, VOCAB


@pytest.fixture
def bucket():
    """A fresh `ram://` folder, deleted afterwards (the file system lives as long as the
    process)."""
    root = f"ram://bucket-{uuid.uuid4().hex[:8]}"
    tf.io.gfile.makedirs(root)
    yield root
    storage.rmtree(root)


def _upload(local: str, url: str) -> str:
    tf.io.gfile.copy(local, url, overwrite=True)
    return url


def test_finetune_evaluate_and_export_on_a_url(bucket):
    train_file, dev_file = (_upload(str(TASKS / name), f"{bucket}/data/{name}")
                            for name in FILES["sst2"])
    vocab = _upload(VOCAB, f"{bucket}/vocab.txt")
    run_dir = f"{bucket}/runs/sst2"
    result = finetune("sst2", "random:tiny", run_dir, train_file=train_file, dev_file=dev_file,
                      vocab=vocab, verbose=0,
                      options=FinetuneOptions(seq_length=32, batch_size=16, epochs=1,
                                              learning_rate=1e-3))
    written = set(tf.io.gfile.listdir(run_dir))
    assert {"model.keras", "vocab.txt", "task.json", "metrics.json", "history.csv",
            "backup"} <= written
    assert not [name for name in written if name.startswith(".partial-")]

    run = Run.load(run_dir)
    assert run.spec.data["dev_file"] == dev_file
    assert run.evaluate().keys() == result.keys()

    exported = export_model(run_dir, f"{bucket}/models/sst2")
    assert exported.path == f"{bucket}/models/sst2/1"
    assert tf.io.gfile.exists(f"{exported.path}/saved_model.pb")
    assert tf.io.gfile.exists(f"{exported.path}/assets.extra/tf_serving_warmup_requests")
    assert storage.listdir(f"{bucket}/models/sst2") == ["1"]
    loaded = tf.saved_model.load(exported.path)
    scores = loaded.signatures["serving_default"](text=tf.constant(["a fine film", "dull"]))
    assert all(value.shape[0] == 2 for value in scores.values())


def test_create_pretraining_data_and_pretrain_on_a_url(bucket, capsys):
    text = _upload(str(DATA / "pretrain" / "sample_text.txt"), f"{bucket}/text/sample.txt")
    shards = f"{bucket}/shards"
    counts = create_pretraining_data([text], shards, VOCAB, max_seq_length=32,
                                     max_predictions_per_seq=5, dupe_factor=1, progress=False)
    assert counts["instances"] > 0
    assert storage.glob(f"{shards}/part-*.tfrecord")
    run_dir = f"{bucket}/runs/pretrain"
    metrics = pretrain(run_dir, "random:tiny", data_dir=shards, verbose=0,
                       options=PretrainOptions(batch_size=8, num_train_steps=2,
                                               steps_per_epoch=2, strategy="default"))
    assert metrics["loss"] > 0
    assert {"model.keras", "vocab.txt", "task.json"} <= set(tf.io.gfile.listdir(run_dir))

    # The command line takes the same URLs: a glob of inputs and an existing output refused.
    assert main(["create-pretraining-data", "--input", f"{bucket}/text/*.txt", "--output-dir",
                 shards, "--vocab", VOCAB, "--no-progress"]) == 2
    assert f"Output directory {shards} is not empty" in capsys.readouterr().err
