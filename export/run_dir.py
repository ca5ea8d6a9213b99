"""Reads a trained model for export: a `bert-keras finetune` run directory.

The directory is self-contained (`bert_keras.run_dir`): `model.keras`, `vocab.txt` and
`task.json`, whose `RunSpec` says what kind of model it is. `export` reads these files and
does not import `training`.

Example:
    >>> trained = load_trained("runs/sst2")  # doctest: +SKIP
    >>> trained.kind, trained.segments, trained.label_names  # doctest: +SKIP
    ('classifier', 1, ('negative', 'positive'))
"""

from __future__ import annotations

import dataclasses
import os

import keras

import bert_keras  # noqa: F401  (registers the layers that model.keras refers to)
from bert_keras.run_dir import MODEL_FILE, SPEC_FILE, VOCAB_FILE, RunSpec
from bert_keras.text import BertTokenizer


@dataclasses.dataclass
class TrainedModel:
    """A fine-tuned model with what serving needs to know about it (`spec`).

    kind: "classifier", "regression", "tagger" or "span_labeler".
    segments: texts per example (1, or 2 for sentence-pair tasks).
    """

    model: keras.Model
    tokenizer: BertTokenizer
    spec: RunSpec

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def segments(self) -> int:
        return self.spec.segments

    @property
    def label_names(self) -> tuple[str, ...] | None:
        return self.spec.label_names

    @property
    def seq_length(self) -> int:
        return self.spec.seq_length


def load_trained(directory: str) -> TrainedModel:
    """Loads a `bert-keras finetune` output directory; a clear error if it is not one."""
    missing = [name for name in (MODEL_FILE, VOCAB_FILE, SPEC_FILE)
               if not os.path.exists(os.path.join(directory, name))]
    if missing:
        raise FileNotFoundError(f"{directory}: no {', '.join(missing)}; --model must be a "
                                "`bert-keras finetune` output directory")
    spec = RunSpec.load(directory)
    if spec.kind == "pretrainer":
        raise ValueError(f"{directory}/{SPEC_FILE}: task {spec.task!r} cannot be exported: "
                         "fine-tune it first (`bert-keras finetune --init` it)")
    tokenizer = BertTokenizer(os.path.join(directory, VOCAB_FILE), lowercase=spec.lowercase)
    model = keras.models.load_model(os.path.join(directory, MODEL_FILE), compile=False)
    return TrainedModel(model, tokenizer, spec)
