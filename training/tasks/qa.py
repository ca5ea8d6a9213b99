"""Extractive question answering: SQuAD v1.1 and v2.0 (`--task squad`).

Examples become windows (`bert_keras.training.tasks.qa_decoding.make_features`); the model is
`bert_span_labeler`, trained with a cross-entropy per output on the answer's first and last
token ([CLS] when the window has no answer). Evaluation decodes the best span of every question
over its windows and scores the official SQuAD EM/F1.

Example:
    >>> recipe = QARecipe(QAOptions(version_2_with_negative=True, dev_fraction=0.1))
    >>> recipe.version_2, recipe.dev_fraction, recipe.doc_stride
    (True, 0.1, 128)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from bert_keras.data import DataError, QAExample, gold_answers, read_squad, split_by_title
from bert_keras.models import bert_span_labeler
from bert_keras.options import OPEN_FRACTION, option
from bert_keras.tasks.span_labeling import SpanLabelingOptions
from bert_keras.text import BertTokenizer
from bert_keras.training import metrics
from bert_keras.training.progress import Progress
from bert_keras.training.tasks.base import (DEFAULT_BUCKET_POOL, TaskData, find_data_file,
                                            length_bucketed_batches)
from bert_keras.training.tasks.qa_decoding import Answer, QAFeatures, decode, make_features

# Which articles `--dev-fraction` holds out does not depend on the training seed.
SPLIT_SEED = 0
_PREDICT_BATCH = 64
# Windows per `model.predict` call (a multiple of the batch: the batches stay the same).
_PREDICT_CHUNK = 16 * _PREDICT_BATCH


@dataclasses.dataclass(frozen=True)
class QAOptions(SpanLabelingOptions):
    """Options of `--task squad`: the settings serving shares (`SpanLabelingOptions`; keep
    `doc_stride` below the window's room for context, seq_length minus question and 3, so
    that windows overlap) and how the dev set is made.

    Example:
        >>> QAOptions(dev_fraction=1.0)
        Traceback (most recent call last):
        ValueError: dev_fraction (--dev-fraction): expected a number in (0, 1), got 1.0
    """

    dev_fraction: float | None = option(
        None, OPEN_FRACTION, "squad: hold out this fraction of the training file's articles "
                             "(by title) as the dev set, instead of --dev-file")


class QARecipe:
    """Fine-tunes `bert_span_labeler` on SQuAD-format JSON, with `QAOptions`."""

    name = "squad"
    kind = "span_labeler"
    monitor = "val_f1"  # SQuAD F1 after decoding, added by bert_keras.training.callbacks.DevMetrics
    mode = "max"

    def __init__(self, options: QAOptions = QAOptions()):
        self.options = options
        self.doc_stride = options.doc_stride
        self.max_query_length = options.max_query_length
        self.max_answer_length = options.max_answer_length
        self.n_best = options.n_best
        self.version_2 = options.version_2_with_negative
        self.null_score_threshold = options.null_score_threshold
        self.dev_fraction = options.dev_fraction

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "QARecipe":
        """The recipe for options as `bert-keras finetune` records them in task.json."""
        return cls(QAOptions(**options))

    def segments(self, records: Sequence[QAExample]) -> int:
        return 1  # served as one text: question<TAB>context

    def _read(self, path: str) -> list[QAExample]:
        examples = read_squad(path)
        impossible = sum(example.is_impossible for example in examples)
        if impossible and not self.version_2:
            raise DataError(path, None, f"{impossible} unanswerable question(s) (SQuAD v2.0); "
                                        "pass --version-2-with-negative")
        return examples

    def _find(self, data_dir: str, split: str) -> str:
        version = "v2.0" if self.version_2 else "v1.1"
        return find_data_file(data_dir, (f"{split}-{version}.json", f"{split}.json"))

    def _held_out(self, path: str) -> tuple[list[QAExample], list[QAExample]]:
        return split_by_title(self._read(path), self.dev_fraction, seed=SPLIT_SEED)

    def read(self, data_dir: str | None, train_file: str | None, dev_file: str | None,
             options: dict[str, Any]) -> TaskData:
        """Train and dev questions: `--train-file`/`--dev-file` or `--data-dir` (train-v1.1.json
        and dev-v1.1.json, or the v2.0 names), or with `dev_fraction` a split of the training
        file by article."""
        if not train_file and not data_dir:
            raise ValueError("--task squad needs --train-file or --data-dir")
        train_path = train_file or self._find(data_dir, "train")
        if self.dev_fraction:
            if dev_file:
                raise ValueError("--dev-fraction holds out part of the training file; pass "
                                 "either it or --dev-file")
            train, dev = self._held_out(train_path)
        else:
            if not dev_file and not data_dir:
                raise ValueError("--task squad needs --dev-file, --data-dir or --dev-fraction")
            train = self._read(train_path)
            dev = self._read(dev_file or self._find(data_dir, "dev"))
        return TaskData(train, dev, None)

    def read_dev(self, data_dir: str | None, dev_file: str | None, options: dict[str, Any],
                 label_names: tuple[str, ...] | None) -> list[QAExample]:
        """The dev questions; with `dev_fraction`, the articles held out of the training file
        (pass that file as `dev_file`, or its `data_dir`)."""
        if not dev_file and not data_dir:
            raise ValueError("--task squad needs --dev-file or --data-dir")
        if self.dev_fraction:
            return self._held_out(dev_file or self._find(data_dir, "train"))[1]
        return self._read(dev_file or self._find(data_dir, "dev"))

    def build_model(self, encoder: keras.Model, label_names: tuple[str, ...] | None
                    ) -> keras.Model:
        return bert_span_labeler(encoder)

    def compile_args(self) -> dict[str, Any]:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return {"loss": {"start_logits": loss, "end_logits": loss}}

    def features(self, records: Sequence[QAExample], tokenizer: BertTokenizer,
                 seq_length: int) -> QAFeatures:
        """The windows of `records` (see `make_features`) with this recipe's settings."""
        return make_features(records, tokenizer, seq_length, doc_stride=self.doc_stride,
                             max_query_length=self.max_query_length)

    def dataset(self, records: Sequence[QAExample], tokenizer: BertTokenizer, seq_length: int,
                batch_size: int, shuffle: bool, seed: int, drop_remainder: bool = False,
                bucket_pool: int = DEFAULT_BUCKET_POOL) -> tf.data.Dataset:
        """Batches of `(encoder inputs, {"start_logits": start, "end_logits": end})`, one row
        per window. Training batches group windows of similar length from pools of
        `bucket_pool` batches and are cut to the longest (`length_bucketed_batches`); most
        SQuAD windows are far shorter than 384."""
        features = self.features(records, tokenizer, seq_length)
        dataset = tf.data.Dataset.from_tensor_slices((features.inputs(), {
            "start_logits": features.start_positions, "end_logits": features.end_positions}))
        if shuffle:
            dataset = length_bucketed_batches(dataset, batch_size, seed, drop_remainder,
                                              bucket_pool)
        else:
            dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def answers(self, model: keras.Model, records: Sequence[QAExample],
                tokenizer: BertTokenizer, seq_length: int) -> list[Answer]:
        """The decoded answer of every record (see `qa_decoding.decode`)."""
        features = self.features(records, tokenizer, seq_length)
        logits = predict_windows(model, features)
        return decode(records, features, logits["start_logits"], logits["end_logits"],
                      n_best=self.n_best, max_answer_length=self.max_answer_length,
                      version_2=self.version_2, null_score_threshold=self.null_score_threshold)

    def evaluate(self, model: keras.Model, records: Sequence[QAExample],
                 tokenizer: BertTokenizer, seq_length: int,
                 label_names: tuple[str, ...] | None) -> dict[str, float]:
        """Official SQuAD EM/F1 (v2.0: with the has-answer/no-answer breakdown)."""
        answers = self.answers(model, records, tokenizer, seq_length)
        predictions = {record.id: answer.text for record, answer in zip(records, answers)}
        score = metrics.squad_v2_scores if self.version_2 else metrics.squad_v1_scores
        return score(gold_answers(records), predictions)

    def predict_results(self, model: keras.Model, inputs: Sequence[str],
                        tokenizer: BertTokenizer, seq_length: int,
                        label_names: tuple[str, ...] | None) -> list[dict[str, Any]]:
        """Per `question<TAB>context`, the `answer` ("" for v2.0's null), its `probability`,
        `score` (None if no span was valid) and where it lies in the context: `context[start:
        end]`, -1 for no answer (as the exported model's `serving_default` has them)."""
        records = []
        for number, text in enumerate(inputs):
            question, tab, context = text.partition("\t")
            if not tab:
                raise ValueError(f"squad input {number + 1}: expected 'question<TAB>context', "
                                 f"got {text[:60]!r}")
            records.append(QAExample(str(number), "", context, question, [], [], False))
        return [{"answer": answer.text, "probability": answer.probability,
                 "score": answer.score if math.isfinite(answer.score) else None,
                 "start": answer.start if answer.text else -1,
                 "end": answer.end if answer.text else -1}
                for answer in self.answers(model, records, tokenizer, seq_length)]

    def predict(self, model: keras.Model, inputs: Sequence[str], tokenizer: BertTokenizer,
                seq_length: int, label_names: tuple[str, ...] | None) -> list[str]:
        """`question<TAB>context` -> `answer (probability)`; "(no answer)" for v2.0's null."""
        return [f"{result['answer'] or '(no answer)'} ({result['probability']:.3f})"
                for result in self.predict_results(model, inputs, tokenizer, seq_length,
                                                   label_names)]


def predict_windows(model: keras.Model, features: QAFeatures) -> dict[str, np.ndarray]:
    """The span logits of every window (`model.predict` in batches of 64), in chunks of
    `_PREDICT_CHUNK` windows, counted by a `Progress`."""
    inputs = features.inputs()
    chunks: dict[str, list[np.ndarray]] = {}
    with Progress(len(features), "predicting", "windows") as progress:
        for start in range(0, max(len(features), 1), _PREDICT_CHUNK):
            chunk = {name: values[start:start + _PREDICT_CHUNK]
                     for name, values in inputs.items()}
            for name, values in model.predict(chunk, batch_size=_PREDICT_BATCH,
                                              verbose=0).items():
                chunks.setdefault(name, []).append(values)
            progress.update(len(chunk["input_word_ids"]))
    return {name: np.concatenate(values) for name, values in chunks.items()}
