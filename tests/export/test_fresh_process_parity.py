"""Every kind of exported model, run in a fresh process that imports only tensorflow and
tensorflow_text, matches the in-Python model on raw text (max absolute difference 1e-5)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.export.run_dir import load_trained

from conftest import FRESH_PROCESS_INPUTS
from references import keras_outputs, qa_reference, tagger_reference

INPUTS = FRESH_PROCESS_INPUTS["squad"]
RUN_SIGNATURE = pathlib.Path(__file__).with_name("run_signature.py")


@pytest.fixture(scope="module")
def fresh_process_outputs(exported, tmp_path_factory):
    """`{task: outputs}` of `serving_default` on `FRESH_PROCESS_INPUTS`, from one process that
    imports only tensorflow and tensorflow_text (one for all: TensorFlow starts slowly)."""
    folder = tmp_path_factory.mktemp("fresh")
    jobs = [{"saved_model": exported(task), "signature": "serving_default", "inputs": inputs,
             "output": str(folder / f"{task}.npz")}
            for task, inputs in FRESH_PROCESS_INPUTS.items()]
    (folder / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run([sys.executable, str(RUN_SIGNATURE), str(folder / "jobs.json")], check=True)
    return {task: dict(np.load(folder / f"{task}.npz", allow_pickle=True))
            for task in FRESH_PROCESS_INPUTS}


@pytest.mark.parametrize("task", ["sst2", "mrpc", "stsb"])
def test_exported_signature_matches_the_keras_model_in_a_fresh_process(
        task, trained_runs, fresh_process_outputs):
    outputs = dict(fresh_process_outputs[task])
    inputs = FRESH_PROCESS_INPUTS[task]
    assert outputs.pop("_repo_modules").tolist() == []  # only tensorflow and tensorflow_text
    trained, logits = keras_outputs(trained_runs(task), list(inputs.values()))
    if task == "stsb":
        assert set(outputs) == {"score"}
        np.testing.assert_allclose(outputs["score"], logits[:, 0], atol=1e-5, rtol=0)
        return
    assert set(outputs) == {"logits", "probabilities", "label_id", "label"}
    np.testing.assert_allclose(outputs["logits"], logits, atol=1e-5, rtol=0)
    np.testing.assert_allclose(outputs["probabilities"], tf.nn.softmax(logits), atol=1e-5)
    assert outputs["label_id"].tolist() == logits.argmax(-1).tolist()
    assert [label.decode() for label in outputs["label"]] == [
        trained.label_names[i] for i in logits.argmax(-1)]


def test_exported_tagger_in_a_fresh_process_matches_the_training_path(
        trained_runs, fresh_process_outputs):
    trained = load_trained(trained_runs("conll2003"))
    outputs = dict(fresh_process_outputs["conll2003"])

    assert outputs.pop("_repo_modules").tolist() == []  # only tensorflow and tensorflow_text
    expected = tagger_reference(trained, FRESH_PROCESS_INPUTS["conll2003"]["text"])

    for row, reference in enumerate(expected):
        n = outputs["num_tokens"][row]
        assert n == len(reference["scores"])
        np.testing.assert_allclose(outputs["token_scores"][row, :n], reference["scores"],
                                   atol=1e-5)
        assert outputs["token_labels"][row, :n].astype(str).tolist() == reference["labels"]
        assert [t.decode() for t in outputs["entity_texts"][row, :outputs["num_entities"][row]]
                ] == reference["entities"]
    assert outputs["truncated"].tolist() == [False, False, True]  # seq_length 32


def test_exported_answers_in_a_fresh_process_match_the_recipe(trained_runs,
                                                             fresh_process_outputs):
    trained = load_trained(trained_runs("squad"))
    outputs = dict(fresh_process_outputs["squad"])
    answers, windows = qa_reference(trained, trained.spec.options, INPUTS)

    assert outputs.pop("_repo_modules").tolist() == []  # only tensorflow and tensorflow_text
    assert outputs["windows"].tolist() == windows.tolist()
    assert windows[0] > 5  # the long context really takes several windows
    assert [a.decode() for a in outputs["answer"]] == [answer.text for answer in answers]
    np.testing.assert_allclose(outputs["score"], [answer.score for answer in answers],
                               atol=1e-5)
    for context, answer, start, end in zip(INPUTS["context"], outputs["answer"],
                                           outputs["start"], outputs["end"]):
        assert context[start:end] == answer.decode() if answer else start == end == -1
    assert outputs["answer"][2] == b"" and outputs["score"][2] == -np.inf  # empty context
