"""`bert-keras predict`: inputs from arguments, a file or standard input; text or JSON lines,
for every kind of model (classifier, regression, tagger, span labeler); and `--server`."""

import io
import json
import sys

import numpy as np
import pytest

from bert_keras.cli import main
from bert_keras.cli.finetune import read_inputs
from bert_keras.training.finetune import finetune
from bert_keras.training.options import FinetuneOptions

from task_samples import FILES, TASKS, VOCAB

INIT = "random:tiny"  # random weights of the tiny preset, as tests/test_cli_errors.py names it
CONTEXT = "Ada Lovelace wrote the first program for the Analytical Engine of Charles Babbage."
INPUTS = {
    "sst2": ["A gorgeous, moving film.", "Dull and far too long.", "Élan vital? Ça va."],
    "stsb": ["He sold the house.\tThe house was sold by him.", "Rain.\tA dog barks."],
    "conll2003": ["Angela Merkel met  Emmanuel Macron in Paris .", "", "EU rejects German call"],
    "squad": [f"Who wrote the first program?\t{CONTEXT}",
              "Wo liegt Zürich?\tZürich liegt am See.", "Anything?\t"],
}
SETTINGS = {"squad": {"seq_length": 48, "task_options": {"doc_stride": 8,
                                                         "max_query_length": 12}}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{task: run_dir}`, each fine-tuned for a few steps on first use."""
    base = tmp_path_factory.mktemp("runs")
    made = {}

    def run_dir(task):
        if task not in made:
            train, dev = FILES[task]
            settings = {"seq_length": 32, **SETTINGS.get(task, {})}
            made[task] = str(base / task)
            finetune(task, INIT, made[task], train_file=str(TASKS / train),
                     dev_file=str(TASKS / dev), vocab=VOCAB, verbose=0,
                     task_options=settings.get("task_options"),
                     options=FinetuneOptions(seq_length=settings["seq_length"], batch_size=16,
                                             epochs=1, learning_rate=1e-3,
                                             max_train_examples=16))  # formats, not quality
        return made[task]
    return run_dir


def predict(capsys, *argv):
    capsys.readouterr()  # what fine-tuning printed
    assert main(["predict", *argv]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("task", ["sst2", "stsb", "conll2003", "squad"])
def test_json_lines_from_a_file_agree_with_the_text_lines(task, runs, tmp_path, capsys):
    inputs = INPUTS[task]
    path = tmp_path / "inputs.txt"
    path.write_text("\n".join(inputs[1:]) + "\n", encoding="utf-8")
    run = runs(task)
    rows = [json.loads(line) for line in predict(capsys, "--model", run, "--json",
                                                 "--input-file", str(path), inputs[0])]
    assert [row["input"] for row in rows] == inputs  # the arguments first, then the file's
    lines = predict(capsys, "--model", run, "--input-file", str(path), inputs[0])
    assert len(lines) == len(inputs)
    for row, line, text in zip(rows, lines, inputs):
        assert line.endswith(f"\t{text}")
        assert line[:-len(text) - 1] == TEXT_FORM[task](row), (line, row)
        CHECKS[task](row, text)


def _classifier_text(row):
    return f"{row['label']} ({row['probability']:.3f})"


def _check_classifier(row, text):
    assert set(row) == {"input", "label", "probability", "probabilities"}
    assert set(row["probabilities"]) == {"negative", "positive"}
    assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert row["probability"] == max(row["probabilities"].values())
    assert row["probabilities"][row["label"]] == row["probability"]


def _check_regression(row, text):
    assert set(row) == {"input", "score"} and isinstance(row["score"], float)


def _tagger_text(row):
    return " ".join(f"{word}/{tag}" for word, tag in zip(row["words"], row["tags"]))


def _check_tagger(row, text):
    assert set(row) == {"input", "words", "tags", "entities"}
    assert row["words"] == text.split() and len(row["tags"]) == len(row["words"])
    for entity in row["entities"]:
        assert entity["text"] == text[entity["start"]:entity["end"]]
        assert not entity["label"].startswith(("B-", "I-")) and entity["label"] != "O"


def _qa_text(row):
    return f"{row['answer'] or '(no answer)'} ({row['probability']:.3f})"


def _check_span_labeler(row, text):
    assert set(row) == {"input", "answer", "probability", "score", "start", "end"}
    context = text.partition("\t")[2]
    if row["answer"]:
        assert context[row["start"]:row["end"]] == row["answer"]
    else:
        assert (row["start"], row["end"]) == (-1, -1)
    assert 0.0 <= row["probability"] <= 1.0


TEXT_FORM = {"sst2": _classifier_text, "stsb": lambda row: f"{row['score']:.3f}",
             "conll2003": _tagger_text, "squad": _qa_text}
CHECKS = {"sst2": _check_classifier, "stsb": _check_regression,
          "conll2003": _check_tagger, "squad": _check_span_labeler}


def test_standard_input_with_a_dash(runs, capsys, monkeypatch):
    data = "\ufeffA gorgeous film.\r\nDull.\n".encode("utf-8")  # a BOM and Windows line ends
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    rows = [json.loads(line) for line in predict(capsys, "--model", runs("sst2"), "--json",
                                                 "--input-file", "-")]
    assert [row["input"] for row in rows] == ["A gorgeous film.", "Dull."]


def test_no_inputs_is_a_usage_error_and_an_empty_file_predicts_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--model", "unused"])
    assert exit_.value.code == 2
    assert "error: give texts to predict, or --input-file" in capsys.readouterr().err
    (tmp_path / "empty.txt").write_text("")
    assert main(["predict", "--model", "unused", "--input-file",
                 str(tmp_path / "empty.txt")]) == 0
    assert capsys.readouterr().out == ""


def test_a_missing_or_binary_input_file_is_one_line(tmp_path, capsys):
    assert main(["predict", "--model", "unused", "--input-file",
                 str(tmp_path / "missing.txt")]) == 2
    assert capsys.readouterr().err == (
        f"bert-keras predict: error: {tmp_path / 'missing.txt'}: No such file or directory\n")
    (tmp_path / "latin1.txt").write_bytes("café\n".encode("latin-1"))
    assert main(["predict", "--model", "unused", "--input-file",
                 str(tmp_path / "latin1.txt")]) == 2
    assert capsys.readouterr().err == (f"bert-keras predict: error: {tmp_path / 'latin1.txt'}: not "
                                       "UTF-8 text (invalid continuation byte at byte 3)\n")


def test_read_inputs_keeps_blank_lines_and_drops_line_ends(tmp_path):
    path = tmp_path / "inputs.txt"
    path.write_bytes(b"one\r\n\ntwo\tpair\nlast")
    assert read_inputs(str(path)) == ["one", "", "two\tpair", "last"]


class FakeClient:
    """Stands in for `PredictionClient`: a served classifier of one text input."""

    def __init__(self, target, timeout):
        self.target = target

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def metadata(self, model):
        return {"serving_default": {"inputs": {"text": "string"},
                                    "outputs": {"label": "string", "probabilities": "float"}}}

    def predict_many(self, model, inputs, signature):
        count = len(inputs["text"])
        return {"label": np.array([b"positive"] * count, object),
                "probabilities": np.full([count, 2], 0.5, np.float32)}


def test_server_predictions_take_a_file_and_print_json_lines(tmp_path, capsys, monkeypatch):
    from bert_keras.export import client

    monkeypatch.setattr(client, "PredictionClient", FakeClient)
    path = tmp_path / "inputs.txt"
    path.write_text("Dull.\nÉlan vital.\n", encoding="utf-8")
    lines = predict(capsys, "--server", "localhost:8500", "--model", "sst2", "--json",
                    "--input-file", str(path), "A gorgeous film.")
    assert [json.loads(line) for line in lines] == [
        {"input": text, "label": "positive", "probabilities": [0.5, 0.5]}
        for text in ("A gorgeous film.", "Dull.", "Élan vital.")]


def test_a_recipe_without_structured_results_gives_its_text_lines():
    import types

    from bert_keras.cli.finetune import predict_results

    run = types.SimpleNamespace(recipe=object(), predict=lambda inputs: [t.upper() for t in inputs])
    assert predict_results(run, ["a", "b"]) == [{"prediction": "A"}, {"prediction": "B"}]
