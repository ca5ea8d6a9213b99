"""Options declared once: the checks the Python API and the command line share."""

import dataclasses
import math

import pytest
import tensorflow as tf

from bert_keras.cli import build_parser
from bert_keras.cli.arguments import options_from
from bert_keras.options import TEXTS, from_values
from bert_keras.tasks.span_labeling import DEFAULTS, SpanLabelingOptions
from bert_keras.training.options import FinetuneOptions, PretrainOptions
from bert_keras.training.tasks import resolve_options
from bert_keras.training.tasks.classification import TableOptions
from bert_keras.training.tasks.qa import QAOptions


@pytest.mark.parametrize("make, message", [
    (lambda: FinetuneOptions(epochs=0), "epochs (--epochs): expected a positive integer, got 0"),
    (lambda: FinetuneOptions(epochs=True), "epochs (--epochs): expected a positive integer"),
    (lambda: FinetuneOptions(batch_size=8.0), "batch_size (--batch-size): expected a positive"),
    (lambda: FinetuneOptions(learning_rate=math.nan), "learning_rate (--learning-rate): "
                                                      "expected a number > 0, got nan"),
    (lambda: FinetuneOptions(optimizer="sgd"), "optimizer (--optimizer): expected one of "
                                               "adamw, lamb, got 'sgd'"),
    (lambda: PretrainOptions(masked_lm_prob=0), "masked_lm_prob (--masked-lm-prob): expected "
                                                "a number in (0, 1], got 0"),
    (lambda: QAOptions(doc_stride=0), "doc_stride (--doc-stride): expected a positive integer"),
    (lambda: QAOptions(dev_fraction=1.0), "dev_fraction (--dev-fraction): expected a number "
                                          "in (0, 1), got 1.0"),
    (lambda: TableOptions(text_columns="review"), "text_columns (--text-columns): expected "
                                                  "one or more texts, got 'review'"),
])
def test_an_invalid_option_given_in_python_names_the_option_and_its_flag(make, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        make()


def test_a_strategy_object_is_taken_as_it_is():
    strategy = tf.distribute.get_strategy()
    assert FinetuneOptions(strategy=strategy).strategy is strategy


def test_task_options_are_checked_named_and_filled_in():
    assert resolve_options("squad", {"doc_stride": 64}) == {
        **DEFAULTS, "doc_stride": 64, "dev_fraction": None}
    assert resolve_options("sst2", {}) == {}
    with pytest.raises(ValueError, match=r"--task sst2 takes no options, got doc_stride "
                                         r"\(--doc-stride\)"):
        resolve_options("sst2", {"doc_stride": 64})
    with pytest.raises(ValueError, match=r"--task squad has no option stride \(--stride\); "
                                         r"its options: doc_stride, "):
        resolve_options("squad", {"stride": 64})
    with pytest.raises(ValueError, match=r"doc_stride \(--doc-stride\): expected a positive"):
        resolve_options("squad", {"doc_stride": 0})
    assert from_values(TableOptions, {"text_columns": ["a", "b"]}, "x").text_columns == ["a", "b"]
    TEXTS.check(["a"])


def test_the_serving_settings_are_the_qa_options_serving_reads():
    assert set(DEFAULTS) == {field.name for field in dataclasses.fields(SpanLabelingOptions)}
    assert set(dataclasses.asdict(QAOptions())) == set(DEFAULTS) | {"dev_fraction"}


@pytest.mark.parametrize("argv, options", [
    (["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x"],
     FinetuneOptions()),
    (["pretrain", "--text", "a.txt", "--init", "random:tiny", "--output-dir", "x"],
     PretrainOptions()),
    (["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x", "--epochs", "2",
      "--xla", "--save-every", "5", "--strategy", "mirrored"],
     FinetuneOptions(epochs=2, xla=True, save_every=5, strategy="mirrored")),
])
def test_the_flags_are_built_from_the_options_with_their_defaults(argv, options):
    args = build_parser().parse_args(argv)
    assert options_from(type(options), args) == options


def test_task_flags_reach_only_the_options_given():
    args = build_parser().parse_args(["finetune", "--task", "squad", "--init", "random:tiny",
                                      "--output-dir", "x", "--doc-stride", "64",
                                      "--version-2-with-negative"])
    assert vars(args).get("doc_stride") == 64 and args.version_2_with_negative is True
    assert not hasattr(args, "max_answer_length") and not hasattr(args, "text_columns")
