"""Each text recipe end to end on a tiny model and the shipped samples (CI-sized).

The real-weight runs that the acceptance figures come from are in the README (benchmarks).
"""

import json

import numpy as np
import pytest

from bert_keras.cli import main as cli_main
from bert_keras.training.finetune import Run, finetune
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.metrics import accuracy, pearson

from task_samples import FILES, TASKS, VOCAB


def tiny_finetune(task, output_dir, **kwargs):
    train, dev = FILES.get(task, FILES["sst2"])
    settings = dict(seq_length=64, batch_size=16, epochs=1, learning_rate=1e-3)
    return finetune(task, "random:tiny", str(output_dir), train_file=str(TASKS / train),
                    dev_file=str(TASKS / dev), vocab=VOCAB,
                    options=FinetuneOptions(**{**settings, **kwargs}), verbose=0)


@pytest.mark.parametrize("task", ["sst2", "mrpc", "rte", "stsb"])
def test_recipe_end_to_end(task, tmp_path):
    result = tiny_finetune(task, tmp_path)
    expected = {"pearson", "spearman", "mse"} if task == "stsb" else {
        "accuracy", "matthews_corrcoef", "f1"}
    assert set(result) == expected
    for name in ("model.keras", "vocab.txt", "task.json", "metrics.json", "history.csv"):
        assert (tmp_path / name).exists(), name
    assert json.loads((tmp_path / "metrics.json").read_text()) == pytest.approx(result)
    run = Run.load(str(tmp_path))  # self-contained: no other file needed
    assert run.evaluate(dev_file=str(TASKS / FILES[task][1])) == pytest.approx(result, abs=1e-6)
    assert run.evaluate() == pytest.approx(result, abs=1e-6)  # the dev file the run recorded
    # The metric agrees with one computed here from the model's raw outputs.
    recipe_outputs = run.model.predict(
        _dataset_inputs(run, task), verbose=0)
    labels = [record.label for record in _dev_records(run, task)]
    if task == "stsb":
        assert result["pearson"] == pytest.approx(pearson(labels, recipe_outputs[:, 0]), abs=1e-6)
    else:
        assert result["accuracy"] == pytest.approx(
            accuracy(labels, recipe_outputs.argmax(-1)), abs=1e-9)
    predictions = run.predict(["a first text\ta second text", "another"]
                              if task != "sst2" else ["great", "awful"])
    assert len(predictions) == 2


def _dev_records(run, task):
    from bert_keras.training.tasks import get_recipe

    return get_recipe(task).read_dev(None, str(TASKS / FILES[task][1]), {},
                                     run.spec.label_names)


def _dataset_inputs(run, task):
    from bert_keras.training.tasks import get_recipe

    records = _dev_records(run, task)
    dataset = get_recipe(task).dataset(records, run.tokenizer, 64, 64, shuffle=False, seed=0)
    return dataset.map(lambda inputs, _: inputs)


