"""`bert-keras export` of classifiers and regressors: layout, signatures, parity, warmup."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.cli import main
from bert_keras.text import BertPreprocessor
from bert_keras.export.run_dir import load_trained
from bert_keras.export.model_repository import versions
from bert_keras.export.saved_model import export_model
from bert_keras.export.warmup import WARMUP_FILE, read_warmup_requests

from conftest import FRESH_PROCESS_INPUTS

TEXTS = FRESH_PROCESS_INPUTS["sst2"]["text"]


def test_serve_tokens_and_embed(exported, trained_runs):
    loaded = tf.saved_model.load(exported("sst2"))
    trained = load_trained(trained_runs("sst2"))
    tokens = BertPreprocessor(trained.tokenizer, seq_length=16)(tf.constant(TEXTS))

    from_tokens = loaded.signatures["serve_tokens"](**tokens)
    from_text = loaded.signatures["serving_default"](text=tf.constant(TEXTS))
    np.testing.assert_allclose(from_tokens["logits"], from_text["logits"], atol=1e-5)

    vectors = loaded.signatures["embed"](text=tf.constant(TEXTS))
    sequence = trained.model.get_layer("bert_encoder")(tokens)["sequence_output"].numpy()
    mask = tokens["input_mask"].numpy()[:, :, None]
    np.testing.assert_allclose(vectors["mean_pooled_output"],
                               (sequence * mask).sum(1) / mask.sum(1), atol=1e-5)
    assert vectors["pooled_output"].shape == (3, trained.model.get_layer(
        "bert_encoder").output["pooled_output"].shape[-1])


def saved_model_cli_signatures(saved_model):
    """`{signature: {"input"|"output": {name: (dtype, shape)}}}` as `saved_model_cli show
    --all` prints them."""
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    shown = subprocess.run([cli, "show", "--all", "--dir", saved_model], check=True,
                           capture_output=True, text=True).stdout
    signatures = {}
    for block in shown.split("signature_def['")[1:]:
        name, body = block.split("']", 1)
        inputs, outputs = body.split("contains the following output(s):")
        signatures[name] = {side: {
            chunk.split("']")[0]: (chunk.split("dtype: ")[1].split()[0],
                                   chunk.split("shape: ")[1].split("\n")[0])
            for chunk in part.split(f"{side}s['")[1:]} for side, part in
            (("input", inputs), ("output", outputs))}
    return signatures


def test_saved_model_cli_lists_the_documented_signatures(exported):
    classifier, tagger = (saved_model_cli_signatures(exported(task))
                          for task in ("mrpc", "conll2003"))
    tokens = {name: ("DT_INT32", "(-1, -1)") for name in
              ("input_word_ids", "input_mask", "input_type_ids")}
    for signatures in (classifier, tagger):
        assert set(signatures) == {"__saved_model_init_op", "serving_default", "serve_tokens",
                                   "embed"}
        assert signatures["serve_tokens"]["input"] == tokens
        assert signatures["embed"]["input"] == {"text": ("DT_STRING", "(-1)")}
        assert signatures["embed"]["output"] == {
            "pooled_output": ("DT_FLOAT", "(-1, 128)"),
            "mean_pooled_output": ("DT_FLOAT", "(-1, 128)")}

    assert classifier["serving_default"]["input"] == {
        "text_a": ("DT_STRING", "(-1)"), "text_b": ("DT_STRING", "(-1)")}
    assert classifier["serving_default"]["output"] == {
        "logits": ("DT_FLOAT", "(-1, 2)"), "probabilities": ("DT_FLOAT", "(-1, 2)"),
        "label_id": ("DT_INT32", "(-1)"), "label": ("DT_STRING", "(-1)")}
    assert tagger["serving_default"]["input"] == {"text": ("DT_STRING", "(-1)")}
    per_item = {"num_tokens": "DT_INT32", "num_entities": "DT_INT32", "truncated": "DT_BOOL"}
    per_token = {"tokens": "DT_STRING", "token_labels": "DT_STRING", "token_scores": "DT_FLOAT",
                 "token_starts": "DT_INT32", "token_ends": "DT_INT32"}
    per_entity = {"entity_texts": "DT_STRING", "entity_labels": "DT_STRING",
                  "entity_scores": "DT_FLOAT", "entity_starts": "DT_INT32",
                  "entity_ends": "DT_INT32"}
    assert tagger["serving_default"]["output"] == {
        **{name: (dtype, "(-1)") for name, dtype in per_item.items()},
        **{name: (dtype, "(-1, -1)") for name, dtype in {**per_token, **per_entity}.items()}}
    qa = saved_model_cli_signatures(exported("squad"))["serving_default"]
    assert qa["input"] == {"question": ("DT_STRING", "(-1)"), "context": ("DT_STRING", "(-1)")}
    assert qa["output"] == {"answer": ("DT_STRING", "(-1)"), "start": ("DT_INT32", "(-1)"),
                            "end": ("DT_INT32", "(-1)"), "score": ("DT_FLOAT", "(-1)"),
                            "windows": ("DT_INT32", "(-1)")}


def test_warmup_requests_parse_and_replay(exported):
    requests = read_warmup_requests(os.path.join(exported("sst2"), WARMUP_FILE))
    loaded = tf.saved_model.load(exported("sst2"))

    assert [r.model_spec.signature_name for r in requests] == [
        "serving_default", "serving_default", "embed"]
    assert {r.model_spec.name for r in requests} == {"sst2"}
    for request in requests:
        inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
        assert all(value.shape[0] == len(inputs["text"]) for value in outputs.values())


def test_versions_count_up_and_are_renamed_into_place(trained_runs, tmp_path, capsys):
    base = tmp_path / "models" / "sst2"
    (base / "3").mkdir(parents=True)  # an existing version
    (base / "notes").mkdir()  # not a version: TF Serving only loads numeric names

    assert main(["export", "--model", trained_runs("sst2"), "--output", str(base)]) == 0

    assert "to " + str(base / "4") in capsys.readouterr().out
    assert versions(str(base)) == [3, 4]
    assert sorted(os.listdir(base)) == ["3", "4", "notes"]  # no temporary directory left
    assert (base / "4" / "saved_model.pb").exists()
    assert main(["export", "--model", trained_runs("sst2"), "--output", str(base),
                 "--version", "4"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_failed_export_leaves_nothing(trained_runs, tmp_path, monkeypatch):
    from bert_keras.export import saved_model
    from bert_keras.export.graph_check import DisallowedOpsError

    def refuse(path):
        raise DisallowedOpsError(path, ["SomeCustomOp"])

    monkeypatch.setattr(saved_model, "check_saved_model", refuse)
    with pytest.raises(DisallowedOpsError, match="SomeCustomOp"):
        export_model(trained_runs("sst2"), str(tmp_path / "m"))
    assert os.listdir(tmp_path / "m") == []


def test_a_full_disk_during_export_is_one_line_and_leaves_nothing(trained_runs, tmp_path,
                                                                    monkeypatch, capsys):
    """TensorFlow reports a full disk while writing variables as a ResourceExhaustedError
    (seen on a full tmpfs, with a traceback); the command names the version folder."""
    from bert_keras.export import saved_model

    def full_disk(path, *args, **kwargs):  # while the version is being written
        raise tf.errors.ResourceExhaustedError(
            None, None, "{{function_node __wrapped__SaveV2}} " + path + "/variables/part-0; No "
            "space left on device [Op:SaveV2]")

    monkeypatch.setattr(saved_model, "check_saved_model", full_disk)
    base = tmp_path / "models" / "sst2"
    assert main(["export", "--model", trained_runs("sst2"), "--output", str(base)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"bert-keras export: error: cannot write {base / '1'}: No space " \
                                   "left on device" and "Traceback" not in err
    assert os.listdir(base) == []


def test_a_killed_exports_partial_folder_is_removed_by_the_next_export(trained_runs, tmp_path):
    base = tmp_path / "models" / "sst2"
    exited = subprocess.Popen(["true"])
    exited.wait()
    host = socket.gethostname()
    abandoned = base / f".partial-{exited.pid}@{host}@1"  # its export was killed
    running = base / f".partial-{os.getpid()}@{host}@7"  # an export still in progress
    elsewhere = base / f".partial-{exited.pid}@another-{host}@2"  # on a shared file system
    for folder in (abandoned, running, elsewhere):
        (folder / "variables").mkdir(parents=True)
    exported = export_model(trained_runs("sst2"), str(base))
    assert sorted(os.listdir(base)) == sorted([running.name, elsewhere.name, "1"])
    assert exported.path.endswith("1")


def test_not_a_run_directory_is_a_clear_error(tmp_path, capsys):
    assert main(["export", "--model", str(tmp_path), "--output", str(tmp_path / "m")]) == 2
    assert "no model.keras, vocab.txt, task.json" in capsys.readouterr().err
    (tmp_path / "task.json").write_text(json.dumps({"task": "pretrain", "seq_length": 128,
                                                    "lowercase": True}))
    for name in ("model.keras", "vocab.txt"):
        (tmp_path / name).write_text("")
    assert main(["export", "--model", str(tmp_path), "--output", str(tmp_path / "m")]) == 2
    assert "task 'pretrain' cannot be exported: fine-tune it first" in capsys.readouterr().err
