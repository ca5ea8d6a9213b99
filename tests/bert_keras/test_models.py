"""Every model builder: shapes, `.keras` and `.weights.h5` round trips, mixed precision, and
the encoder each model carries."""

import keras
import numpy as np
import pytest

from bert_keras.models import (BertEncoder, BertPretrainer, bert_classifier, bert_encoder,
                               bert_pretrainer, bert_span_labeler, bert_tagger, encoder_of)

BUILDERS = {
    "encoder": lambda config: bert_encoder(config),
    "classifier": lambda config: bert_classifier(config, num_classes=3),
    "regressor": lambda config: bert_classifier(config, num_classes=1),
    "tagger": lambda config: bert_tagger(config, num_labels=5),
    "span_labeler": lambda config: bert_span_labeler(config),
    "pretrainer": lambda config: bert_pretrainer(config),
}


def model_inputs(name, make_inputs):
    inputs = make_inputs()
    if name == "pretrainer":
        inputs["masked_lm_positions"] = np.array([[1, 3], [0, 2], [1, 1]], "int32")
    return inputs


def flat_outputs(outputs):
    return [np.asarray(value, "float32") for value in keras.tree.flatten(outputs)]


def assert_same_outputs(first, second, atol=0.0):
    for a, b in zip(flat_outputs(first), flat_outputs(second), strict=True):
        np.testing.assert_allclose(a, b, atol=atol)


@pytest.mark.parametrize("name", BUILDERS)
def test_keras_file_round_trip(name, tiny_config, make_inputs, tmp_path):
    model = BUILDERS[name](tiny_config)
    inputs = model_inputs(name, make_inputs)
    expected = model(inputs)
    model.save(tmp_path / "model.keras")
    keras.backend.clear_session()
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert_same_outputs(expected, loaded(inputs))
    assert len(loaded.weights) == len(model.weights)


@pytest.mark.parametrize("name", BUILDERS)
def test_weights_file_round_trip(name, tiny_config, make_inputs, tmp_path):
    model = BUILDERS[name](tiny_config)
    inputs = model_inputs(name, make_inputs)
    expected = model(inputs)
    model.save_weights(tmp_path / "model.weights.h5")
    fresh = BUILDERS[name](tiny_config)
    assert not np.allclose(flat_outputs(fresh(inputs))[0], flat_outputs(expected)[0])
    fresh.load_weights(tmp_path / "model.weights.h5")
    assert_same_outputs(expected, fresh(inputs))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", BUILDERS)
def test_mixed_precision_forward(name, policy, tiny_config, make_inputs):
    reference = BUILDERS[name](tiny_config)
    inputs = model_inputs(name, make_inputs)
    expected = reference(inputs)
    keras.mixed_precision.set_global_policy(policy)
    model = BUILDERS[name](tiny_config)
    model.set_weights(reference.get_weights())
    outputs = model(inputs)
    layer_norms = [layer for layer in model._flatten_layers()
                   if isinstance(layer, keras.layers.LayerNormalization)]
    assert layer_norms and all(layer.compute_dtype == "float32" for layer in layer_norms)
    assert all(variable.dtype == "float32" for variable in model.weights)
    if name != "encoder":  # task outputs are float32 logits
        assert all(keras.backend.standardize_dtype(value.dtype) == "float32"
                   for value in keras.tree.flatten(outputs))
    for got, want in zip(flat_outputs(outputs), flat_outputs(expected), strict=True):
        finite = want > -1e8  # masked span logits stay at -1e9 in both
        np.testing.assert_allclose(got[finite], want[finite], atol=0.1)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", BUILDERS)
def test_mixed_precision_model_loads_where_the_global_policy_is_float32(
        name, policy, tiny_config, make_inputs, tmp_path):
    """A model trained under a mixed policy keeps it per layer in its .keras file, so it loads
    and computes the same in a fresh float32 process (export, evaluation)."""
    keras.mixed_precision.set_global_policy(policy)
    model = BUILDERS[name](tiny_config)
    inputs = model_inputs(name, make_inputs)
    expected = model(inputs)
    model.save(tmp_path / "model.keras")
    keras.mixed_precision.set_global_policy("float32")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    for got, want in zip(flat_outputs(loaded(inputs)), flat_outputs(expected), strict=True):
        np.testing.assert_array_equal(got, want)


