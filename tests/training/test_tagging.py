"""The token-classification (NER) recipe: sub-word alignment, evaluation, a tiny run end to end."""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.cli import main as cli_main
from bert_keras.data import DataError
from bert_keras.text import BertTokenizer
from bert_keras.training.finetune import Run, finetune
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.metrics import entity_scores
from bert_keras.training.tasks import get_recipe
from bert_keras.training.tasks.tagging import (EVAL_BATCH_SIZE, TaggingExample, encode_words,
                                               word_tags)
from task_samples import SHARED_DATA

DATA = pathlib.Path(__file__).parents[1] / "data"
TRAIN = str(DATA / "tasks" / "conll2003_train.txt")
DEV = str(DATA / "tasks" / "conll2003_dev.txt")
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
REAL_DEV = SHARED_DATA / "conll2003" / "eng.testa"

# "johanson" -> jo ##han ##son, "newyorker" -> new ##york ##er; "\u00ad" (soft hyphen) has none.
SMALL_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "jo", "##han", "##son", "lives",
               "in", "new", "##york", "##er", "."]
NAMES = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


def _encode(sentences, tags, seq_length):
    return encode_words(tf.ragged.constant(sentences), tf.ragged.constant(tags, tf.int32),
                        BertTokenizer(SMALL_VOCAB), seq_length)


