"""BertTokenizer: reference rules on a tiny vocabulary, offsets, special ids, config, graphs."""

from __future__ import annotations

import unicodedata

import pytest
import tensorflow as tf

from bert_keras.text import BertTokenizer

from text_testdata import TINY_VOCAB, VOCAB_FILES, parity_sample


def tokens(tokenizer: BertTokenizer, text: str) -> list[str]:
    return [tokenizer.vocabulary[i] for i in tokenizer(tf.constant([text]))[0].numpy()]


def test_returns_ragged_int32_ids_without_special_tokens():
    ids = BertTokenizer(TINY_VOCAB)(tf.constant(["hello worlds!", "", "the"]))
    assert isinstance(ids, tf.RaggedTensor)
    assert ids.dtype == tf.int32
    assert ids.to_list() == [[5, 6, 7, 8], [], [26]]


def test_uncased_lowercases_and_strips_accents_cased_keeps_both():
    assert tokens(BertTokenizer(TINY_VOCAB, lowercase=True), "HELLO Café") == ["hello", "cafe"]
    assert tokens(BertTokenizer(TINY_VOCAB, lowercase=False), "Hello café hello") == [
        "Hello", "café", "hello",
    ]
    assert tokens(BertTokenizer(TINY_VOCAB, lowercase=False), "HELLO") == ["[UNK]"]


def test_punctuation_symbols_cjk_and_control_characters():
    tokenizer = BertTokenizer(TINY_VOCAB)
    assert tokens(tokenizer, "$hello^world`") == ["$", "hello", "^", "world", "`"]
    assert tokens(tokenizer, "中文hello") == ["中", "文", "hello"]
    # Control/format characters are deleted (joining the word), whitespace splits.
    assert tokens(tokenizer, "hel\u200blo wor\u00adld\ufeff") == ["hello", "world"]
    assert tokens(tokenizer, "hello\u3000world\u2028the\x00") == ["hello", "world", "the"]
    assert tokens(tokenizer, "unaffable") == ["un", "##aff", "##able"]


def test_special_token_strings_in_text_are_plain_text():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[", "]", "mask", "sep"]
    assert tokens(BertTokenizer(vocab), "[MASK] [SEP]") == ["[", "mask", "]", "[", "sep", "]"]


def test_words_over_200_characters_become_unk():
    tokenizer = BertTokenizer(TINY_VOCAB)
    assert tokens(tokenizer, "a" * 200) == ["a"] + ["##a"] * 199
    assert tokens(tokenizer, "a" * 201) == ["[UNK]"]
    # The limit counts characters, not bytes: 150 two-byte characters are still tokenized.
    assert len(tokens(tokenizer, "á" * 150)) == 150
    ids, starts, ends = tokenizer.tokenize_with_offsets(tf.constant(["x " + "b" * 300]))
    assert ids.to_list() == [[1, 1]]
    assert ends.to_list() == [[1, 302]]


def test_special_token_ids_come_from_the_vocabulary():
    vocab = ["hello", "[MASK]", "[SEP]", "[CLS]", "[UNK]", "[PAD]"]
    tokenizer = BertTokenizer(vocab)
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.cls_id) == (5, 4, 3)
    assert (tokenizer.sep_id, tokenizer.mask_id) == (2, 1)
    assert tokenizer.vocabulary_size == 6


def test_missing_special_tokens_name_the_tokens_and_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[PAD]\n[UNK]\n[CLS]\nhello\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vocab\.txt.*\[SEP\], \[MASK\]"):
        BertTokenizer(str(path))


def test_bad_vocabulary_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        BertTokenizer(str(tmp_path / "nope.txt"))
    with pytest.raises(ValueError, match="Duplicate token 'hello'"):
        BertTokenizer(TINY_VOCAB + ["hello"])
    with pytest.raises(ValueError, match="lowercase must be True or False"):
        BertTokenizer(TINY_VOCAB, lowercase="yes")


def test_reads_vocab_file_and_config_round_trip(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(path), lowercase=False, max_chars_per_word=50, name="tok")
    config = tokenizer.get_config()
    path.unlink()
    clone = BertTokenizer.from_config(config)
    assert config["vocabulary"] == TINY_VOCAB
    assert (clone.lowercase, clone.max_chars_per_word, clone.name) == (False, 50, "tok")
    text = tf.constant(["Hello café!"])
    assert clone(text).to_list() == tokenizer(text).to_list()


def test_scalar_input_and_tf_function_with_unknown_batch():
    tokenizer = BertTokenizer(TINY_VOCAB)
    assert tokenizer(tf.constant("hello!")).numpy().tolist() == [5, 8]
    empty = tokenizer.tokenize_with_offsets(tf.constant([], tf.string))
    assert [part.to_list() for part in empty] == [[], [], []]
    traced = tf.function(tokenizer, input_signature=[tf.TensorSpec([None], tf.string)])
    assert traced(tf.constant(["hello", "world!"])).to_list() == [[5], [6, 8]]
    with pytest.raises(ValueError, match=r"\[batch\] string tensor"):
        tokenizer(tf.constant([["hello"]]))


def _reference_normalize(text: str, lowercase: bool) -> str:
    text = "".join(
        c for c in text
        if c in "\t\n\r" or not (unicodedata.category(c).startswith("C") or c in "\x00\ufffd")
    )
    if not lowercase:
        return unicodedata.normalize("NFC", text)
    text = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


@pytest.mark.parametrize("vocab", ["uncased", "cased"])
def test_offsets_slice_back_to_each_token(vocab):
    lowercase = vocab == "uncased"
    tokenizer = BertTokenizer(str(VOCAB_FILES[vocab]), lowercase=lowercase)
    texts = list(parity_sample())
    ids, starts, ends = tokenizer.tokenize_with_offsets(tf.constant(texts))
    checked, wrong = 0, []
    for text, row_ids, row_starts, row_ends in zip(
        texts, ids.to_list(), starts.to_list(), ends.to_list()
    ):
        data = text.encode("utf-8")
        assert row_starts == sorted(row_starts) and all(s < e for s, e in zip(row_starts, row_ends))
        for token_id, start, end in zip(row_ids, row_starts, row_ends):
            token = tokenizer.vocabulary[token_id]
            if token == "[UNK]":
                continue
            original = data[start:end].decode("utf-8")
            surface = _reference_normalize(original, lowercase)
            piece = token.removeprefix("##")
            checked += 1
            # Offsets cannot split a character: a token that is part of one character's
            # normalization (a Hangul syllable -> jamo tokens) spans that character.
            if surface != piece and not (len(original) == 1 and piece in surface):
                wrong.append((text[:40], token, data[start:end]))
    assert checked > 5000
    assert not wrong, f"{len(wrong)} tokens slice wrongly, e.g. {wrong[:3]}"