def test_encoder_outputs_and_padding_invariance(tiny_config, make_inputs):
    encoder = bert_encoder(tiny_config)
    inputs = make_inputs(batch=2, seq=8)
    outputs = encoder(inputs)
    assert len(outputs["encoder_outputs"]) == tiny_config.num_layers
    np.testing.assert_allclose(outputs["encoder_outputs"][-1], outputs["sequence_output"])
    assert tuple(outputs["pooled_output"].shape) == (2, tiny_config.hidden_size)
    # Extra padding must not change the outputs of real tokens.
    padded = {key: np.pad(value, ((0, 0), (0, 4))) for key, value in inputs.items()}
    longer = encoder(padded)
    mask = inputs["input_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(longer["sequence_output"])[:, :8][mask],
                               np.asarray(outputs["sequence_output"])[mask], atol=1e-5)


def test_pretrainer_ties_mlm_projection_to_word_embeddings(tiny_config, make_inputs, tmp_path):
    model = bert_pretrainer(tiny_config)
    model.save(tmp_path / "pretrainer.keras")
    loaded = keras.models.load_model(tmp_path / "pretrainer.keras")
    embeddings = loaded.get_layer("embeddings")
    inputs = model_inputs("pretrainer", make_inputs)
    before = np.asarray(loaded(inputs)["mlm_logits"])
    embeddings.word_embeddings.assign(embeddings.word_embeddings * 2.0)
    assert not np.allclose(before, loaded(inputs)["mlm_logits"])
    vocab_weights = [v for v in loaded.weights if tuple(v.shape) == (tiny_config.vocab_size,
                                                                     tiny_config.hidden_size)]
    assert len(vocab_weights) == 1


def test_task_models_share_a_given_encoder(tiny_config, make_inputs):
    encoder = bert_encoder(tiny_config)
    for model in (bert_classifier(encoder, 2), bert_tagger(encoder, 3),
                  bert_span_labeler(encoder), bert_pretrainer(encoder)):
        found = encoder_of(model)
        assert found.get_layer("embeddings") is encoder.get_layer("embeddings")
    inputs = make_inputs()
    np.testing.assert_allclose(encoder_of(bert_pretrainer(encoder))(inputs)["pooled_output"],
                               encoder(inputs)["pooled_output"], atol=1e-6)
    with pytest.raises(TypeError, match="expected a BertConfig or a BertEncoder"):
        bert_classifier("base", 2)


@pytest.mark.parametrize("name", BUILDERS)
def test_every_model_gives_its_encoder_and_config_back_after_a_keras_round_trip(
        name, tiny_config, tmp_path):
    model = BUILDERS[name](tiny_config)
    model.save(tmp_path / "model.keras")
    encoder = encoder_of(keras.models.load_model(tmp_path / "model.keras"))
    assert isinstance(encoder, BertEncoder)
    assert encoder.config == tiny_config
    assert encoder.embeddings is encoder.get_layer("embeddings")
    assert [layer.name for layer in encoder.transformer_layers] == [
        f"transformer_layer_{index}" for index in range(tiny_config.num_layers)]
    assert encoder.pooler is encoder.get_layer("pooler")


def test_the_pretrainer_reloads_around_one_encoder(tiny_config, tmp_path):
    bert_pretrainer(tiny_config).save(tmp_path / "pretrainer.keras")
    loaded = keras.models.load_model(tmp_path / "pretrainer.keras")
    assert isinstance(loaded, BertPretrainer)
    assert loaded.get_layer("embeddings") is loaded.encoder.embeddings


def test_a_model_without_a_bert_encoder_is_named_in_the_error():
    inputs = keras.Input(shape=(3,))
    plain = keras.Model(inputs, keras.layers.Dense(2)(inputs), name="plain")
    with pytest.raises(ValueError, match="model 'plain' does not contain one BertEncoder"):
        encoder_of(plain)
    with pytest.raises(TypeError, match="expected a BertConfig, got str"):
        BertEncoder("base")