def test_generic_table_task_through_the_command_line(tmp_path, capsys):
    code = cli_main(["finetune", "--task", "csv", "--init", "random:tiny", "--vocab", VOCAB,
                     "--train-file", str(TASKS / "sst2_train.tsv"),
                     "--dev-file", str(TASKS / "sst2_dev.tsv"), "--text-columns", "sentence",
                     "--label-column", "label", "--epochs", "1", "--batch-size", "16",
                     "--seq-length", "32", "--output-dir", str(tmp_path / "run")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "accuracy: " in printed
    assert cli_main(["evaluate", "--model", str(tmp_path / "run"),
                     "--dev-file", str(TASKS / "sst2_dev.tsv")]) == 0
    evaluated = capsys.readouterr().out.strip().splitlines()
    assert evaluated[0].startswith("accuracy: ") and evaluated[0] in printed
    assert cli_main(["predict", "--model", str(tmp_path / "run"), "a fine film"]) == 0
    label = capsys.readouterr().out.split(" (")[0]
    assert label in ("0", "1")


def test_bad_file_fails_before_training(tmp_path, capsys):
    bad = tmp_path / "train.tsv"
    bad.write_text("sentence\tlabel\na fine film\t1\nno label here\n", encoding="utf-8")
    code = cli_main(["finetune", "--task", "sst2", "--init", "random:tiny", "--vocab", VOCAB,
                     "--train-file", str(bad), "--dev-file", str(TASKS / "sst2_dev.tsv"),
                     "--output-dir", str(tmp_path / "run")])
    assert code == 2
    assert "train.tsv:3: expected 2 tab-separated fields, found 1" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("init, message", [
    ("random:mini", "random:mini (random weights) needs a vocabulary (--vocab vocab.txt)"),
    ("base", "base: no such file or directory; base is an architecture, not weights: write "
             "random:base for random weights"),
    ("tinyy", "tinyy: no such file or directory (for random weights name a preset: "
              "random:tiny, random:mini, random:small, random:medium, random:base, "
              "random:large)"),
    ("random:huge", "random:huge: unknown preset; presets: random:tiny, random:mini, "),
])
def test_an_init_that_is_not_weights_is_a_clear_error(tmp_path, capsys, init, message):
    """A bare preset name used to train from random weights when --vocab was given."""
    assert cli_main(["finetune", "--task", "sst2", "--init", init, "--vocab", VOCAB,
                     "--data-dir", str(TASKS), "--output-dir", str(tmp_path)]
                    if init != "random:mini" else
                    ["finetune", "--task", "sst2", "--init", init, "--data-dir", str(TASKS),
                     "--output-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"bert-keras finetune: error: {message}")


def test_training_improves_on_a_learnable_task(tmp_path):
    """A tiny model learns SST-2's 40-example sample well above chance in a few epochs."""
    result = finetune("sst2", "random:tiny", str(tmp_path),
                      train_file=str(TASKS / "sst2_train.tsv"),
                      dev_file=str(TASKS / "sst2_train.tsv"), vocab=VOCAB, verbose=0,
                      options=FinetuneOptions(seq_length=64, batch_size=8, epochs=8,
                                              learning_rate=2e-3, warmup_ratio=0.0))
    assert result["accuracy"] >= 0.8  # fits its own training data
    assert np.isfinite(result["matthews_corrcoef"])


def test_a_run_directory_resumes_only_its_own_settings(tmp_path, capsys):
    """Rerunning into a finished run with other data or settings used to restore the old
    backup, train 0 steps and exit 0; now it names what changed, and --restart starts afresh."""
    run = tmp_path / "run"
    tiny_finetune("sst2", run)

    def command(train_file, *extra):
        return ["finetune", "--task", "sst2", "--init", "random:tiny", "--vocab", VOCAB,
                "--train-file", str(TASKS / train_file), "--dev-file", str(TASKS / "sst2_dev.tsv"),
                "--seq-length", "64", "--batch-size", "16", "--epochs", "2", "--learning-rate",
                "1e-3", "--output-dir", str(run), *extra]

    with pytest.raises(ValueError, match=r"holds the backup of a run with other settings "
                                         r"\(epochs: 1 -> 2\); rerun with the same settings"):
        tiny_finetune("sst2", run, epochs=2)
    with pytest.raises(ValueError, match=r"\(bucket_pool: \d+ -> 1\)"):
        tiny_finetune("sst2", run, bucket_pool=1)
    assert cli_main(command("sst2_dev.tsv")) == 2  # other data, other epochs
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "train_data_sha256" in error and "epochs: 1 -> 2" in error
    # The same settings resume (here: a finished run, nothing left to train).
    assert tiny_finetune("sst2", run).keys() == {"accuracy", "matthews_corrcoef", "f1"}
    assert cli_main(command("sst2_train.tsv", "--restart")) == 0
    assert "--restart: deleting the backup and the training history" in capsys.readouterr().out
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 3  # a header and the two epochs of the new run


@pytest.mark.parametrize("task", ["sst2", "conll2003", "squad"])
def test_training_data_built_anew_repeats_the_same_passes(task):
    """What exact resume needs of every recipe (see `bert_keras.training.fit`): the repeated training
    data, built anew, yields the same batches pass after pass; and the passes differ."""
    from bert_keras.text import BertTokenizer
    from bert_keras.training.tasks import get_recipe

    recipe = get_recipe(task)
    records = recipe.read(None, str(TASKS / FILES[task][0]), str(TASKS / FILES[task][1]),
                          {}).train
    tokenizer = BertTokenizer(VOCAB, lowercase=True)

    def three_passes():
        data = recipe.dataset(records, tokenizer, 64, 4, shuffle=True, seed=7)
        return [np.asarray(inputs["input_word_ids"]).tolist()
                for inputs, *_ in data.repeat(3)], int(data.cardinality())

    batches, per_pass = three_passes()
    assert three_passes()[0] == batches
    passes = [batches[start:start + per_pass] for start in range(0, 3 * per_pass, per_pass)]
    assert passes[0] != passes[1] != passes[2]


@pytest.mark.parametrize("task", ["sst2", "squad"])
def test_the_bucket_pool_reaches_the_training_batches(task):
    """`--bucket-pool 1` gives batches of shuffled rows: more padding than the bucketed ones."""
    from bert_keras.text import BertTokenizer
    from bert_keras.training.tasks import get_recipe

    recipe = get_recipe(task)
    records = recipe.read(None, str(TASKS / FILES[task][0]), str(TASKS / FILES[task][1]),
                          {}).train
    tokenizer = BertTokenizer(VOCAB, lowercase=True)

    def padded_tokens(pool):
        data = recipe.dataset(records, tokenizer, 64, 4, shuffle=True, seed=7, bucket_pool=pool)
        return sum(int(np.size(inputs["input_mask"])) for inputs, *_ in data)

    assert padded_tokens(1) > padded_tokens(8)
