"""Options that users of other tokenizers expect, each checked against the tokenizer that
defines it: `strip_accents` and `tokenize_chinese_chars` (Hugging Face's BERT tokenizer),
special tokens written in the text (Hugging Face), `[unusedN]` kept whole (tf-text's
`preserve_unused_token`). Defaults stay Google's; every option exports within TF Serving's ops.

Texts come from the shipped adversarial sample, restricted to those where the other tokenizer
already agrees with ours at its defaults (Hugging Face departs from Google's code on "C*" code
points and NFC; tf-text on its own character tables), plus texts written for each option."""

from __future__ import annotations

import unicodedata

import keras
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.export.graph_check import check_saved_model
from bert_keras.text import BertPreprocessor, BertTokenizer

from text_testdata import TINY_VOCAB, VOCAB_FILES, parity_sample

ACCENTED = ["Héllo Wörld, naïve café!", "ÅNGSTRÖM Crème brûlée", "Zoë & Chloë à Zürich"]
CJK = ["ab世界cd 中文", "東京タワー and 北京", "x中y"]
SPECIAL = ["hello[MASK]world", "[CLS] a [SEP] b [SEP]", "x [MASK]. y", "[mask] [Mask] [MASK",
           "[MASK][MASK]", "a[UNK]b [PAD]", "Héllo [SEP]Wörld", "[CLS]"]
UNUSED = ["[unused1] hello", "a[unused22]b", "[UNUSED3] x", "[unused99999] y", "hi [unused0]!",
          "[unused]"]


def hf_tokenizer(vocab: str, lowercase: bool, **options):
    import transformers
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    transformers.logging.set_verbosity_error()
    tokenizer = BertTokenizerLegacy(str(VOCAB_FILES[vocab]), do_lower_case=lowercase, **options)
    tokenizer.wordpiece_tokenizer.max_input_chars_per_word = 200  # Google's limit
    return tokenizer


def hf_ids(tokenizer, texts):
    return [tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)) for text in texts]


def our_ids(tokenizer: BertTokenizer, texts):
    return tokenizer(tf.constant(texts)).to_list()


def agreeing_at_defaults(ours: BertTokenizer, other_ids, texts):
    """The texts on which both tokenizers agree with their options off."""
    return [text for text, a, b in zip(texts, our_ids(ours, texts), other_ids(texts)) if a == b]


def nfc(texts):
    """The texts that NFC leaves alone: Hugging Face composes its input to NFC first, Google
    does not (decomposed accents and jamo differ once accents are kept)."""
    return [text for text in texts if unicodedata.normalize("NFC", text) == text]


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
@pytest.mark.parametrize("strip_accents", [True, False])
def test_strip_accents_apart_from_lowercase_matches_hugging_face(lowercase, strip_accents):
    vocab = "uncased" if lowercase else "cased"
    defaults = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase)
    texts = agreeing_at_defaults(defaults, lambda t: hf_ids(hf_tokenizer(vocab, lowercase), t),
                                 nfc(parity_sample()) + ACCENTED)
    assert len(texts) > 150 and set(ACCENTED) <= set(texts)
    ours = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase,
                         strip_accents=strip_accents)
    reference = hf_tokenizer(vocab, lowercase, strip_accents=strip_accents)
    assert our_ids(ours, texts) == hf_ids(reference, texts)
    # The option changes something where it should.
    changed = strip_accents != lowercase
    assert (our_ids(ours, ACCENTED) != our_ids(defaults, ACCENTED)) == changed


def test_tokenize_chinese_chars_off_matches_hugging_face():
    defaults = BertTokenizer(str(VOCAB_FILES["uncased"]))
    texts = agreeing_at_defaults(defaults, lambda t: hf_ids(hf_tokenizer("uncased", True), t),
                                 nfc(parity_sample()) + CJK)
    ours = BertTokenizer(str(VOCAB_FILES["uncased"]), tokenize_chinese_chars=False)
    reference = hf_tokenizer("uncased", True, tokenize_chinese_chars=False)
    assert set(CJK) <= set(texts)
    assert our_ids(ours, texts) == hf_ids(reference, texts)
    assert our_ids(ours, ["中文"]) != our_ids(defaults, ["中文"])


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_special_tokens_in_text_match_hugging_face(lowercase):
    vocab = "uncased" if lowercase else "cased"
    defaults = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase)
    texts = agreeing_at_defaults(defaults, lambda t: hf_ids(hf_tokenizer(vocab, lowercase), t),
                                 nfc(parity_sample()))
    ours = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase,
                         special_tokens_in_text=True)
    reference = hf_tokenizer(vocab, lowercase)
    assert our_ids(ours, texts + SPECIAL) == hf_ids(reference, texts + SPECIAL)
    mask = ours.special_token_ids["[MASK]"]
    assert our_ids(ours, ["a [MASK] b"])[0].count(mask) == 1
    assert mask not in our_ids(defaults, ["a [MASK] b"])[0]  # Google's default: plain text


