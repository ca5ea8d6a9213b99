"""GLUE task files (SST-2, MRPC, RTE, STS-B) read as `TextSplit`s, with each task's label names.

Example:
    >>> import os, bert_keras.samples
    >>> sst2_dev = os.path.join(os.path.dirname(bert_keras.samples.__file__), "sst2_dev.tsv")
    >>> split = read_glue("sst2", sst2_dev)
    >>> len(split), split.label_names
    (872, ('negative', 'positive'))
    >>> example = split.examples[0]
    >>> example.text, example.label, split.label_names[example.label]
    ("it 's a charming and often affecting journey . ", 1, 'positive')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bert_keras import storage
from bert_keras.data.columns import read_columns
from bert_keras.data.files import DataError, PathLike
from bert_keras.data.tables import TextSplit, float_label, make_examples

STSB_SCORE_RANGE = (0.0, 5.0)
# The original STS benchmark files: genre filename year id score sentence1 sentence2 [source...].
_STSB_ORIGINAL_FIELDS = 7
_STSB_ORIGINAL_COLUMNS = [5, 6, 4]


@dataclass(frozen=True)
class GlueTask:
    """Where a GLUE task's texts and labels are, and what its labels mean.

    Attributes:
        name: "sst2", "mrpc", "rte" or "stsb".
        text_columns: the header name of the sentence, or of both sentences of a pair.
        label_column: the header name of the label.
        label_names: class names, indexed by class id; None for regression (STS-B).
        label_values: each label as written in the files -> its class id.
    """

    name: str
    text_columns: tuple[str, ...]
    label_column: str
    label_names: tuple[str, ...] | None
    label_values: Mapping[str, int]


GLUE_TASKS = {
    task.name: task
    for task in (
        GlueTask("sst2", ("sentence",), "label", ("negative", "positive"), {"0": 0, "1": 1}),
        GlueTask("mrpc", ("#1 String", "#2 String"), "Quality",
                 ("not_equivalent", "equivalent"), {"0": 0, "1": 1}),
        # The GLUE download writes the names, the Hugging Face export 0/1 (0 = entailment).
        GlueTask("rte", ("sentence1", "sentence2"), "label", ("entailment", "not_entailment"),
                 {"0": 0, "1": 1, "entailment": 0, "not_entailment": 1}),
        GlueTask("stsb", ("sentence1", "sentence2"), "score", None, {}),
    )
}


def glue_task(name: str) -> GlueTask:
    """The task called `name`, spelled freely: "SST-2", "sst2", "STS-B", "sts_b" ...

    >>> glue_task("MRPC").label_names
    ('not_equivalent', 'equivalent')
    """
    key = name.lower().replace("-", "").replace("_", "")
    if key not in GLUE_TASKS:
        raise ValueError(f"Unknown GLUE task {name!r}: expected one of {', '.join(GLUE_TASKS)}")
    return GLUE_TASKS[key]


def read_glue(task: str, path: PathLike) -> TextSplit:
    """Reads a GLUE train or dev TSV file (tab-separated, no quoting, optional UTF-8 BOM).

    Classification labels become class ids into `GLUE_TASKS[task].label_names`; STS-B scores
    are floats in [0, 5]. STS-B is read from the GLUE layout (header with `sentence1`,
    `sentence2`, `score`) or from the original benchmark files `sts-train.tsv`/`sts-dev.tsv`
    (no header; the first 7 fields, later ones ignored).

    Raises:
        DataError: naming file, line and problem (missing column, wrong field count, empty
            text, unknown label, score not a number or out of range, empty file).
    """
    spec = glue_task(task)
    texts, label = list(spec.text_columns), spec.label_column
    if spec.label_names is None:
        parse = _stsb_score
        if not _has_header(path, spec):
            texts, label = _STSB_ORIGINAL_COLUMNS[:2], _STSB_ORIGINAL_COLUMNS[2]
            records = read_columns(path, _STSB_ORIGINAL_COLUMNS, file_format="tsv",
                                   header=False, min_fields=_STSB_ORIGINAL_FIELDS)
            return TextSplit(os.fspath(path), make_examples(path, records, texts, label, parse),
                             None)
    else:
        parse = _class_parser(spec)
    records = read_columns(path, [*texts, label], file_format="tsv")
    return TextSplit(os.fspath(path), make_examples(path, records, texts, label, parse),
                     spec.label_names)


def _has_header(path: PathLike, spec: GlueTask) -> bool:
    with storage.open_file(path, encoding="utf-8-sig", errors="replace", newline="\n") as f:
        line = f.readline()
    if not line.strip():  # an empty file or blank first line: reading reports it
        return False
    fields = {field.strip() for field in line.split("\t")}
    if {*spec.text_columns, spec.label_column} <= fields:
        return True
    if len(fields) < _STSB_ORIGINAL_FIELDS:
        raise DataError(path, 1, "neither a GLUE STS-B header (columns sentence1, sentence2, "
                                 "score) nor an original STS benchmark line (7 tab-separated "
                                 "fields)")
    return False


def _stsb_score(value: str) -> float:
    score = float_label(value)
    low, high = STSB_SCORE_RANGE
    if not low <= score <= high:
        raise ValueError(f"score {value!r} outside [{low:g}, {high:g}]")
    return score


def _class_parser(spec: GlueTask):
    def parse(value: str) -> int:
        label = value.strip()
        if label not in spec.label_values:
            raise ValueError(f"unknown {spec.name} label {label!r} "
                             f"(expected one of {', '.join(spec.label_values)})")
        return spec.label_values[label]

    return parse
