"""`bert-keras pretrain` end to end on a tiny model: dynamic masking from raw text, metrics,
gradient accumulation, a killed run that resumes, and a result that fine-tuning accepts."""

import json
import random
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from bert_keras.samples import sample_path
from bert_keras.checkpoints import load_checkpoint
from bert_keras.cli import main
from bert_keras.pretrained import find_source
from bert_keras.text import BertTokenizer
from bert_keras.training.finetune import finetune
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.pretraining.instances import InstanceRecipe
from bert_keras.training.pretraining.text_inputs import sentence_pairs, text_dataset
from bert_keras.training.pretraining.text_reading import read_token_documents

DATA = Path(__file__).resolve().parents[2] / "data"
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
SAMPLE = str(DATA / "pretrain" / "sample_text.txt")
WIKI = sample_path("wikitext_sample.txt")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workers"))
from launch import Worker  # noqa: E402

PRETRAIN_WORKER = Path(__file__).resolve().parents[1] / "workers" / "pretrain_tiny.py"


def test_sentence_pairs_follow_the_recipe_and_change_every_pass():
    documents = read_token_documents([WIKI], BertTokenizer(VOCAB))
    assert len(documents) == 10
    passes = [list(sentence_pairs(documents, InstanceRecipe(), random.Random(n))) for n in range(5)]
    # One short target length per document and pass (as in the reference) makes a single
    # pass over 10 documents noisy; over 5 passes about half of the B segments are random.
    labels = [label for one_pass in passes for _, _, label in one_pass]
    assert 0.45 < np.mean(labels) < 0.6
    assert all(first and second for first, second, _ in passes[0])
    # Full-length targets: most pairs fill most of the sequence (before truncation).
    assert np.median([len(a) + len(b) for a, b, _ in passes[0]]) > 100
    assert passes[0] != passes[1]