def test_preserve_unused_tokens_matches_tf_text():
    reference = tf_text.BertTokenizer(str(VOCAB_FILES["uncased"]), lower_case=True,
                                      preserve_unused_token=True, token_out_type=tf.int32)
    defaults_reference = tf_text.BertTokenizer(str(VOCAB_FILES["uncased"]), lower_case=True,
                                               token_out_type=tf.int32)

    def tf_text_ids(tokenizer, texts):
        return tokenizer.tokenize(tf.constant(texts)).merge_dims(1, 2).to_list()

    defaults = BertTokenizer(str(VOCAB_FILES["uncased"]))
    texts = agreeing_at_defaults(defaults, lambda t: tf_text_ids(defaults_reference, t),
                                 [text for text in parity_sample() if text.isascii()])
    assert len(texts) > 100
    ours = BertTokenizer(str(VOCAB_FILES["uncased"]), preserve_unused_tokens=True)
    assert our_ids(ours, texts + UNUSED) == tf_text_ids(reference, texts + UNUSED)
    assert our_ids(ours, ["a[unused22]b"]) == [[1037, 23, 1038]]


def test_offsets_with_options_slice_back_to_each_token():
    tokenizer = BertTokenizer(str(VOCAB_FILES["uncased"]), special_tokens_in_text=True,
                              preserve_unused_tokens=True, tokenize_chinese_chars=False)
    text = "Héllo[MASK] wörld [UNUSED5] 中文!"
    ids, starts, ends = tokenizer.tokenize_with_offsets(tf.constant([text]))
    data = text.encode()
    pieces = [data[s:e].decode() for s, e in zip(starts[0].numpy(), ends[0].numpy())]
    assert [tokenizer.vocabulary[i] for i in ids[0].numpy()][:3] == ["hello", "[MASK]", "world"]
    assert pieces[:4] == ["Héllo", "[MASK]", "wörld", "[UNUSED5]"]


def test_options_are_checked_and_round_trip_through_the_config(tmp_path):
    with pytest.raises(ValueError, match="strip_accents must be None, True or False, got 'yes'"):
        BertTokenizer(TINY_VOCAB, strip_accents="yes")
    with pytest.raises(ValueError, match="special_tokens_in_text must be True or False"):
        BertTokenizer(TINY_VOCAB, special_tokens_in_text=1)
    options = dict(strip_accents=False, tokenize_chinese_chars=False,
                   special_tokens_in_text=True, preserve_unused_tokens=True)
    tokenizer = BertTokenizer(str(VOCAB_FILES["uncased"]), **options)
    restored = BertTokenizer.from_config(tokenizer.get_config())
    assert {name: getattr(restored, name) for name in options} == options
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, BertPreprocessor(tokenizer, seq_length=16)(text))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    sample = tf.constant(["Héllo [MASK] [unused1] 中文"])
    assert loaded(sample)["input_word_ids"].numpy().tolist() == \
        model(sample)["input_word_ids"].numpy().tolist()


def test_every_option_exports_within_tf_servings_ops(tmp_path):
    tokenizer = BertTokenizer(str(VOCAB_FILES["cased"]), lowercase=False, strip_accents=True,
                              tokenize_chinese_chars=False, special_tokens_in_text=True,
                              preserve_unused_tokens=True)
    preprocessor = BertPreprocessor(tokenizer, seq_length=16)
    module = tf.Module()
    module.serve = tf.function(lambda text: preprocessor(text),
                               input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.serve})
    check_saved_model(str(tmp_path))  # raises DisallowedOpsError naming any op TF Serving lacks
