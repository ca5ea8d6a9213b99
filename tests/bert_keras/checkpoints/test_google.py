"""Google TF1 checkpoints: written here with TensorFlow under Google's names, loaded back.

The HF -> Google renaming below is written independently of `weight_map.py` (string rules,
not the table) so that a wrong table entry cannot hide behind a symmetric mistake.
"""

import json
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.checkpoints import load_checkpoint, load_pretrainer


def google_name(hf_name: str) -> tuple[str, bool]:
    """Google variable name for a HF BERT weight name, and whether to transpose it."""
    special = {"cls.predictions.bias": "cls/predictions/output_bias",
               "cls.seq_relationship.weight": "cls/seq_relationship/output_weights",
               "cls.seq_relationship.bias": "cls/seq_relationship/output_bias"}
    if hf_name in special:
        return special[hf_name], False
    name = re.sub(r"encoder\.layer\.(\d+)", r"encoder.layer_\1", hf_name)
    if not name.startswith("cls."):
        name = "bert." + name
    if name.endswith("_embeddings.weight"):
        return name.removesuffix(".weight").replace(".", "/"), False
    if ".LayerNorm." in name:
        return name.replace(".weight", ".gamma").replace(".bias", ".beta").replace(".", "/"), False
    if name.endswith(".weight"):
        return name.removesuffix(".weight").replace(".", "/") + "/kernel", True
    return name.replace(".", "/"), False


def write_google_checkpoint(directory, hf_tensors: dict, config: dict, extra: dict = ()):
    """Saves a TF1 name-based checkpoint (`bert_model.ckpt`) plus `bert_config.json`."""
    directory.mkdir(parents=True, exist_ok=True)
    names, tensors = [], []
    for hf_name, value in hf_tensors.items():
        name, transpose = google_name(hf_name)
        names.append(name)
        tensors.append(tf.constant(value.T if transpose else value))
    for name, value in dict(extra).items():
        names.append(name)
        tensors.append(tf.constant(value))
    tf.raw_ops.SaveV2(prefix=str(directory / "bert_model.ckpt"), tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=tensors)
    google_config = {key: config[key] for key in (
        "attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob", "hidden_size",
        "initializer_range", "intermediate_size", "max_position_embeddings",
        "num_attention_heads", "num_hidden_layers", "type_vocab_size", "vocab_size")}
    (directory / "bert_config.json").write_text(json.dumps(google_config))
    return directory


@pytest.fixture(scope="module")
def minilm_google_dir(minilm_dir, tmp_path_factory):
    from safetensors.numpy import load_file

    tensors = {name: value for name, value in load_file(f"{minilm_dir}/model.safetensors").items()
               if name != "embeddings.position_ids"}  # a HF buffer, not a Google variable
    config = json.loads(open(f"{minilm_dir}/config.json").read())
    slots = {"bert/embeddings/word_embeddings/adam_m": np.zeros((2, 2), "float32"),
             "global_step": np.array(1000, "int64")}
    return write_google_checkpoint(tmp_path_factory.mktemp("google") / "minilm", tensors,
                                   config, slots)


def test_google_checkpoint_parity(minilm_google_dir, assert_parity):
    config, encoder = load_checkpoint(minilm_google_dir)
    assert config.num_layers == 6
    sequence_error, pooled_error = assert_parity(encoder)
    print(f"MiniLM via Google TF1 checkpoint vs transformers: sequence {sequence_error:.2e}, "
          f"pooled {pooled_error:.2e}")
    # A checkpoint prefix works as well as the directory.
    _, from_prefix = load_checkpoint(minilm_google_dir / "bert_model.ckpt")
    assert_parity(from_prefix)


def test_google_checkpoint_shape_mismatch_is_named(minilm_google_dir, tmp_path):
    wrong = tmp_path / "wrong"
    shutil.copytree(minilm_google_dir, wrong)
    config = json.loads((wrong / "bert_config.json").read_text())
    (wrong / "bert_config.json").write_text(json.dumps({**config, "vocab_size": 30000}))
    with pytest.raises(ValueError, match=r"variable bert/embeddings/word_embeddings has shape "
                                         r"\(30522, 384\) in the checkpoint but the config "
                                         r"expects \(30000, 384\)"):
        load_checkpoint(wrong)


TINY_HF_CONFIG = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
                      hidden_act="gelu", hidden_dropout_prob=0.1,
                      attention_probs_dropout_prob=0.1, initializer_range=0.02)


@pytest.fixture(scope="module")
def hf_pretraining_model(tmp_path_factory):
    """A tiny HF BertForPreTraining with random weights (heads included), saved to a dir."""
    torch = pytest.importorskip("torch")
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForPreTraining(transformers.BertConfig(**TINY_HF_CONFIG)).eval()
    with torch.no_grad():  # make the MLM bias non-trivial
        model.cls.predictions.bias.normal_()
    directory = tmp_path_factory.mktemp("hf_pretraining")
    model.save_pretrained(directory)
    return model, directory


def _hf_pretraining_outputs(model, inputs):
    import torch

    with torch.no_grad():
        outputs = model(input_ids=torch.tensor(inputs["input_word_ids"], dtype=torch.long),
                        attention_mask=torch.tensor(inputs["input_mask"], dtype=torch.long),
                        token_type_ids=torch.tensor(inputs["input_type_ids"], dtype=torch.long))
    positions = inputs["masked_lm_positions"]
    mlm = outputs.prediction_logits.numpy()[np.arange(len(positions))[:, None], positions]
    return mlm, outputs.seq_relationship_logits.numpy()


def test_pretraining_heads_parity_from_hf_and_google(hf_pretraining_model, make_inputs, tmp_path):
    import torch

    model, hf_dir = hf_pretraining_model
    inputs = make_inputs(batch=3, seq=10)
    inputs["masked_lm_positions"] = np.array([[1, 4], [0, 2], [3, 3]], "int32")
    mlm_expected, nsp_expected = _hf_pretraining_outputs(model, inputs)
    tensors = {name: value.numpy() for name, value in model.state_dict().items()
               if name != "cls.predictions.decoder.weight" and "decoder.bias" not in name}
    tensors = {name.removeprefix("bert."): value for name, value in tensors.items()}
    google_dir = write_google_checkpoint(tmp_path / "google", tensors, TINY_HF_CONFIG)
    for source in (hf_dir, google_dir):
        _, pretrainer = load_pretrainer(source)
        outputs = pretrainer(inputs)
        np.testing.assert_allclose(outputs["mlm_logits"], mlm_expected, atol=1e-4)
        np.testing.assert_allclose(outputs["nsp_logits"], nsp_expected, atol=1e-4)
    assert torch.equal(model.cls.predictions.decoder.weight,
                       model.bert.embeddings.word_embeddings.weight)  # HF ties them as we do


def test_pretrainer_without_heads_in_checkpoint_starts_fresh(minilm_google_dir, assert_parity):
    from bert_keras.models import encoder_of

    _, pretrainer = load_pretrainer(minilm_google_dir)
    assert_parity(encoder_of(pretrainer))
    assert np.abs(np.asarray(pretrainer.get_layer("nsp_logits").dense.kernel)).max() > 0