def test_text_dataset_batches_new_masks_on_every_pass():
    data, per_pass = text_dataset([SAMPLE], VOCAB, True, batch_size=4, seq_length=32,
                                  max_predictions=5)
    batches = list(data.take(2 * (per_pass // 4) + 2))
    inputs, targets, weights = batches[0]
    assert inputs["input_word_ids"].shape == (4, 32)
    assert inputs["masked_lm_positions"].shape == targets["mlm_logits"].shape == (4, 5)
    assert targets["nsp_logits"].shape == weights["nsp_logits"].shape == (4,)
    first_pass = np.concatenate([b[0]["input_word_ids"] for b in batches[:per_pass // 4]])
    second = np.concatenate([b[0]["input_word_ids"] for b in batches[per_pass // 4:]])
    assert not np.array_equal(first_pass[:len(second)], second[:len(first_pass)])


def test_pretrain_lowers_mlm_loss_and_finetune_accepts_the_result(tmp_path, capsys):
    run = tmp_path / "pretrain"
    code = main(["pretrain", "--text", WIKI, "--init", "random:tiny", "--vocab", VOCAB,
                 "--output-dir", str(run), "--seq-length", "64", "--batch-size", "16",
                 "--num-train-steps", "60", "--steps-per-epoch", "30", "--learning-rate",
                 "5e-3", "--accumulation-steps", "2", "--strategy", "default"])
    assert code == 0
    printed = capsys.readouterr().out
    for name in ("mlm_logits_loss", "mlm_logits_accuracy", "nsp_logits_accuracy"):
        assert f"{name}: " in printed
    history = (run / "history.csv").read_text().splitlines()
    header = history[0].split(",")
    losses = [float(row.split(",")[header.index("mlm_logits_loss")]) for row in history[1:]]
    assert len(losses) == 4  # 60 updates x 2 batches, 30 batches per epoch
    assert losses[0] < np.log(30522) and losses[-1] < losses[0] - 0.5, losses
    model = keras.models.load_model(run / "model.keras")
    assert getattr(model, "optimizer", None) is None  # the backup keeps the optimizer
    task = json.loads((run / "task.json").read_text())
    assert task["task"] == "pretrain" and task["lowercase"] is True
    assert task["seq_length"] == 64 and task["options"]["max_predictions"] == 20

    source = find_source(str(run))
    assert source.vocab == str(run / "vocab.txt")
    _, encoder = load_checkpoint(source.weights)
    np.testing.assert_array_equal(
        encoder.get_layer("embeddings").get_weights()[0],
        model.get_layer("embeddings").get_weights()[0])
    metrics = finetune("sst2", str(run), str(tmp_path / "sst2"),
                       data_dir=str(DATA / "tasks"), train_file=str(DATA / "tasks/sst2_train.tsv"),
                       dev_file=str(DATA / "tasks/sst2_dev.tsv"), verbose=0,
                       options=FinetuneOptions(seq_length=32, batch_size=8, epochs=1,
                                               max_train_examples=16, strategy="default"))
    assert 0.0 <= metrics["accuracy"] <= 1.0


def test_killed_pretraining_resumes_at_the_saved_step(tmp_path):
    uninterrupted = Worker("--output", str(tmp_path / "whole"), script=PRETRAIN_WORKER)
    try:
        uninterrupted.finish(timeout=240)
    finally:
        uninterrupted.kill()
    crashed = Worker("--output", str(tmp_path / "run"), "--pause-at-step", "7",
                     script=PRETRAIN_WORKER)
    try:
        crashed.wait_for("PAUSED", timeout=240)
    finally:
        crashed.kill()  # SIGKILL mid-epoch (epoch 2 of 3, after its second batch)
    assert sorted(p.name for p in (tmp_path / "run" / "backup").iterdir()) == [
        "settings.json", "step-6.seeds.npz", "step-6.weights.h5"]
    assert not (tmp_path / "run" / "model.keras").exists()
    resumed = Worker("--output", str(tmp_path / "run"), script=PRETRAIN_WORKER)
    try:
        resumed.finish(timeout=240)
    finally:
        resumed.kill()
    whole = keras.models.load_model(tmp_path / "whole" / "model.keras")
    done = keras.models.load_model(tmp_path / "run" / "model.keras")
    # The last `model.fit` of each run (a resumed run fits twice) ends at update 15.
    steps = [[line for line in worker.lines if line.startswith("OPTIMIZER_STEPS")][-1]
             for worker in (uninterrupted, resumed)]
    assert steps == ["OPTIMIZER_STEPS 15", "OPTIMIZER_STEPS 15"]
    for got, expected in zip(done.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["0", "1", "2"]


def test_pretraining_under_mirrored_strategy_on_two_cpus(tmp_path):
    worker = Worker("--output", str(tmp_path / "run"), "--strategy", "mirrored",
                    "--logical-cpus", "2", script=PRETRAIN_WORKER)
    try:
        worker.finish(timeout=240)
    finally:
        worker.kill()
    assert [line for line in worker.lines if line.startswith("OPTIMIZER_STEPS")] == [
        "OPTIMIZER_STEPS 15"]
    task = json.loads((tmp_path / "run" / "task.json").read_text())
    assert task["options"]["batch_size"] == 8  # 4 per replica x 2 replicas
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    header = rows[0].split(",")
    losses = [float(row.split(",")[header.index("mlm_logits_loss")]) for row in rows[1:]]
    assert len(losses) == 3 and all(np.isfinite(losses)) and losses[0] < np.log(30522) + 1


def test_bad_arguments_fail_cleanly(tmp_path, capsys):
    assert main(["pretrain", "--text", str(tmp_path / "missing.txt"), "--init", "random:tiny",
                 "--vocab", VOCAB, "--output-dir", str(tmp_path / "out")]) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert main(["pretrain", "--text", SAMPLE, "--init", "random:tiny", "--vocab", VOCAB,
                 "--output-dir", str(tmp_path / "out"), "--steps-per-epoch", "5",
                 "--accumulation-steps", "2"]) == 2
    assert "must be a multiple of accumulation_steps (2)" in capsys.readouterr().err
    assert main(["pretrain", "--text", SAMPLE, "--init", "random:tiny", "--vocab", VOCAB,
                 "--output-dir", str(tmp_path / "out"), "--steps-per-epoch", "5",
                 "--steps-per-execution", "2"]) == 2
    assert ("steps_per_execution (--steps-per-execution): 2 must divide the batches per epoch "
            "(5, --steps-per-epoch)") in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["pretrain", "--init", "random:tiny", "--output-dir", str(tmp_path / "out")])


def test_pretrain_from_shards_with_and_without_metadata(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["create-pretraining-data", "--input", SAMPLE, "--output-dir", str(data),
                 "--vocab", VOCAB, "--seq-length", "32", "--max-predictions", "5",
                 "--dupe-factor", "2", "--no-progress"]) == 0
    run = tmp_path / "run"
    assert main(["pretrain", "--data", str(data), "--init", "random:tiny", "--output-dir", str(run),
                 "--batch-size", "8", "--num-train-steps", "4", "--strategy", "default"]) == 0
    task = json.loads((run / "task.json").read_text())
    assert task["seq_length"] == 32 and task["options"]["max_predictions"] == 5
    assert (run / "backup" / "step-4.weights.h5").exists()  # the last backup: 4 updates
    # Two batches per call into the compiled step train the same batches to the same weights.
    assert main(["pretrain", "--data", str(data), "--init", "random:tiny",
                 "--output-dir", str(tmp_path / "run_spe"), "--batch-size", "8",
                 "--num-train-steps", "4", "--strategy", "default",
                 "--steps-per-execution", "2"]) == 0
    for got, expected in zip(keras.models.load_model(tmp_path / "run_spe" / "model.keras")
                             .get_weights(),
                             keras.models.load_model(run / "model.keras").get_weights()):
        np.testing.assert_allclose(got, expected, atol=1e-6)

    # Shards made by another tool (google-research/bert) come without metadata.json.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    for shard in data.glob("*.tfrecord"):
        (foreign / shard.name).write_bytes(shard.read_bytes())
    args = ["pretrain", "--data", str(foreign), "--init", "random:tiny", "--vocab", VOCAB,
            "--output-dir", str(tmp_path / "run2"), "--batch-size", "8",
            "--num-train-steps", "2", "--strategy", "default"]
    assert main(args) == 2
    assert "give --seq-length and --max-predictions" in capsys.readouterr().err
    assert main(args + ["--seq-length", "128", "--max-predictions", "20"]) == 2
    assert "do not parse as sequences of 128 tokens with 20 predictions" in (
        capsys.readouterr().err)
    assert main(args + ["--seq-length", "32", "--max-predictions", "5"]) == 0


def test_a_pretraining_run_directory_resumes_only_its_own_settings(tmp_path, capsys):
    """As for finetune: rerunning into a run with other data or settings names what changed
    (it used to restore the old backup and train nothing); --restart starts afresh."""
    run = tmp_path / "run"

    def command(text, steps, *extra):
        return ["pretrain", "--text", text, "--init", "random:tiny", "--vocab", VOCAB,
                "--seq-length", "32", "--max-predictions", "5", "--batch-size", "4",
                "--num-train-steps", steps, "--steps-per-epoch", "2", "--output-dir", str(run),
                *extra]

    assert main(command(SAMPLE, "2")) == 0
    capsys.readouterr()
    assert main(command(WIKI, "4")) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds the backup of a run with other settings" in error
    assert "num_train_steps: 2 -> 4" in error and "sample_text.txt" in error
    assert main(command(WIKI, "4", "--restart")) == 0
    assert "--restart: deleting the backup" in capsys.readouterr().out
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 3  # a header and the two epochs of the new run
