"""`bert-keras vocab build` and the vocabulary builder behind it."""

from __future__ import annotations

import argparse

import pytest
import tensorflow as tf

from bert_keras.cli import main
from bert_keras.cli import vocab as cli
from bert_keras.text import BertTokenizer
from bert_keras.text.vocab_builder import build_vocabulary, count_words

CORPUS = (
    "The quick brown fox jumps over the lazy dog.\n"
    "Über café: the dogs were jumping, the foxes were quick!\n"
    "Quickly, quicker, quickest; jumping jumped jumps.\n"
) * 20


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bert-keras")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_count_words_uses_bert_basic_tokenization(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("Café, CAFÉ!\nnaïve\n", encoding="utf-8")
    assert count_words([path], lowercase=True) == {"cafe": 2, ",": 1, "!": 1, "naive": 1}
    assert count_words([path], lowercase=False)["CAFÉ"] == 1


def test_cli_builds_a_vocabulary_the_tokenizer_can_use(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    output = tmp_path / "vocab.txt"

    args = ["--input", str(corpus), "--output", str(output), "--vocab-size", "120"]
    assert run_cli(["vocab", "build", *args]) == 0

    tokens = output.read_text(encoding="utf-8").splitlines()
    assert tokens[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert 5 < len(tokens) <= 120 and len(set(tokens)) == len(tokens)
    assert "the" in tokens and "uber" in tokens and "Über" not in tokens
    captured = capsys.readouterr()
    assert "100% read" in captured.err and f"to {output}" in captured.out
    ids = BertTokenizer(str(output))(tf.constant(["The quick dogs!"]))
    assert tokens.index("[UNK]") not in ids.flat_values.numpy().tolist()


def test_cased_flag_keeps_case(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    output = tmp_path / "vocab.txt"
    args = ["--input", str(corpus), "--output", str(output), "--vocab-size", "150", "--cased"]
    assert run_cli(["vocab", "build", *args]) == 0
    assert "The" in output.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "content, message",
    [(None, "Input file not found: .*missing.txt"), ("", "Input file is empty: .*empty.txt")],
)
def test_bad_input_files_are_named(tmp_path, capsys, content, message):
    path = tmp_path / ("missing.txt" if content is None else "empty.txt")
    if content is not None:
        path.write_text(content, encoding="utf-8")
    args = ["--input", str(path), "--output", str(tmp_path / "v.txt")]
    assert main(["vocab", "build", *args]) == 2
    assert capsys.readouterr().err.startswith("bert-keras vocab build: error: ")
    with pytest.raises((FileNotFoundError, ValueError), match=message):
        build_vocabulary([path], vocab_size=100)


def test_bad_vocab_size(tmp_path):
    with pytest.raises(ValueError, match="vocab_size must be an int > 5, got 3"):
        build_vocabulary([tmp_path / "x.txt"], vocab_size=3)
