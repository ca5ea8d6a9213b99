"""Sentence and sentence-pair classification and regression: SST-2, MRPC, RTE, STS-B, tables.

Example:
    >>> recipe = ClassificationRecipe("sst2")
    >>> recipe.monitor, recipe.mode
    ('val_accuracy', 'max')
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from bert_keras.data import TextExample, glue_task, read_glue, read_table
from bert_keras.models import bert_classifier
from bert_keras.options import SWITCH, TEXT, TEXTS, check_options, option
from bert_keras.text import BertPreprocessor, BertTokenizer
from bert_keras.training import metrics
from bert_keras.training.progress import PredictProgress
from bert_keras.training.tasks.base import (DEFAULT_BUCKET_POOL, TaskData, find_data_file,
                                            length_bucketed_batches)

# File names of each GLUE task inside --data-dir (GLUE's own names first).
GLUE_FILES = {"stsb": (("train.tsv", "sts-train.tsv"), ("dev.tsv", "sts-dev.tsv"))}
DEFAULT_GLUE_FILES = (("train.tsv",), ("dev.tsv",))


@dataclasses.dataclass(frozen=True)
class TableOptions:
    """Options of `--task csv`: which columns of a TSV/CSV/JSONL file hold what.

    Example:
        >>> TableOptions(text_columns=["review"], label_column="stars").regression
        False
    """

    text_columns: list[str] | None = option(None, TEXTS, "csv: one or two text columns")
    label_column: str | None = option(None, TEXT, "csv: the label column")
    regression: bool = option(False, SWITCH, "csv: float labels")

    def __post_init__(self) -> None:
        check_options(self)


class ClassificationRecipe:
    """Fine-tunes `bert_classifier` on one sentence or a sentence pair per example.

    `task` is a GLUE name (`sst2`, `mrpc`, `rte`, `stsb`) or `csv` (any TSV/CSV/JSONL file
    with `text_columns`, `label_column` and optionally `regression` in the read options).
    """

    def __init__(self, task: str, regression: bool = False):
        self.name = task
        self.regression = task == "stsb" or regression
        self.monitor = "val_pearson" if self.regression else "val_accuracy"
        self.mode = "max"
        self.kind = "regression" if self.regression else "classifier"

    def segments(self, records: Sequence[TextExample]) -> int:
        """2 for sentence pairs, else 1."""
        return 2 if records and records[0].text_pair is not None else 1

    def read(self, data_dir: str | None, train_file: str | None, dev_file: str | None,
             options: dict[str, Any]) -> TaskData:
        if self.name == "csv":
            if not (train_file and dev_file and options.get("text_columns")
                    and options.get("label_column")):
                raise ValueError("--task csv needs --train-file, --dev-file, --text-columns "
                                 "and --label-column")
            read = dict(text_columns=options["text_columns"],
                        label_column=options["label_column"], regression=self.regression)
            train = read_table(train_file, **read)
            dev = read_table(dev_file, label_names=train.label_names, **read)
            return TaskData(train.examples, dev.examples, train.label_names)
        train_names, dev_names = GLUE_FILES.get(self.name, DEFAULT_GLUE_FILES)
        if not (train_file and dev_file) and not data_dir:
            raise ValueError(f"--task {self.name} needs --data-dir (or --train-file and "
                             "--dev-file)")
        train = read_glue(self.name, train_file or find_data_file(data_dir, train_names))
        dev = read_glue(self.name, dev_file or find_data_file(data_dir, dev_names))
        return TaskData(train.examples, dev.examples, glue_task(self.name).label_names)

    def read_dev(self, data_dir: str | None, dev_file: str | None, options: dict[str, Any],
                 label_names: tuple[str, ...] | None) -> list[TextExample]:
        """The dev records alone (for `evaluate`), with the label names training used."""
        if self.name == "csv":
            return read_table(dev_file, text_columns=options["text_columns"],
                              label_column=options["label_column"], regression=self.regression,
                              label_names=label_names).examples
        _, dev_names = GLUE_FILES.get(self.name, DEFAULT_GLUE_FILES)
        return read_glue(self.name, dev_file or find_data_file(data_dir, dev_names)).examples

    def build_model(self, encoder: keras.Model, label_names: tuple[str, ...] | None
                    ) -> keras.Model:
        return bert_classifier(encoder, num_classes=1 if self.regression else len(label_names))

    def compile_args(self) -> dict[str, Any]:
        if self.regression:
            return {"loss": keras.losses.MeanSquaredError(),
                    "metrics": [keras.metrics.MeanAbsoluteError(name="mae")]}
        return {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                "metrics": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]}

    def _texts(self, records: Sequence[TextExample]) -> tuple[tf.Tensor, ...]:
        first = tf.constant([record.text for record in records])
        if records and records[0].text_pair is not None:
            return first, tf.constant([record.text_pair or "" for record in records])
        return (first,)

    def dataset(self, records: Sequence[TextExample], tokenizer: BertTokenizer, seq_length: int,
                batch_size: int, shuffle: bool, seed: int, drop_remainder: bool = False,
                bucket_pool: int = DEFAULT_BUCKET_POOL) -> tf.data.Dataset:
        """Batches of `(encoder inputs, targets)`, each padded to its longest example.

        Training batches (`shuffle=True`) group examples of similar length from pools of
        `bucket_pool` batches (`length_bucketed_batches`), so little compute goes to
        padding; evaluation batches keep the records' order.
        """
        dtype = tf.float32 if self.regression else tf.int32
        labels = tf.constant([record.label for record in records], dtype)
        dataset = tf.data.Dataset.from_tensor_slices((self._texts(records), labels))
        if shuffle:
            fixed = BertPreprocessor(tokenizer, seq_length=seq_length)
            rows = dataset.batch(1024).map(
                lambda texts, targets: (fixed(texts), targets),
                num_parallel_calls=tf.data.AUTOTUNE).unbatch().apply(
                tf.data.experimental.assert_cardinality(len(records)))
            return length_bucketed_batches(rows, batch_size, seed, drop_remainder,
                                           bucket_pool).prefetch(
                tf.data.AUTOTUNE)
        preprocessor = BertPreprocessor(tokenizer, seq_length=seq_length, pad_to="longest")
        return dataset.batch(batch_size, drop_remainder=drop_remainder).map(
            lambda texts, targets: (preprocessor(texts), targets),
            num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def _outputs(self, model: keras.Model, records: Sequence[TextExample],
                 tokenizer: BertTokenizer, seq_length: int) -> np.ndarray:
        dataset = self.dataset(records, tokenizer, seq_length, 64, shuffle=False, seed=0)
        return model.predict(dataset.map(lambda inputs, _: inputs), verbose=0,
                             callbacks=[PredictProgress()])

    def evaluate(self, model: keras.Model, records: Sequence[TextExample],
                 tokenizer: BertTokenizer, seq_length: int,
                 label_names: tuple[str, ...] | None) -> dict[str, float]:
        outputs = self._outputs(model, records, tokenizer, seq_length)
        labels = [record.label for record in records]
        if self.regression:
            scores = outputs[:, 0]
            return {"pearson": metrics.pearson(labels, scores),
                    "spearman": metrics.spearman(labels, scores),
                    "mse": float(np.mean((np.asarray(labels) - scores) ** 2))}
        predicted = outputs.argmax(axis=-1)
        result = {"accuracy": metrics.accuracy(labels, predicted),
                  "matthews_corrcoef": metrics.matthews_corrcoef(labels, predicted)}
        if len(label_names) == 2:
            result["f1"] = metrics.binary_f1(labels, predicted, positive=1)
        return result

    def predict_results(self, model: keras.Model, inputs: Sequence[str],
                        tokenizer: BertTokenizer, seq_length: int,
                        label_names: tuple[str, ...] | None) -> list[dict[str, Any]]:
        """Per input, `{"score": ...}` (regression), or the `label`, its `probability` and the
        `probabilities` of all labels by name; a tab inside an input separates a pair's texts.
        """
        records = []
        for text in inputs:
            first, _, second = text.partition("\t")
            unlabelled = 0.0 if self.regression else 0
            records.append(TextExample(first, second if "\t" in text else None, unlabelled, 0))
        outputs = self._outputs(model, records, tokenizer, seq_length)
        if self.regression:
            return [{"score": float(score)} for score in outputs[:, 0]]
        probabilities = tf.nn.softmax(outputs, axis=-1).numpy()
        return [{"label": label_names[p.argmax()], "probability": float(p.max()),
                 "probabilities": {name: float(value) for name, value in zip(label_names, p)}}
                for p in probabilities]

    def predict(self, model: keras.Model, inputs: Sequence[str], tokenizer: BertTokenizer,
                seq_length: int, label_names: tuple[str, ...] | None) -> list[str]:
        """One line per input (`predict_results` as text): `label (probability)`, or the
        score."""
        results = self.predict_results(model, inputs, tokenizer, seq_length, label_names)
        if self.regression:
            return [f"{result['score']:.3f}" for result in results]
        return [f"{result['label']} ({result['probability']:.3f})" for result in results]
