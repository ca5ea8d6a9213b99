"""SQuAD reader: the shipped v1.1 sample, v2.0 questions, answer checks, splits by article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bert_keras.data import gold_answers, read_squad, split_by_title
from reader_testdata import (SHARED_DATA, TASKS, _reset_keras_state,  # noqa: F401
                             needs_shared_data, raises_data_error, write)


def squad_file(tmp_path: Path, paragraphs_by_title: dict) -> Path:
    data = [{"title": t, "paragraphs": p} for t, p in paragraphs_by_title.items()]
    return write(tmp_path / "squad.json", json.dumps({"version": "v2.0", "data": data}))


def qa(qid: str, answers: list[tuple[str, int]], **extra) -> dict:
    return {"id": qid, "question": f"{qid}?",
            "answers": [{"text": t, "answer_start": s} for t, s in answers], **extra}


def test_v1_sample():
    examples = read_squad(TASKS / "squad_v1.1_sample.json")
    assert len(examples) == 15
    first, last = examples[0], examples[-1]
    assert (first.id, first.title) == ("5733be284776f41900661182", "University_of_Notre_Dame")
    assert first.question == ("To whom did the Virgin Mary allegedly appear in 1858 in "
                              "Lourdes France?")
    assert (first.answer_texts, first.answer_starts) == (["Saint Bernadette Soubirous"], [515])
    assert (last.id, last.title, last.is_impossible) == ("5733f0e34776f41900661573", "Montana",
                                                         False)
    assert last.context[103:103 + len(last.answer_texts[0])] == "from the Spanish word montaña"
    assert gold_answers(examples)[last.id] == ["from the Spanish word montaña"]


def test_v2_unanswerable_and_several_answers(tmp_path):
    context = "Ada Lovelace wrote the first program in 1843."
    path = squad_file(tmp_path, {"Ada": [{"context": context, "qas": [
        qa("a", [("Ada Lovelace", 0), ("Lovelace", 4)]),
        qa("b", [], is_impossible=True,
           plausible_answers=[{"text": "nowhere", "answer_start": 99}]),
    ]}]})
    answered, impossible = read_squad(path)
    assert (answered.answer_texts, answered.answer_starts) == (["Ada Lovelace", "Lovelace"], [0, 4])
    assert (impossible.is_impossible, impossible.answer_texts) == (True, [])
    assert gold_answers([answered, impossible]) == {"a": ["Ada Lovelace", "Lovelace"], "b": []}


@pytest.mark.parametrize(
    "qas, fragments",
    [
        ([qa("x", [("Ada", 1)]), qa("y", [("wrote", 0)]), qa("z", [("Ada", 0)])],
         ["2 answer(s) are not at their answer_start", "first: question 'x'",
          "data[0].paragraphs[0].qas[0]", "answer 'Ada' but the context has 'da ' at 1"]),
        ([qa("x", [("Ada", 0)]), qa("x", [("Ada", 0)])],
         ["data[0].paragraphs[0].qas[1]", "duplicate question id 'x'"]),
        ([qa("x", [])], ["qas[0] (id 'x'): no answers (and not is_impossible)"]),
        ([qa("x", [("Ada", 0)], is_impossible=True)], ["is_impossible but has 1 answer(s)"]),
        ([qa("x", [("Ada", 0)], is_impossible="no")], ["'is_impossible' must be true or false"]),
        ([{"id": "x", "answers": []}], ["qas[0] (id 'x'): missing key 'question'"]),
        ([{"id": 5, "question": "q", "answers": []}], ["qas[0]: 'id' must be str, found int"]),
        ([qa("x", [("Ada", "0")])], ["answers[0]: 'answer_start' must be int, found str"]),
        ([], ["no questions"]),
    ],
)
def test_errors_name_file_json_path_and_problem(tmp_path, qas, fragments):
    path = squad_file(tmp_path, {"Ada": [{"context": "Ada wrote.", "qas": qas}]})
    with raises_data_error(path, None, *fragments):
        read_squad(path)


def test_invalid_json_names_its_line(tmp_path):
    path = write(tmp_path / "broken.json", '{"data": [\n  {"title": "A",\n  "paragraphs": [}\n]}')
    with raises_data_error(path, 3, "invalid JSON"):
        read_squad(path)
    not_squad = write(tmp_path / "list.json", "[1, 2]")
    with raises_data_error(not_squad, None, "the top level: expected a JSON object, found list"):
        read_squad(not_squad)


def test_split_by_title_holds_out_whole_articles():
    examples = read_squad(TASKS / "squad_v1.1_sample.json")
    kept, held_out = split_by_title(examples, held_out=0.5, seed=1)
    held_out_titles = {e.title for e in held_out}
    assert len(held_out_titles) == 1
    assert held_out == [e for e in examples if e.title in held_out_titles]
    assert kept == [e for e in examples if e.title not in held_out_titles]
    assert split_by_title(examples, 0.5, seed=1) == (kept, held_out)
    with pytest.raises(ValueError, match="cannot hold out 2 of 2"):
        split_by_title(examples, 0.9)
    with pytest.raises(ValueError, match="fraction"):
        split_by_title(examples, 1.0)


@needs_shared_data
def test_full_squad_subset():
    examples = read_squad(SHARED_DATA / "squad_v1.1_train_subset"
                          / "train-v1.1-subset-44articles.json")
    assert len(examples) == 11877
    assert len({e.title for e in examples}) == 44
    assert examples[0].id == "5733be284776f41900661182"
    kept, held_out = split_by_title(examples, held_out=0.1)
    assert len({e.title for e in held_out}) == 4
    assert {e.title for e in kept}.isdisjoint({e.title for e in held_out})
