"""Reads a trained model for export: a `bert-keras finetune` output directory.

The directory is self-contained (see `bert_keras.training.finetune`): `model.keras`,
`vocab.txt` and `task.json` (task name, label names, sequence length, casing, read options).
`export` reads these files itself and does not import `training`.

Example:
    >>> trained = load_trained("runs/sst2")  # doctest: +SKIP
    >>> trained.kind, trained.segments, trained.label_names  # doctest: +SKIP
    ('classifier', 1, ('negative', 'positive'))
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import keras

import bert_keras  # noqa: F401  (registers the layers that model.keras refers to)
from bert_keras.data import glue_task
from bert_keras.text import BertTokenizer

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.txt"
TASK_FILE = "task.json"
# Task names of task.json -> the kind of model (and so of serving signatures) they produce.
KINDS = {"sst2": "classifier", "mrpc": "classifier", "rte": "classifier", "stsb": "regression",
         "csv": "classifier", "conll2003": "tagger", "squad": "span_labeler"}


@dataclasses.dataclass
class TrainedModel:
    """A fine-tuned model with what serving needs to know about it.

    kind: "classifier", "regression", "tagger" or "span_labeler".
    segments: texts per example (1, or 2 for sentence-pair tasks).
    """

    model: keras.Model
    tokenizer: BertTokenizer
    kind: str
    segments: int
    label_names: tuple[str, ...] | None
    seq_length: int
    task: dict[str, Any]


def load_trained(directory: str) -> TrainedModel:
    """Loads a `bert-keras finetune` output directory; a clear error if it is not one."""
    missing = [name for name in (MODEL_FILE, VOCAB_FILE, TASK_FILE)
               if not os.path.exists(os.path.join(directory, name))]
    if missing:
        raise FileNotFoundError(f"{directory}: no {', '.join(missing)}; --model must be a "
                                "`bert-keras finetune` output directory")
    with open(os.path.join(directory, TASK_FILE), encoding="utf-8") as file:
        task = json.load(file)
    name = task.get("task")
    if name not in KINDS:
        raise ValueError(f"{directory}/{TASK_FILE}: task {name!r} cannot be exported; "
                         f"expected one of {', '.join(KINDS)}")
    options = task.get("options") or {}
    kind = "regression" if name == "csv" and options.get("regression") else KINDS[name]
    tokenizer = BertTokenizer(os.path.join(directory, VOCAB_FILE), lowercase=task["lowercase"])
    model = keras.models.load_model(os.path.join(directory, MODEL_FILE), compile=False)
    labels = task.get("label_names")
    return TrainedModel(model, tokenizer, kind, _segments(name, options),
                        tuple(labels) if labels else None, int(task["seq_length"]), task)


def _segments(task: str, options: dict[str, Any]) -> int:
    if task == "csv":
        return len(options.get("text_columns") or [None])
    if task in ("sst2", "mrpc", "rte", "stsb"):
        return len(glue_task(task).text_columns)
    return 1
