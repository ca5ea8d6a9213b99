"""CoNLL reader: samples, IOB1 -> IOB2, label lists, the full CoNLL-2003 files, errors."""

from __future__ import annotations

from collections import Counter

import pytest

from bert_keras.data import TaggedSentence, read_conll
from reader_testdata import (SHARED_DATA, TASKS, _reset_keras_state,  # noqa: F401
                             needs_shared_data, raises_data_error, write)

CONLL_LABELS = ("O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER")


def entity_counts(split) -> Counter:
    return Counter(tag[2:] for s in split.sentences for tag in s.tags if tag.startswith("B-"))


def test_train_sample_converts_iob1_to_iob2():
    split = read_conll(TASKS / "conll2003_train.txt")
    assert split.label_names == CONLL_LABELS
    assert len(split) == 4
    assert split.sentences[0] == TaggedSentence(
        ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
        ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"], 3)
    last = split.sentences[-1]
    assert last.line == 19 and len(last.words) == 30
    # "Golan Heights Israel": I-LOC I-LOC B-LOC in IOB1 -> B-LOC I-LOC B-LOC.
    golan = last.words.index("Golan")
    assert last.tags[golan:golan + 3] == ["B-LOC", "I-LOC", "B-LOC"]


def test_dev_sample_with_train_labels():
    train = read_conll(TASKS / "conll2003_train.txt")
    dev = read_conll(TASKS / "conll2003_dev.txt", label_names=train.label_names)
    assert len(dev) == 5 and dev.label_names == CONLL_LABELS
    assert dev.sentences[0].words[:3] == ["CRICKET", "-", "LEICESTERSHIRE"]
    # "Brazilian-born Spanish": I-MISC B-MISC (two touching entities) -> B-MISC B-MISC.
    spanish = dev.sentences[3]
    at = spanish.words.index("Brazilian-born")
    assert spanish.tags[at:at + 2] == ["B-MISC", "B-MISC"]
    assert dev.sentences[-1] == TaggedSentence(["--", "Dhaka", "Newsroom", "880-2-506363"],
                                               ["O", "B-ORG", "I-ORG", "O"], 87)


def test_chosen_column_and_iob2_input(tmp_path):
    chunks = read_conll(TASKS / "conll2003_train.txt", tag_column=2)
    assert chunks.sentences[0].tags[:3] == ["B-NP", "B-VP", "B-NP"]
    path = write(tmp_path / "iob2.txt", "Ada B-PER\nLovelace I-PER\nwrote O\n\n\n\nParis B-LOC\n")
    split = read_conll(path, scheme="iob2")
    assert [s.tags for s in split.sentences] == [["B-PER", "I-PER", "O"], ["B-LOC"]]
    assert [s.line for s in split.sentences] == [1, 7]
    assert split.label_names == ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


@pytest.mark.parametrize(
    "text, kwargs, line, fragments",
    [
        ("a DT O\nb NN\n", {}, 2,
         ["expected 3 whitespace-separated fields (as on line 1), found 2"]),
        ("a O\nb PER\n", {}, 2, ["tag 'PER' is not O, B-TYPE or I-TYPE"]),
        ("a O\nb X-PER\n", {}, 2, ["tag 'X-PER'"]),
        ("a O\nb I-PER\n", {"scheme": "iob2"}, 2,
         ["I-PER after O is not valid IOB2", "scheme='iob1'"]),
        ("a B-LOC\nb I-PER\n", {"scheme": "iob2"}, 2, ["I-PER after B-LOC"]),
        ("x O\n\na O\nb I-DATE\n", {"label_names": CONLL_LABELS}, 4, ["unknown tag 'B-DATE'"]),
        ("word\n", {}, 1, ["1 field(s): need the word (field 1) and the tag"]),
        ("a DT O\n", {"tag_column": 0}, 1, ["tag_column=0"]),
        ("-DOCSTART- -X- O O\n\n", {}, None, ["no sentences"]),
        ("\n \n", {}, None, ["empty file"]),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path, text, kwargs, line, fragments):
    path = write(tmp_path / "bad.conll", text)
    with raises_data_error(path, line, *fragments):
        read_conll(path, **kwargs)


def test_bad_arguments():
    with pytest.raises(ValueError, match="scheme must be one of"):
        read_conll(TASKS / "conll2003_train.txt", scheme="bioes")
    with pytest.raises(ValueError, match="duplicates"):
        read_conll(TASKS / "conll2003_train.txt", label_names=["O", "O"])


@needs_shared_data
def test_full_conll2003():
    train = read_conll(SHARED_DATA / "conll2003" / "eng.train")
    dev = read_conll(SHARED_DATA / "conll2003" / "eng.testa", label_names=train.label_names)
    assert train.label_names == CONLL_LABELS
    assert (len(train), sum(len(s.words) for s in train.sentences)) == (14041, 203621)
    assert (len(dev), sum(len(s.words) for s in dev.sentences)) == (3250, 51362)
    assert entity_counts(train) == {"PER": 6600, "LOC": 7140, "ORG": 6321, "MISC": 3438}
    assert entity_counts(dev) == {"PER": 1842, "LOC": 1837, "ORG": 1341, "MISC": 922}
    assert sum(entity_counts(dev).values()) == 5942
