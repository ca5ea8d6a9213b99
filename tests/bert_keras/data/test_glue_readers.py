"""GLUE readers on the shipped samples, on the full shared files, and on broken files."""

from __future__ import annotations

import pytest

from bert_keras.data import GLUE_TASKS, TextExample, glue_task, read_glue
from reader_testdata import (SHARED_DATA, TASKS, _reset_keras_state,  # noqa: F401
                             needs_shared_data, raises_data_error, write)


def test_sst2_sample():
    split = read_glue("sst2", TASKS / "sst2_train.tsv")
    assert split.label_names == ("negative", "positive")
    assert len(split) == 40 and sum(e.label for e in split.examples) == 19
    assert split.examples[0] == TextExample("hide new secretions from the parental units ",
                                            None, 0, 2)
    assert split.examples[-1] == TextExample("sharply ", None, 1, 41)


def test_mrpc_sample_with_bom_and_quotes():
    split = read_glue("MRPC", TASKS / "mrpc_dev.tsv")
    assert split.label_names == ("not_equivalent", "equivalent")
    assert len(split) == 40 and sum(e.label for e in split.examples) == 25
    first = split.examples[0]
    assert first.text.startswith("He said the foodservice pie business doesn't fit")
    assert first.text_pair == ('"The foodservice pie business does not fit our long-term '
                               'growth strategy.')
    assert (first.label, first.line) == (1, 2)
    assert split.examples[-1].text_pair.endswith('"this Bush administration chose to settle '
                                                 'old scores."')


def test_rte_sample_numeric_and_named_labels(tmp_path):
    split = read_glue("rte", TASKS / "rte_train.tsv")
    assert split.label_names == ("entailment", "not_entailment")
    assert len(split) == 40 and sum(e.label for e in split.examples) == 19
    assert split.examples[0] == TextExample(
        "No Weapons of Mass Destruction Found in Iraq Yet.",
        "Weapons of Mass Destruction Found in Iraq.", 1, 2)
    assert split.examples[-1].text_pair == "King Edward VIII abdicated in December 1936."
    assert split.examples[-1].label == 0
    glue_layout = write(tmp_path / "dev.tsv", "index\tsentence1\tsentence2\tlabel\n"
                                   "0\tA cat sat.\tA cat is sitting.\tentailment\n"
                                   "1\tA cat sat.\tNo cat.\tnot_entailment\n")
    assert [e.label for e in read_glue("rte", glue_layout).examples] == [0, 1]


def test_stsb_original_layout_sample_ignores_extra_fields():
    split = read_glue("STS-B", TASKS / "stsb_sts-train.tsv")
    assert split.label_names is None and len(split) == 40
    assert split.examples[0] == TextExample("A plane is taking off.",
                                            "An air plane is taking off.", 5.0, 1)
    # The last ten lines carry two extra source fields.
    assert split.examples[-1] == TextExample("Boston bombing suspect buried in Virginia",
                                             "Boston bomb suspect buried in Virginia cemetery",
                                             5.0, 40)


def test_stsb_glue_layout(tmp_path):
    path = write(tmp_path / "train.tsv",
                 "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\t"
                 "sentence2\tscore\n"
                 "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off."
                 "\tAn air plane is taking off.\t5.000\n"
                 "1\tmain-captions\tMSRvid\t2012test\t0004\tnone\tnone\tA man is playing a "
                 "large flute.\tA man is playing a flute.\t3.800\n")
    split = read_glue("stsb", path)
    assert [(e.text_pair, e.label, e.line) for e in split.examples] == [
        ("An air plane is taking off.", 5.0, 2), ("A man is playing a flute.", 3.8, 3)]


def test_task_names():
    assert glue_task("sts_b") is GLUE_TASKS["stsb"]
    with pytest.raises(ValueError, match="Unknown GLUE task 'cola'"):
        glue_task("cola")


@pytest.mark.parametrize(
    "task, text, line, fragments",
    [
        ("sst2", "sentence\tlabel\ngood\t1\nbad\tneg\n", 3,
         ["column 'label'", "unknown sst2 label 'neg'", "0, 1"]),
        ("sst2", "text\tlabel\ngood\t1\n", 1, ["missing column 'sentence'"]),
        ("mrpc", "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta\n", 2,
         ["expected 5 tab-separated fields, found 4"]),
        ("rte", "sentence1\tsentence2\tlabel\tidx\na\tb\tcontradiction\t0\n", 2,
         ["unknown rte label 'contradiction'"]),
        ("rte", "sentence1\tsentence2\tlabel\tidx\na\t\t0\t0\n", 2,
         ["empty text in column 'sentence2'"]),
        ("stsb", "g\tf\ty\t1\t5.5\ta\tb\n", 1, ["field 5", "score '5.5' outside [0, 5]"]),
        ("stsb", "g\tf\ty\t1\t2.0\ta\tb\ng\tf\ty\t2\tlow\ta\tb\n", 2,
         ["field 5", "label 'low' is not a number"]),
        ("stsb", "g\tf\ty\t1\t2.0\ta\tb\ng\tf\ty\t2\t1.0\ta\n", 2,
         ["expected at least 7 tab-separated fields, found 6"]),
        ("stsb", "sentence1\tsentence2\n", 1, ["neither a GLUE STS-B header"]),
        ("sst2", "", None, ["empty file"]),
        ("stsb", "", None, ["empty file"]),
        ("stsb", "\ng\tf\ty\t1\t2.0\ta\tb\n", 1, ["blank line"]),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path, task, text, line, fragments):
    path = write(tmp_path / f"{task}.tsv", text)
    with raises_data_error(path, line, *fragments):
        read_glue(task, path)


@pytest.mark.parametrize(
    "task, file, count, positives",
    [
        ("sst2", "sst2/train.tsv", 67349, 37569),
        ("sst2", "sst2/dev.tsv", 872, 444),
        ("mrpc", "mrpc/train.tsv", 3668, 2474),
        ("mrpc", "mrpc/dev.tsv", 408, 279),
        ("rte", "rte/train.tsv", 2490, 1241),  # label 1 = not_entailment
        ("rte", "rte/dev.tsv", 277, 131),
    ],
)
@needs_shared_data
def test_full_classification_files(task, file, count, positives):
    split = read_glue(task, SHARED_DATA / file)
    assert len(split) == count
    assert sum(example.label for example in split.examples) == positives
    assert split.examples[-1].line == count + 1


@pytest.mark.parametrize("file, count", [("stsb/sts-train.tsv", 5749), ("stsb/sts-dev.tsv", 1500)])
@needs_shared_data
def test_full_stsb_files(file, count):
    split = read_glue("stsb", SHARED_DATA / file)
    scores = [example.label for example in split.examples]
    assert len(split) == count and min(scores) == 0.0 and max(scores) == 5.0
