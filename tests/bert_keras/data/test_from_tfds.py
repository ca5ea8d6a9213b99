"""TFDS examples (as `tfds.as_numpy` yields them) written to files the task readers accept, and
`task_files` falling back to the shipped samples when TFDS is missing or offline."""

import sys
import types

import pytest

from bert_keras.data import read_conll, read_glue, read_squad
from bert_keras.data import from_tfds
from bert_keras.samples import SAMPLE_FILES, sample_path, task_files

NER_NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def test_sst2_rows_read_back(tmp_path):
    path = str(tmp_path / "train.tsv")
    examples = [{"idx": 0, "label": 1, "sentence": b"a gripping , funny film "},
                {"idx": 1, "label": 0, "sentence": "dull\tand long".encode()}]
    assert from_tfds.write_sst2(examples, path) == 2
    split = read_glue("SST-2", path)
    assert [(e.text, e.label) for e in split.examples] == [
        ("a gripping , funny film ", 1), ("dull and long", 0)]


def test_conll_tags_read_back_as_iob2(tmp_path):
    path = str(tmp_path / "train.txt")
    examples = [{"tokens": [b"EU", b"rejects", b"German", b"call"], "ner": [3, 0, 7, 0]},
                {"tokens": [], "ner": []},
                {"tokens": [b"Peter", b"Blackburn"], "ner": [1, 2]}]
    assert from_tfds.write_conll(examples, NER_NAMES, path) == 2
    split = read_conll(path)
    assert [s.words for s in split.sentences] == [["EU", "rejects", "German", "call"],
                                                  ["Peter", "Blackburn"]]
    assert [s.tags for s in split.sentences] == [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"]]
    with pytest.raises(ValueError, match="sentence 1: 2 tokens but 1 tags"):
        from_tfds.write_conll([{"tokens": [b"a", b"b"], "ner": [0]}], NER_NAMES, path)


def test_squad_questions_grouped_by_article_and_paragraph(tmp_path):
    path = str(tmp_path / "train.json")
    context = "Ada Lovelace wrote the first program in 1843."
    examples = [
        {"id": b"q1", "title": b"Ada", "context": context.encode(), "question": b"Who?",
         "answers": {"text": [b"Ada Lovelace"], "answer_start": [0]}},
        {"id": b"q2", "title": b"Ada", "context": context.encode(), "question": b"When?",
         "answers": {"text": [b"1843", b"in 1843"], "answer_start": [40, 37]}},
        {"id": b"q3", "title": b"Other", "context": b"Paris is in France.",
         "question": b"Where is Paris?", "answers": {"text": [b"France"], "answer_start": [12]}},
    ]
    assert from_tfds.write_squad(examples, path) == 3
    questions = read_squad(path)
    assert [(q.id, q.title, q.answer_texts) for q in questions] == [
        ("q1", "Ada", ["Ada Lovelace"]), ("q2", "Ada", ["1843", "in 1843"]),
        ("q3", "Other", ["France"])]


def test_shipped_samples_read(tmp_path):
    assert len(read_glue("SST-2", sample_path("sst2_train_sample.tsv")).examples) == 2000
    train = read_conll(sample_path("conll2003_train_sample.txt"))
    dev = read_conll(sample_path("conll2003_dev_sample.txt"), label_names=train.label_names)
    assert len(train.sentences) > 400 and len(dev.sentences) > 150
    assert len({q.title for q in read_squad(sample_path("squad_v1.1_sample.json"))}) == 4
    with pytest.raises(FileNotFoundError, match="no shipped sample 'nope.txt'"):
        sample_path("nope.txt")


def test_task_files_falls_back_to_samples_when_tfds_fails(tmp_path, monkeypatch, capsys):
    failing = types.ModuleType("tensorflow_datasets")

    def load(*args, **kwargs):
        raise ConnectionError("no network")

    failing.load = load
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", failing)
    files = task_files("squad", cache_dir=str(tmp_path))
    assert (files.train, files.dev, files.source) == (
        sample_path(SAMPLE_FILES["squad"][0]), None, "shipped sample")
    assert "ConnectionError: no network); using the shipped squad sample" in capsys.readouterr().out
    with pytest.raises(ConnectionError):
        task_files("squad", use_tfds=True, cache_dir=str(tmp_path))


def test_task_files_uses_tfds_and_caches(tmp_path, monkeypatch):
    """A stand-in `tensorflow_datasets` module with TFDS's API shape: load(name, split=[...],
    with_info=True) -> (splits, info), as_numpy(split) -> examples."""
    calls = []
    fake = types.ModuleType("tensorflow_datasets")

    def load(name, split, with_info):
        calls.append((name, tuple(split)))
        rows = {"train": [{"sentence": b"good", "label": 1}],
                "validation": [{"sentence": b"bad", "label": 0}]}
        return [rows[s] for s in split], None

    fake.load, fake.as_numpy = load, lambda split: split
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    for _ in range(2):
        files = task_files("sst2", cache_dir=str(tmp_path))
    assert calls == [("glue/sst2", ("train", "validation"))]  # the second call reads the cache
    assert files.source == "tfds glue/sst2"
    assert [e.text for e in read_glue("SST-2", files.dev).examples] == ["bad"]
    with pytest.raises(ValueError, match="unknown task 'mnli'"):
        task_files("mnli")
