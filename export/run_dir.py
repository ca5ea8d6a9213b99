"""Reads a trained model for export: a `bert-keras finetune` run directory, or the `.keras`
file of a raw-text model (`bert_keras.text_models`).

A run directory is self-contained (`bert_keras.run_dir`): `model.keras`, `vocab.txt` and
`task.json`, whose `RunSpec` says what kind of model it is. A raw-text model carries the same
facts (kind, label names, tokenizer, sequence length, serving options) in itself. `export`
reads these files and does not import `training`.

Example:
    >>> trained = load_trained("runs/sst2")  # doctest: +SKIP
    >>> trained.kind, trained.segments, trained.label_names  # doctest: +SKIP
    ('classifier', 1, ('negative', 'positive'))
"""

from __future__ import annotations

import dataclasses

import keras

from bert_keras import storage
from bert_keras.run_dir import MODEL_FILE, SPEC_FILE, VOCAB_FILE, RunSpec
from bert_keras.text import BertTokenizer
from bert_keras.text_models import BertTextModel


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
    """Loads a `bert-keras finetune` output directory or a raw-text model's `.keras` file; a
    clear error if it is neither."""
    if directory.endswith(".keras") and not storage.isdir(directory):
        return _text_model_file(directory)
    missing = [name for name in (MODEL_FILE, VOCAB_FILE, SPEC_FILE)
               if not storage.exists(storage.join(directory, name))]
    if missing:
        raise FileNotFoundError(f"{directory}: no {', '.join(missing)}; --model must be a "
                                "`bert-keras finetune` output directory")
    spec = RunSpec.load(directory)
    if spec.kind == "pretrainer":
        raise ValueError(f"{directory}/{SPEC_FILE}: task {spec.task!r} cannot be exported: "
                         "fine-tune it first (`bert-keras finetune --init` it)")
    tokenizer = spec.make_tokenizer(directory)
    model = keras.models.load_model(storage.join(directory, MODEL_FILE), compile=False)
    return TrainedModel(model, tokenizer, spec)


def _text_model_file(path: str) -> TrainedModel:
    if not storage.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    model = keras.models.load_model(path, compile=False)
    if not isinstance(model, BertTextModel):
        raise ValueError(f"{path}: a {type(model).__name__}, not a raw-text model; export a "
                         "`bert-keras finetune` run directory or a model made with "
                         "bert_keras.text_models (text_classifier, ...)")
    spec = RunSpec(task="keras", kind=model.kind, seq_length=model.seq_length,
                   lowercase=model.tokenizer.lowercase, segments=model.segments,
                   label_names=model.label_names, options=model.options)
    return TrainedModel(model.token_model, model.tokenizer, spec)
