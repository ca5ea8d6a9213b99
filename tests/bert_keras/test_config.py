import json

import pytest

from bert_keras import BertConfig
from bert_keras.config import PRESETS


@pytest.mark.parametrize("name,layers,hidden", [
    ("tiny", 2, 128), ("mini", 4, 256), ("small", 4, 512), ("medium", 8, 512),
    ("base", 12, 768), ("large", 24, 1024)])
def test_presets_match_google_sizes(name, layers, hidden):
    config = BertConfig.preset(name)
    assert (config.num_layers, config.hidden_size) == (layers, hidden)
    assert config.num_heads == hidden // 64
    assert config.intermediate_size == 4 * hidden
    assert set(PRESETS) == {"tiny", "mini", "small", "medium", "base", "large"}


def test_preset_overrides_and_unknown_name():
    assert BertConfig.preset("tiny", vocab_size=100).vocab_size == 100
    with pytest.raises(ValueError, match="Unknown BERT preset 'huge'"):
        BertConfig.preset("huge")


@pytest.mark.parametrize("kwargs,message", [
    (dict(hidden_size=100, num_heads=12), r"hidden_size \(100\) must be divisible by num_heads"),
    (dict(activation="swishy"), "activation 'swishy' is not supported"),
    (dict(num_layers=0), "num_layers must be a positive integer, got 0"),
    (dict(vocab_size=1.5), "vocab_size must be a positive integer"),
    (dict(dropout_rate=1.0), r"dropout_rate must be in \[0, 1\)"),
    (dict(layer_norm_epsilon=0), "layer_norm_epsilon must be a positive number"),
])
def test_invalid_values_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BertConfig(**kwargs)


GOOGLE_BASE = {
    "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072,
    "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_layers": 12,
    "type_vocab_size": 2, "vocab_size": 30522,
}


def test_reads_google_bert_config(tmp_path):
    path = tmp_path / "bert_config.json"
    path.write_text(json.dumps(GOOGLE_BASE))
    assert BertConfig.from_json(path) == BertConfig.preset("base")


def test_reads_hugging_face_config(tmp_path):
    hf = {**GOOGLE_BASE, "hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6,
          "layer_norm_eps": 1e-5, "hidden_act": "gelu_new", "model_type": "bert",
          "architectures": ["BertModel"], "pad_token_id": 0, "use_cache": True}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(hf))
    config = BertConfig.from_json(path)
    assert (config.hidden_size, config.num_layers, config.layer_norm_epsilon,
            config.activation) == (384, 6, 1e-5, "gelu_new")


def test_google_json_round_trip(tmp_path):
    config = BertConfig.preset("mini", vocab_size=1000, activation="relu")
    config.to_json(tmp_path / "bert_config.json")
    written = json.loads((tmp_path / "bert_config.json").read_text())
    assert written["num_hidden_layers"] == 4 and written["hidden_act"] == "relu"
    assert BertConfig.from_json(tmp_path / "bert_config.json") == config


def test_bad_json_files_name_the_file(tmp_path):
    broken = tmp_path / "bert_config.json"
    broken.write_text('{"hidden_size": 768,')
    with pytest.raises(ValueError, match=r"bert_config.json: not valid JSON \(line 1"):
        BertConfig.from_json(broken)
    wrong = tmp_path / "config.json"
    wrong.write_text(json.dumps({**GOOGLE_BASE, "num_attention_heads": 7}))
    with pytest.raises(ValueError, match=r"config.json: .*divisible by num_heads \(7\)"):
        BertConfig.from_json(wrong)
    roberta = tmp_path / "roberta.json"
    roberta.write_text(json.dumps({**GOOGLE_BASE, "model_type": "roberta"}))
    with pytest.raises(ValueError, match="model_type is 'roberta', expected 'bert'"):
        BertConfig.from_json(roberta)
