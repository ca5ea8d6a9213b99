"""Generic TSV / CSV / JSON Lines reader: columns, label vocabularies, regression, errors."""

from __future__ import annotations

import pytest

from bert_keras.data import TextExample, read_table
from bert_keras.data.columns import read_columns
from reader_testdata import _reset_keras_state, raises_data_error, write  # noqa: F401


def test_csv_quoting_pairs_and_discovered_labels(tmp_path):
    train = write(tmp_path / "train.csv", 'premise,hypothesis,label\n'
                               '"A, b","He said ""hi""",entailment\n'
                               '"two\nlines",x,neutral\n'
                               'c,d,entailment\n')
    split = read_table(train, ["premise", "hypothesis"], "label")
    assert split.label_names == ("entailment", "neutral")
    assert split.examples == [
        TextExample("A, b", 'He said "hi"', 0, 2),
        TextExample("two\nlines", "x", 1, 3),
        TextExample("c", "d", 0, 5),
    ]


def test_tsv_has_no_quoting_and_keeps_unicode_line_separators(tmp_path):
    path = write(tmp_path / "data.tsv", 'text\tlabel\r\n"quoted\u2028still one line\t1\r\n')
    [example] = read_table(path, "text", "label").examples
    assert example == TextExample('"quoted\u2028still one line', None, 0, 2)


def test_integer_labels_sort_numerically_and_dev_is_checked(tmp_path):
    train = read_table(write(tmp_path / "train.tsv", "s\ty\na\t10\nb\t2\nc\t-1\n"), "s", "y")
    assert train.label_names == ("-1", "2", "10")
    assert [e.label for e in train.examples] == [2, 1, 0]
    dev = write(tmp_path / "dev.tsv", "s\ty\na\t2\nb\t3\n")
    with raises_data_error(dev, 3, "column 'y'", "unknown label '3'", "-1, 2, 10"):
        read_table(dev, "s", "y", label_names=train.label_names)


def test_jsonl_keys_integer_labels_and_regression(tmp_path):
    path = write(tmp_path / "data.jsonl", '{"q": "a?", "r": "b", "score": 3, "cls": 1}\n'
                               '{"q": "c?", "r": "d", "score": "0.5", "cls": "1"}\n')
    regression = read_table(path, ["q", "r"], "score", regression=True)
    assert regression.label_names is None
    assert [(e.text_pair, e.label, e.line) for e in regression.examples] == [("b", 3.0, 1),
                                                                             ("d", 0.5, 2)]
    classes = read_table(path, "q", "cls")
    assert classes.label_names == ("1",) and [e.label for e in classes.examples] == [0, 0]


def test_headerless_columns_by_index(tmp_path):
    path = write(tmp_path / "data.txt", "x\tfirst\t0\ny\tsecond\t1\n")
    split = read_table(path, 1, 2, file_format="tsv", header=False)
    assert [(e.text, e.label) for e in split.examples] == [("first", 0), ("second", 1)]


@pytest.mark.parametrize(
    "name, text, line, fragments",
    [
        ("missing.tsv", "text\tstars\nx\t1\n", 1, ["missing column 'label'", "text, stars"]),
        ("width.tsv", "text\tlabel\nok\t1\nbad\t1\textra\n", 3,
         ["expected 2 tab-separated fields, found 3"]),
        ("short.csv", "text,label\nok,1\nbad\n", 3, ["expected 2 comma-separated fields, found 1"]),
        ("blank.tsv", "text\tlabel\nok\t1\n\nlate\t0\n", 3, ["blank line"]),
        ("empty_text.tsv", "text\tlabel\n  \t1\n", 2, ["empty text in column 'text'"]),
        ("header_only.tsv", "text\tlabel\n", None, ["no data lines"]),
        ("empty.tsv", "\n\n", None, ["empty file"]),
        ("broken.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": \n', 2,
         ["invalid JSON"]),
        ("keyless.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n', 2,
         ["missing key 'label'"]),
        ("not_object.jsonl", '["a", 1]\n', 1, ["expected a JSON object, found list"]),
        ("not_text.jsonl", '{"text": 5, "label": 1}\n', 1,
         ["column 'text' must be text, found int"]),
        ("float_class.jsonl", '{"text": "a", "label": 0.5}\n', 1,
         ["column 'label'", "0.5 is not text or an integer"]),
        ("quote.csv", 'text,label\n"open,1\n', 2, ["malformed CSV"]),
        ("mac.tsv", "text\tlabel\rgood\t1\rbad\t0\r", 1,
         ["lines end with a bare carriage return", "\\n line endings"]),
        ("mac.jsonl", '{"text": "a", "label": 1}\r{"text": "b", "label": 0}\r', 1,
         ["lines end with a bare carriage return"]),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path, name, text, line, fragments):
    path = write(tmp_path / name, text)
    with raises_data_error(path, line, *fragments):
        read_table(path, "text", "label")


def test_a_long_header_is_not_quoted_whole(tmp_path):
    path = write(tmp_path / "wide.tsv", "\t".join(f"column_{i}_" + "x" * 50 for i in range(500))
                 + "\n" + "\t".join("1" * 500) + "\n")
    with raises_data_error(path, 1, "missing column 'text'", "column_0_", "(500 columns)") as error:
        read_table(path, "text", "label")
    assert len(error.value.problem) < 500  # the header itself has 30,000 characters


@pytest.mark.parametrize("value, problem", [("high", "label 'high' is not a number"),
                                            ("nan", "label 'nan' is not a finite number")])
def test_regression_label_errors(tmp_path, value, problem):
    path = write(tmp_path / "scores.tsv", f"text\tlabel\nok\t1.5\nbad\t{value}\n")
    with raises_data_error(path, 3, "column 'label'", problem):
        read_table(path, "text", "label", regression=True)


def test_invalid_utf8_names_its_line(tmp_path):
    path = write(tmp_path / "latin1.tsv", "text\tlabel\nok\t1\ncaf\xe9\t0\n".encode("latin-1"))
    with raises_data_error(path, 3, "not valid UTF-8"):
        read_table(path, "text", "label")


def test_unknown_extension_and_bad_arguments(tmp_path):
    path = write(tmp_path / "data.txt", "text\tlabel\nok\t1\n")
    with raises_data_error(path, None, "pass file_format="):
        read_table(path, "text", "label")
    with pytest.raises(ValueError, match="duplicates"):
        read_table(path, "text", "label", file_format="tsv", label_names=["1", "1"])
    with pytest.raises(ValueError, match="1 or 2 columns"):
        read_table(path, ["a", "b", "c"], "label", file_format="tsv")
    with pytest.raises(ValueError, match="need a header line"):
        read_columns(path, ["text"], file_format="tsv", header=False)


def test_min_fields_allows_extra_fields(tmp_path):
    path = write(tmp_path / "extra.tsv", "a\tb\tc\nd\te\tf\tg\th\n")
    assert read_columns(path, [0, 2], header=False, min_fields=3) == [(1, ["a", "c"]),
                                                                       (2, ["d", "f"])]
    short = write(tmp_path / "short.tsv", "a\tb\tc\nd\te\n")
    with raises_data_error(short, 2, "expected at least 3 tab-separated fields, found 2"):
        read_columns(short, [0, 2], header=False, min_fields=3)
