"""The run-directory contract: `RunSpec` round trips, reads the previous layout, and names
what is wrong with a task.json it cannot read."""

import json
import os
import subprocess
import sys

import pytest

from bert_keras.run_dir import FORMAT, SPEC_FILE, RunSpec


def _write(directory, record):
    (directory / SPEC_FILE).write_text(json.dumps(record))


def test_a_spec_round_trips_with_its_format(tmp_path):
    spec = RunSpec(task="mrpc", kind="classifier", seq_length=128, lowercase=True, segments=2,
                   label_names=("0", "1"), options={}, data={"dev_file": "/data/dev.tsv"},
                   versions={"bert_keras": "0.1.0"})
    spec.save(tmp_path)
    assert json.loads((tmp_path / SPEC_FILE).read_text())["format"] == FORMAT
    assert RunSpec.load(tmp_path) == spec
    assert [p.name for p in tmp_path.iterdir()] == [SPEC_FILE]  # no temporary file left


@pytest.mark.parametrize("record, expected", [
    ({"task": "sst2", "label_names": ["negative", "positive"], "seq_length": 64,
      "lowercase": True, "options": {}}, {"kind": "classifier", "segments": 1}),
    ({"task": "mrpc", "label_names": ["0", "1"], "seq_length": 64, "lowercase": True,
      "options": {}}, {"kind": "classifier", "segments": 2}),
    ({"task": "csv", "label_names": None, "seq_length": 64, "lowercase": False,
      "options": {"text_columns": ["a", "b"], "label_column": "y", "regression": True}},
     {"kind": "regression", "segments": 2}),
    ({"task": "squad", "label_names": None, "seq_length": 384, "lowercase": True,
      "options": {"doc_stride": 32}},
     {"kind": "span_labeler", "options": {"doc_stride": 32, "max_query_length": 64,
                                          "max_answer_length": 30, "n_best": 20,
                                          "version_2_with_negative": False,
                                          "null_score_threshold": 0.0}}),
    ({"task": "pretrain", "label_names": None, "seq_length": 128, "lowercase": True,
      "options": {"max_predictions": 20}, "bert_config": {"hidden_size": 128}},
     {"kind": "pretrainer", "bert_config": {"hidden_size": 128}}),
])
def test_runs_of_the_previous_layout_load(tmp_path, record, expected):
    _write(tmp_path, record)
    spec = RunSpec.load(tmp_path)
    assert spec.task == record["task"] and spec.seq_length == record["seq_length"]
    assert spec.data == {}  # the previous layout did not record its data files
    for name, value in expected.items():
        assert getattr(spec, name) == value


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    (json.dumps({"format": 99, "task": "sst2"}), "format 99 is newer than this bert-keras reads"),
    (json.dumps({"format": FORMAT, "task": "sst2", "kind": "classifier", "lowercase": True}),
     "missing field(s) seq_length"),
    (json.dumps({"format": FORMAT, "task": "sst2", "kind": "classifier", "seq_length": 0,
                 "lowercase": True}), "seq_length must be a positive integer, got 0"),
    (json.dumps({"format": FORMAT, "task": "sst2", "kind": "summarizer", "seq_length": 8,
                 "lowercase": True}), "kind must be one of"),
    (json.dumps({"format": FORMAT, "task": "sst2", "kind": "classifier", "seq_length": 8,
                 "lowercase": True, "colour": "red"}), "unknown field(s) colour"),
    (json.dumps({"task": "summarize", "seq_length": 8}), "task 'summarize' is not one "
                                                         "bert-keras wrote"),
])
def test_an_unreadable_spec_names_the_file_and_the_problem(tmp_path, content, message):
    (tmp_path / SPEC_FILE).write_text(content)
    with pytest.raises(ValueError) as error:
        RunSpec.load(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / SPEC_FILE}: ") and message in str(error.value)


def test_a_folder_without_a_spec_is_not_a_run_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no task.json; expected a directory written by "):
        RunSpec.load(tmp_path)


@pytest.mark.parametrize("module", ["bert_keras.run_dir", "bert_keras.model_files"])
def test_imports_first_in_a_fresh_process(module):
    """Importing Keras half-way through this module used to run the registration hook, which
    imports `text_models`, which imports this half-initialised module (an ImportError)."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
