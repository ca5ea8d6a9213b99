"""The serving graph and training's NumPy code agree on QA answers and NER entities, on cases
picked to be tricky: several windows per context with equal scores among them, no valid span,
SQuAD 2.0's null answer, IOB1 and IOB2 entities, sentence ends and truncated texts.

The model is a lookup table (each token's logits by its id), so both sides see the same logits
for a token wherever its window puts it, and the logits are multiples of 0.5, so that scores
are exact in float32 and float64 alike and the tests can ask for equality.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from bert_keras.data import QAExample
from bert_keras.export.span_labeler import span_labeler_outputs
from bert_keras.export.tagger import tagger_outputs
from bert_keras.tasks.span_labeling import DEFAULTS
from bert_keras.text import BertTokenizer
from bert_keras.training.tasks.qa import QARecipe
from bert_keras.training.tasks.tagging import TaggingExample, TaggingRecipe

from task_samples import VOCAB


class LookupModel:
    """Stands in for a fine-tuned model: the outputs of each token are `tables[name][id]`
    (one table: the output itself), called as serving does and as training does."""

    def __init__(self, tables: dict[str, np.ndarray] | np.ndarray):
        self.tables = tables

    def __call__(self, inputs, training=False):
        ids = inputs["input_word_ids"]
        if isinstance(self.tables, dict):
            return {name: tf.gather(table, ids) for name, table in self.tables.items()}
        return tf.gather(self.tables, ids)

    def predict(self, inputs, batch_size=None, verbose=0):
        return {name: value.numpy() for name, value in self(inputs).items()}

    def predict_on_batch(self, inputs):
        return self(inputs).numpy()


@pytest.fixture(scope="module")
def tokenizer():
    return BertTokenizer(VOCAB)


def trained(model, tokenizer, seq_length, label_names=None):
    """What the serving functions read of a fine-tuned run."""
    return types.SimpleNamespace(model=model, tokenizer=tokenizer, seq_length=seq_length,
                                 label_names=label_names)


# ---- Extractive QA ----

SEQ_LENGTH = 48
LONG = " ".join(f"Ada Lovelace wrote program {i} for the engine of Babbage in London."
                for i in range(8))
QUESTIONS = ["Who wrote the first program?", "Wo liegt Zürich?", "Anything?",
             "What " * 20 + "is this?", "Who?"]  # the fourth is cut to max_query_length
CONTEXTS = [LONG, "Zürich liegt am Zürichsee in der Schweiz; Müller wohnt dort.", "",
            LONG[:150], "Ada."]


def qa_model(tokenizer, cls_logit):
    """Start and end logits in half steps from -4 to 4 (many equal ones) by token; [CLS]
    gets `cls_logit`, padding (which only training's fixed-length windows have) -100."""
    rng = np.random.default_rng(0)
    tables = {}
    for name in ("start_logits", "end_logits"):
        table = rng.integers(-8, 9, tokenizer.vocabulary_size).astype(np.float32) / 2
        table[tokenizer.cls_id], table[tokenizer.pad_id] = cls_logit, -100.0
        tables[name] = table
    return LookupModel(tables)


def training_answers(model, tokenizer, options):
    """The recipe's answers (`qa_decoding.decode`) and the windows of each question."""
    recipe = QARecipe.from_options(options)
    records = [QAExample(str(i), "", context, question, [], [], False)
               for i, (question, context) in enumerate(zip(QUESTIONS, CONTEXTS))]
    windows = np.bincount(recipe.features(records, tokenizer, SEQ_LENGTH).example_index)
    return recipe.answers(model, records, tokenizer, SEQ_LENGTH), windows.tolist()


def served_answers(model, tokenizer, options):
    answer = tf.function(span_labeler_outputs(trained(model, tokenizer, SEQ_LENGTH), options),
                         input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    return {name: value.numpy() for name, value in answer(
        tf.constant(QUESTIONS), tf.constant(CONTEXTS)).items()}


def assert_served_as_trained(served, answers, windows):
    assert [text.decode() for text in served["answer"]] == [a.text for a in answers]
    np.testing.assert_array_equal(served["score"], [a.score for a in answers])
    assert list(zip(served["start"], served["end"])) == [
        (a.start, a.end) if a.text else (-1, -1) for a in answers]
    assert served["windows"].tolist() == windows


@pytest.mark.parametrize("settings, cls_logit", [
    ({}, 0.0),
    ({"n_best": 3, "max_answer_length": 2}, 0.0),
    ({"n_best": 40, "max_answer_length": 1}, -4.0),
    # [CLS] has the best logits: with one candidate per window no span is valid.
    ({"n_best": 1}, 9.0),
    ({"n_best": 1, "version_2_with_negative": True}, 9.0),
], ids=["defaults", "few_short_spans", "one_token_spans", "no_valid_span",
        "no_valid_span_squad_2"])
def test_answers_match(tokenizer, settings, cls_logit):
    options = {**DEFAULTS, "doc_stride": 8, "max_query_length": 12, **settings}
    model = qa_model(tokenizer, cls_logit)
    answers, windows = training_answers(model, tokenizer, options)

    assert_served_as_trained(served_answers(model, tokenizer, options), answers, windows)
    assert max(windows) > 4  # the long context takes several windows, which overlap
    if cls_logit == 9.0:
        assert {a.text for a in answers} == {""}
        assert {a.score for a in answers} == {
            18.0 if options["version_2_with_negative"] else -np.inf}


def test_squad_2_null_answers_match(tokenizer):
    options = {**DEFAULTS, "doc_stride": 8, "max_query_length": 12,
               "version_2_with_negative": True}
    model = qa_model(tokenizer, 3.0)
    spans, _ = training_answers(model, tokenizer, {**options, "version_2_with_negative": False})
    nulls, _ = training_answers(model, tokenizer, {**options, "null_score_threshold": -1e9})
    # A threshold between the questions' null-minus-best margins gives both kinds of answer.
    margins = sorted({null.score - span.score for null, span in zip(nulls, spans)
                      if span.text})
    options["null_score_threshold"] = (margins[0] + margins[1]) / 2
    answers, windows = training_answers(model, tokenizer, options)

    assert_served_as_trained(served_answers(model, tokenizer, options), answers, windows)
    kinds = [a.text == "" for a, span in zip(answers, spans) if span.text]
    assert True in kinds and False in kinds


# ---- Tagging (NER) ----

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
TEXTS = ["john smith visited new york", "paris is far from rome milan",
         "johanson met ada lovelace in berlin", ""]
# Sub-word -> label; "johanson" is johan ##son and "lovelace" love ##lace: only the first
# sub-word's label counts. Any other token is "O".
SCHEMES = {
    "iob2": {"john": "B-PER", "smith": "I-PER", "new": "B-LOC", "york": "I-LOC",
             "paris": "B-LOC", "rome": "B-LOC", "milan": "B-LOC", "johan": "B-PER",
             "##son": "B-LOC", "ada": "B-PER", "love": "I-PER", "##lace": "O",
             "berlin": "B-MISC"},
    # IOB1; a sentence's first entity continuing the last one's type; a change of type.
    "iob1": {"john": "I-PER", "smith": "I-PER", "new": "I-LOC", "york": "I-LOC",
             "paris": "I-LOC", "rome": "I-LOC", "milan": "B-LOC", "johan": "I-PER",
             "##son": "I-LOC", "ada": "I-PER", "love": "I-LOC", "##lace": "I-LOC",
             "berlin": "I-MISC"},
}


def tagging_model(tokenizer, scheme):
    vocabulary = list(tokenizer.vocabulary)
    table = np.zeros([tokenizer.vocabulary_size, len(LABELS)], np.float32)
    table[:, 0] = 1.0
    for token, label in SCHEMES[scheme].items():
        table[vocabulary.index(token), LABELS.index(label)] = 2.0
    return LookupModel(table)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("seq_length", [32, 6], ids=["whole", "truncated"])
def test_entities_match(tokenizer, scheme, seq_length):
    model = tagging_model(tokenizer, scheme)
    records = [TaggingExample(tuple(text.split()), (0,) * len(text.split())) for text in TEXTS]
    tags, _ = TaggingRecipe().predict_tags(model, records, tokenizer, seq_length, LABELS)
    expected = [[(kind, " ".join(record.words[start:end + 1]))
                 for kind, start, end in get_entities(row)] for record, row in zip(records, tags)]

    tag = tf.function(tagger_outputs(trained(model, tokenizer, seq_length, LABELS)),
                      input_signature=[tf.TensorSpec([None], tf.string)])
    outputs = {name: value.numpy() for name, value in tag(tf.constant(TEXTS)).items()}

    for row, record in enumerate(records):
        found = outputs["num_entities"][row]
        assert [(kind.decode(), text.decode()) for kind, text in zip(
            outputs["entity_labels"][row, :found], outputs["entity_texts"][row, :found])
                ] == expected[row]
        tokens = outputs["tokens"][row, :outputs["num_tokens"][row]].astype(str)
        labels = outputs["token_labels"][row, :len(tokens)].astype(str)
        served_words = [label for token, label in zip(tokens, labels)
                        if not token.startswith("##")]
        # Words cut off: served without them, "O" in training.
        assert tags[row] == served_words + ["O"] * (len(record.words) - len(served_words))
    assert sum(map(len, expected)) >= 4
    assert outputs["truncated"].tolist() == [seq_length == 6] * 3 + [False]
