"""Parity with Hugging Face `BertModel` on real MiniLM weights, from each file format."""

import json
import shutil
import subprocess
import sys

import keras
import pytest

from bert_keras.checkpoints import load_checkpoint
from bert_keras.cli import main as cli_main
from bert_keras.models import bert_classifier


def test_safetensors_parity_with_transformers(minilm_dir, assert_parity):
    config, encoder = load_checkpoint(minilm_dir)
    assert (config.num_layers, config.hidden_size, config.num_heads) == (6, 384, 12)
    sequence_error, pooled_error = assert_parity(encoder)
    print(f"MiniLM safetensors vs transformers: sequence {sequence_error:.2e}, "
          f"pooled {pooled_error:.2e}")


@pytest.fixture(scope="module")
def torch_bin_dir(minilm_dir, tmp_path_factory):
    """The MiniLM weights re-saved as pytorch_model.bin (with a `bert.` prefix)."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    directory = tmp_path_factory.mktemp("torch_bin")
    shutil.copy(f"{minilm_dir}/config.json", directory / "config.json")
    state = {f"bert.{name}": value for name, value in
             load_file(f"{minilm_dir}/model.safetensors").items()}
    torch.save(state, directory / "pytorch_model.bin")
    return directory


def test_pytorch_bin_parity(torch_bin_dir, assert_parity):
    _, encoder = load_checkpoint(torch_bin_dir)
    sequence_error, pooled_error = assert_parity(encoder)
    print(f"MiniLM pytorch_model.bin vs transformers: sequence {sequence_error:.2e}, "
          f"pooled {pooled_error:.2e}")


def test_pytorch_bin_is_read_without_importing_torch(torch_bin_dir):
    code = ("import sys; from bert_keras.checkpoints import load_checkpoint; "
            f"load_checkpoint({str(torch_bin_dir)!r}); "
            "assert 'torch' not in sys.modules, 'torch was imported'; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_keras_file_keeps_weights_and_config(minilm_dir, assert_parity, tmp_path):
    config, encoder = load_checkpoint(minilm_dir)
    bert_classifier(encoder, num_classes=2).save(tmp_path / "classifier.keras")
    keras.backend.clear_session()
    loaded_config, loaded_encoder = load_checkpoint(tmp_path / "classifier.keras")
    assert loaded_config == config == loaded_encoder.config
    assert_parity(loaded_encoder)


def test_convert_command_writes_keras_file(minilm_dir, assert_parity, tmp_path,
                                           capsys):
    output = tmp_path / "minilm.keras"
    assert cli_main(["convert", "--input", minilm_dir, "--output", str(output)]) == 0
    assert "6 layers, hidden 384" in capsys.readouterr().out
    _, encoder = load_checkpoint(output)
    assert_parity(encoder)


def test_convert_command_reports_bad_input(tmp_path, capsys):
    assert cli_main(["convert", "--input", str(tmp_path), "--output", "x.keras"]) == 2
    assert "neither a Hugging Face directory" in capsys.readouterr().err


def test_mismatched_config_names_variable_and_shapes(minilm_dir, tmp_path):
    directory = tmp_path / "wrong"
    directory.mkdir()
    (directory / "model.safetensors").symlink_to(f"{minilm_dir}/model.safetensors")
    config = json.loads(open(f"{minilm_dir}/config.json").read())
    (directory / "config.json").write_text(json.dumps({**config, "intermediate_size": 1024}))
    with pytest.raises(ValueError, match=r"variable encoder\.layer\.0\.intermediate\.dense\.weight"
                                         r" has shape \(1536, 384\) in the checkpoint but the "
                                         r"config expects \(1024, 384\)"):
        load_checkpoint(directory)
    (directory / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 4}))
    with pytest.raises(ValueError, match=r"variable encoder\.layer\.4\..* is not described by "
                                         "the config"):
        load_checkpoint(directory)
    (directory / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 8}))
    with pytest.raises(ValueError, match=r"encoder\.layer\.6\.attention\.self\.query\.weight is "
                                         "missing from the checkpoint"):
        load_checkpoint(directory)
