"""Adding a task takes one recipe and its registration: the command line offers it, the run
directory records its kind, and evaluate, export and serving work with no change of theirs."""

import os

import pytest
import tensorflow as tf

from bert_keras.cli import main
from bert_keras.data import read_table
from bert_keras.training import tasks
from bert_keras.training.tasks.base import TaskData
from bert_keras.training.tasks.classification import ClassificationRecipe

from task_samples import TASKS, VOCAB


class ReviewStarsRecipe(ClassificationRecipe):
    """A toy task: a TSV of `review` texts and `stars` ("1" or "5") labels."""

    def __init__(self):
        super().__init__("review_stars")

    def read(self, data_dir, train_file, dev_file, options):
        train = read_table(train_file, "review", "stars")
        dev = read_table(dev_file, "review", "stars", label_names=train.label_names)
        return TaskData(train.examples, dev.examples, train.label_names)

    def read_dev(self, data_dir, dev_file, options, label_names):
        return read_table(dev_file, "review", "stars", label_names=label_names).examples


def _reviews(source, target):
    lines = source.read_text().splitlines()[1:]
    rows = [line.rsplit("\t", 1) for line in lines]
    target.write_text("review\tstars\n" + "".join(
        f"{text.strip()}\t{'5' if label == '1' else '1'}\n" for text, label in rows))
    return str(target)


def test_a_registered_task_trains_evaluates_and_serves(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tasks, "_RECIPES", dict(tasks._RECIPES))
    tasks.register_recipe("review_stars", lambda options: ReviewStarsRecipe())
    with pytest.raises(ValueError, match="registered already"):
        tasks.register_recipe("review_stars", lambda options: ReviewStarsRecipe())
    train = _reviews(TASKS / "sst2_train.tsv", tmp_path / "train.tsv")
    dev = _reviews(TASKS / "sst2_dev.tsv", tmp_path / "dev.tsv")
    run, models = tmp_path / "run", tmp_path / "models" / "stars"
    assert main(["finetune", "--task", "review_stars", "--init", "random:tiny", "--vocab", VOCAB,
                 "--train-file", train, "--dev-file", dev, "--output-dir", str(run),
                 "--seq-length", "32", "--batch-size", "16", "--epochs", "1"]) == 0
    trained = capsys.readouterr().out
    assert main(["evaluate", "--model", str(run)]) == 0  # the dev file the run recorded
    assert capsys.readouterr().out.splitlines()[0] in trained
    assert main(["export", "--model", str(run), "--output", str(models)]) == 0
    serve = tf.saved_model.load(os.path.join(models, "1")).signatures["serving_default"]
    labels = serve(text=tf.constant(["a gripping film", "dull"]))["label"].numpy()
    assert {label.decode() for label in labels} <= {"1", "5"}