def test_labels_on_first_sub_words_only():
    inputs, labels, weights, positions = _encode(
        [["Johanson", "lives", "in", "Newyorker", "."], ["\u00ad", "in"]],
        [[3, 0, 0, 1, 0], [3, 0]], seq_length=16)
    #            [CLS] jo ##han ##son lives in new ##york ##er  .  [SEP]
    assert inputs["input_word_ids"].numpy().tolist() == [
        [2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 3],
        [2, 1, 9, 3, 0, 0, 0, 0, 0, 0, 0]]  # the soft hyphen is [UNK]; padding to the longest
    assert labels.numpy().tolist() == [[0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0],
                                       [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
    assert weights.numpy().tolist() == [[0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0],
                                        [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]]
    assert positions.to_list() == [[1, 4, 5, 6, 9], [1, 2]]
    assert inputs["input_mask"].numpy().sum(axis=1).tolist() == [11, 4]


def test_truncation_keeps_sep_and_alignment():
    inputs, labels, weights, positions = _encode(
        [["Johanson", "lives", "in", "Newyorker", "."]], [[3, 0, 0, 1, 0]], seq_length=8)
    # Room for 6 sub-words: "Newyorker" keeps its first two, "." is cut.
    assert inputs["input_word_ids"].numpy().tolist() == [[2, 5, 6, 7, 8, 9, 10, 3]]
    assert labels.numpy().tolist() == [[0, 3, 0, 0, 0, 0, 1, 0]]
    assert weights.numpy().tolist() == [[0, 1, 0, 0, 1, 1, 1, 0]]
    assert positions.to_list() == [[1, 4, 5, 6, -1]]
    assert word_tags(labels.numpy(), positions.to_list(), NAMES) == [
        ["B-PER", "O", "O", "B-LOC", "O"]]
    with pytest.raises(ValueError, match="seq_length must be at least 3"):
        _encode([["in"]], [[0]], seq_length=2)


def _records(count=7):
    return [TaggingExample(("jo", "in") * (i + 1), (3, 0) * (i + 1)) for i in range(count)]


def test_dataset_batches_shuffle_and_drop_remainder():
    recipe, tokenizer = get_recipe("conll2003"), BertTokenizer(SMALL_VOCAB)

    def lengths(seed, shuffle=True, drop=False):
        dataset = recipe.dataset(_records(), tokenizer, 32, 2, shuffle=shuffle, seed=seed,
                                 drop_remainder=drop)
        batches = list(dataset)
        for inputs, labels, weights in batches:
            assert weights.shape == labels.shape == inputs["input_word_ids"].shape
        return [w.numpy().sum(axis=1).tolist() for _, _, w in batches]  # words per sentence

    shuffled = lengths(0)
    assert shuffled == lengths(0)  # seeded: the same order every time (resume relies on it)
    assert [len(batch) for batch in shuffled] == [2, 2, 2, 1]
    assert sorted(sum(shuffled, [])) == [2, 4, 6, 8, 10, 12, 14]
    other = lengths(1, drop=True)
    assert [len(batch) for batch in other] == [2, 2, 2] and other != shuffled[:3]


class _FixedModel:
    """Stands in for a model: returns given label ids, one batch after another, as logits."""

    def __init__(self, batches, num_labels):
        self._batches = iter(batches)
        self._num_labels = num_labels

    def predict_on_batch(self, inputs):
        ids = next(self._batches)
        assert ids.shape == inputs["input_word_ids"].shape
        return tf.one_hot(ids, self._num_labels).numpy()


def _gold_model(recipe, records, tokenizer, seq_length, num_labels):
    dataset = recipe.dataset(records, tokenizer, seq_length, EVAL_BATCH_SIZE, shuffle=False,
                             seed=0)
    return _FixedModel([labels.numpy() for _, labels, _ in dataset], num_labels)


@pytest.mark.parametrize("dev, seq_length", [(DEV, 512), (DEV, 10), (str(REAL_DEV), 48)],
                         ids=["sample", "sample_truncated", "real_eng_testa_truncated"])
def test_gold_labels_decode_back_to_the_gold_tags(dev, seq_length):
    if not pathlib.Path(dev).exists():
        pytest.skip("../shared/data is not present (fresh clone)")
    recipe, tokenizer = get_recipe("conll2003"), BertTokenizer(VOCAB)
    data = recipe.read(None, dev, dev, {})
    model = _gold_model(recipe, data.dev, tokenizer, seq_length, len(data.label_names))
    result = recipe.evaluate(model, data.dev, tokenizer, seq_length, data.label_names)
    # Independently: a word is cut when its first sub-word does not fit before [SEP].
    words = [word for record in data.dev for word in record.words]
    sub_words = iter(tokenizer(tf.constant(words)).row_lengths().numpy())
    gold, expected, truncated = [], [], 0
    for record in data.dev:
        pieces = np.array([next(sub_words) for _ in record.words])
        fits = 1 + np.cumsum(pieces) - pieces <= seq_length - 2
        gold.append([data.label_names[i] for i in record.tag_ids])
        expected.append([tag if fit else "O" for tag, fit in zip(gold[-1], fits)])
        truncated += int((~fits).sum())
    correct = sum(g == e for gs, es in zip(gold, expected) for g, e in zip(gs, es))
    assert result == {**entity_scores(gold, expected), "truncated_words": truncated,
                      "token_accuracy": correct / sum(map(len, gold))}
    if seq_length == 512:
        assert result == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "token_accuracy": 1.0,
                          "truncated_words": 0.0}
    else:
        assert truncated > 0 and result["recall"] < 1.0


def test_evaluate_hand_checked_case():
    recipe, tokenizer = get_recipe("conll2003"), BertTokenizer(SMALL_VOCAB)
    records = [TaggingExample(("Johanson", "lives", "in", "Newyorker"), (3, 0, 0, 1)),
               TaggingExample(("Jo", "Newyorker", "in", "."), (3, 4, 0, 0))]
    # Predicted: B-PER O O B-PER (1 of 2 entities right) and B-PER O O O (the PER is cut short).
    predicted = np.zeros([2, 10], np.int64)
    predicted[0, [1, 4, 5, 6]] = [3, 0, 0, 3]
    predicted[1, [1, 2, 5, 6]] = [3, 0, 0, 0]
    result = recipe.evaluate(_FixedModel([predicted], len(NAMES)), records, tokenizer, 16, NAMES)
    # Gold entities: PER, LOC, PER (2 words); predicted: PER (right), PER, PER (1 word).
    assert result == pytest.approx({"precision": 1 / 3, "recall": 1 / 3, "f1": 1 / 3,
                                    "token_accuracy": 6 / 8, "truncated_words": 0.0})


def test_read_files_and_errors(tmp_path):
    recipe = get_recipe("conll2003")
    for train_name, dev_name in (("eng.train", "eng.testa"), ("train.txt", "dev.txt")):
        folder = tmp_path / train_name
        folder.mkdir()
        shutil.copy(TRAIN, folder / train_name)
        shutil.copy(DEV, folder / dev_name)
        data = recipe.read(str(folder), None, None, {})
        assert (len(data.train), len(data.dev)) == (4, 5)
        assert data.label_names == ("O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG",
                                    "B-PER", "I-PER")
    with pytest.raises(DataError, match="none of eng.testa, dev.txt found"):
        recipe.read(str(tmp_path), TRAIN, None, {})
    with pytest.raises(ValueError, match="needs --data-dir"):
        recipe.read(None, TRAIN, None, {})


def test_unknown_dev_tag_is_an_error_naming_file_and_line(tmp_path, capsys):
    dev = tmp_path / "dev.txt"
    dev.write_text("EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nMars NNP I-NP I-PLANET\n",
                   encoding="utf-8")
    code = cli_main(["finetune", "--task", "conll2003", "--init", "random:tiny", "--vocab", VOCAB,
                     "--train-file", TRAIN, "--dev-file", str(dev),
                     "--output-dir", str(tmp_path / "run")])
    assert code == 2
    assert "dev.txt:3: unknown tag 'B-PLANET'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("conll2003")
    result = finetune("conll2003", "random:tiny", str(output_dir), train_file=TRAIN, dev_file=DEV,
                      vocab=VOCAB, verbose=0, options=FinetuneOptions(
                          seq_length=32, batch_size=2, epochs=1, learning_rate=1e-3))
    return output_dir, result


def test_end_to_end(tiny_run):
    output_dir, result = tiny_run
    assert set(result) == {"precision", "recall", "f1", "token_accuracy", "truncated_words"}
    assert 0.0 <= result["f1"] <= 1.0 and 0.0 < result["token_accuracy"] <= 1.0
    for name in ("model.keras", "vocab.txt", "task.json", "metrics.json", "history.csv"):
        assert (output_dir / name).exists(), name
    assert json.loads((output_dir / "metrics.json").read_text()) == pytest.approx(result)
    history = (output_dir / "history.csv").read_text().splitlines()
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history[0].split(","))
    run = Run.load(str(output_dir))  # self-contained: no other file needed
    assert run.evaluate(dev_file=DEV) == pytest.approx(result, abs=1e-9)
    lines = run.predict(["Peter Blackburn lives in Brussels", "", "EU"])
    assert len(lines) == 3 and lines[1] == ""
    assert [pair.rsplit("/", 1)[0] for pair in lines[0].split()] == [
        "Peter", "Blackburn", "lives", "in", "Brussels"]
    assert all(pair.rsplit("/", 1)[1] in run.spec.label_names for pair in lines[0].split())
