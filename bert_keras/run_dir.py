"""The run directory: what `finetune` and `pretrain` write and everything else reads.

A run directory is self-contained:

    model.keras    the trained model (`bert_keras.model_files.save_model`: whole or absent)
    vocab.txt      its vocabulary
    task.json      the `RunSpec`: task, kind of model, labels, lengths, tokenizer settings,
                   the recipe's options, the data files used and the versions that made it
    metrics.json   the final dev metrics (fine-tuning) or last epoch's metrics (pretraining)

plus the training state `bert_keras.training.callbacks` keeps (backup/, best.keras,
history.csv, logs/). This module is the only one that opens `task.json`.

Example:
    >>> spec = RunSpec(task="sst2", kind="classifier", seq_length=128, lowercase=True,
    ...                label_names=("negative", "positive"))
    >>> spec.save("runs/sst2")  # doctest: +SKIP
    >>> RunSpec.load("runs/sst2").label_names  # doctest: +SKIP
    ('negative', 'positive')
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import TYPE_CHECKING, Any

from bert_keras import storage
from bert_keras.model_files import atomic_write

if TYPE_CHECKING:
    from bert_keras.text import BertTokenizer

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.txt"
SPEC_FILE = "task.json"
METRICS_FILE = "metrics.json"
# task.json's layout; files without a "format" field were written before it existed (1).
FORMAT = 2
# What a model does, and so which serving signatures an export gives it.
KINDS = ("classifier", "regression", "tagger", "span_labeler", "pretrainer")
# Format 1 named only the task: the kind and the texts per example it implied, and the QA
# settings its runs were trained with when task.json left them out.
_FORMAT_1_KINDS = {"sst2": "classifier", "mrpc": "classifier", "rte": "classifier",
                   "stsb": "regression", "csv": "classifier", "conll2003": "tagger",
                   "squad": "span_labeler", "pretrain": "pretrainer"}
_FORMAT_1_SEGMENTS = {"mrpc": 2, "rte": 2, "stsb": 2}
_FORMAT_1_QA_OPTIONS = {"doc_stride": 128, "max_query_length": 64, "max_answer_length": 30,
                        "n_best": 20, "version_2_with_negative": False,
                        "null_score_threshold": 0.0}


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What a run directory's model is and how it was made (`task.json`).

    task: the recipe's name (`sst2`, `csv`, `conll2003`, `squad`, `pretrain`, ...).
    kind: one of `KINDS`.
    seq_length: tokens per example the model was trained on.
    lowercase: the tokenizer's casing (the vocabulary is `vocab.txt`).
    segments: texts per example (2 for sentence pairs).
    label_names: class or tag names in id order (None for regression and QA).
    tokenizer: the tokenizer's settings besides vocabulary and casing
        (`BertTokenizer.options()`; empty: the defaults).
    options: the recipe's settings, complete (e.g. QA's `doc_stride`).
    data: the files trained on: `train_file`, `dev_file` and `data_dir` as given.
    bert_config: the encoder's config in Google's `bert_config.json` form.
    versions: of bert-keras, TensorFlow and Keras that wrote the run.
    """

    task: str
    kind: str
    seq_length: int
    lowercase: bool
    segments: int = 1
    label_names: tuple[str, ...] | None = None
    tokenizer: dict[str, Any] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    data: dict[str, str | None] = dataclasses.field(default_factory=dict)
    bert_config: dict[str, Any] | None = None
    versions: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name in ("seq_length", "segments"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.label_names is not None:
            object.__setattr__(self, "label_names", tuple(self.label_names))

    def make_tokenizer(self, directory: str | os.PathLike) -> "BertTokenizer":
        """The run's tokenizer: `directory/vocab.txt` with the recorded casing and settings."""
        from bert_keras.text import BertTokenizer

        return BertTokenizer(storage.join(directory, VOCAB_FILE), lowercase=self.lowercase,
                             **self.tokenizer)

    def save(self, directory: str | os.PathLike) -> None:
        """Writes `directory/task.json` (under a temporary name, then renamed)."""
        record = {"format": FORMAT, **dataclasses.asdict(self)}
        record["label_names"] = list(self.label_names) if self.label_names else None
        write_json(storage.join(directory, SPEC_FILE), record)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "RunSpec":
        """Reads `directory/task.json`, of this format or the previous one.

        Raises:
            FileNotFoundError: no task.json (not a run directory).
            ValueError: task.json is not valid JSON, is of a newer format, or lacks or
                mistypes a field (the message names it).
        """
        path = storage.join(directory, SPEC_FILE)
        if not storage.exists(path):
            raise FileNotFoundError(f"{directory}: no {SPEC_FILE}; expected a directory written "
                                    "by `bert-keras finetune` or `pretrain`")
        record = read_json_object(path)
        written = record.pop("format", 1)
        if written == 1:
            record = _from_format_1(path, record)
        elif written != FORMAT:
            raise ValueError(f"{path}: format {written!r} is newer than this bert-keras reads "
                             f"({FORMAT}); upgrade bert-keras")
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(record) - fields)
        if unknown:
            raise ValueError(f"{path}: unknown field(s) {', '.join(unknown)}")
        missing = [name for name in ("task", "kind", "seq_length", "lowercase")
                   if name not in record]
        if missing:
            raise ValueError(f"{path}: missing field(s) {', '.join(missing)}")
        try:
            return cls(**record)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: {error}") from None


def _from_format_1(path: str, record: dict[str, Any]) -> dict[str, Any]:
    """A task.json written before formats were numbered, in this format's fields."""
    task = record.get("task")
    if task not in _FORMAT_1_KINDS:
        raise ValueError(f"{path}: task {task!r} is not one bert-keras wrote; retrain the run")
    options = dict(record.get("options") or {})
    kind = _FORMAT_1_KINDS[task]
    if task == "csv":
        kind = "regression" if options.get("regression") else "classifier"
        segments = len(options.get("text_columns") or [None])
    else:
        segments = _FORMAT_1_SEGMENTS.get(task, 1)
    if task == "squad":
        options = {**_FORMAT_1_QA_OPTIONS, **options}
    return {"task": task, "kind": kind, "seq_length": record.get("seq_length"),
            "lowercase": record.get("lowercase"), "segments": segments,
            "label_names": record.get("label_names"), "options": options,
            "bert_config": record.get("bert_config")}


def read_json_object(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON object in `path`; a ValueError naming the file if it is not valid JSON or not
    an object.

    Example:
        >>> read_json_object("runs/sst2/metrics.json")  # doctest: +SKIP
        {'accuracy': 0.91}
    """
    try:
        with storage.open_file(path, encoding="utf-8") as file:
            value = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def write_json(path: str | os.PathLike, value: Any) -> None:
    """Writes `value` as indented JSON to `path`, under a temporary name and then renamed, so a
    reader never sees half a file.

    Example:
        >>> write_json("runs/sst2/metrics.json", {"accuracy": 0.91})  # doctest: +SKIP
    """
    with atomic_write(path) as partial, storage.open_file(partial, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)
        file.write("\n")


def current_versions() -> dict[str, str]:
    """The versions of bert-keras, TensorFlow and Keras in this process, for `RunSpec`."""
    import keras
    import tensorflow as tf

    import bert_keras

    return {"bert_keras": bert_keras.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__}
