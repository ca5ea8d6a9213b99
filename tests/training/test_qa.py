"""SQuAD recipe: windows and labels, span decoding, and a tiny end-to-end run (CI-sized)."""

import json
import pathlib

import numpy as np
import pytest

from bert_keras import BertConfig
from bert_keras.data import QAExample, gold_answers, read_squad
from bert_keras.models import bert_encoder
from bert_keras.text import BertTokenizer
from bert_keras.training.finetune import Run, finetune
from bert_keras.training.options import FinetuneOptions
from bert_keras.training.metrics import squad_v1_scores, squad_v2_scores
from bert_keras.training.tasks import get_recipe
from bert_keras.training.tasks.qa_decoding import decode, make_features
from task_samples import SHARED_DATA

DATA = pathlib.Path(__file__).parents[1] / "data"
SAMPLE = str(DATA / "tasks" / "squad_v1.1_sample.json")
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
SUBSET = SHARED_DATA / "squad_v1.1_train_subset" / "train-v1.1-subset-44articles.json"


@pytest.fixture(scope="module")
def tokenizer():
    return BertTokenizer(VOCAB)


def example(context, answer, question="where is it?", qid="q", occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = context.index(answer, start + 1)
    return QAExample(qid, "T", context, question, [answer], [start], False)


def span_text(features, row, example_):
    """The context text between the labelled start and end tokens of window `row`."""
    start, end = features.start_positions[row], features.end_positions[row]
    return example_.context[features.char_starts[row, start]:features.char_ends[row, end]]


def gold_logits(features):
    """Logits that put the maximum on each window's training labels."""
    start = np.full(features.input_word_ids.shape, -5.0)
    end = start.copy()
    rows = np.arange(len(features))
    start[rows, features.start_positions] = 5.0
    end[rows, features.end_positions] = 5.0
    return start, end


LONG = " ".join(f"word{i}" if i != 23 else "Zanzibar island" for i in range(60)) + "."


def test_long_context_gives_overlapping_windows_labelled_where_the_answer_fits(tokenizer):
    qa = example(LONG, "Zanzibar island")
    features = make_features([qa], tokenizer, seq_length=32, doc_stride=8, max_query_length=8)
    question_length = len(tokenizer.tokenize_with_offsets([qa.question])[0][0])
    context_start = question_length + 2
    assert len(features) > 3
    first_tokens = [features.char_starts[row, context_start] for row in range(len(features))]
    assert first_tokens == sorted(first_tokens)
    # Consecutive windows overlap: the next window starts 8 tokens later, inside this one.
    ends = [features.char_ends[row][features.char_ends[row] >= 0].max()
            for row in range(len(features))]
    assert all(first_tokens[i + 1] < ends[i] for i in range(len(features) - 1))
    labelled = [row for row in range(len(features)) if features.start_positions[row] > 0]
    assert 1 < len(labelled) < len(features)
    for row in labelled:
        assert features.start_positions[row] >= context_start
        assert span_text(features, row, qa) == "Zanzibar island"
    for row in set(range(len(features))) - set(labelled):
        assert features.end_positions[row] == 0
        window = qa.context[first_tokens[row]:ends[row]]
        assert "Zanzibar island" not in window  # not (wholly) inside this window
    # Layout of one window: [CLS] question [SEP] context [SEP] padding, types 0 then 1.
    ids, mask, types = (features.input_word_ids[0], features.input_mask[0],
                        features.input_type_ids[0])
    assert ids[0] == tokenizer.cls_id and ids[context_start - 1] == tokenizer.sep_id
    assert ids[mask.sum() - 1] == tokenizer.sep_id
    assert types[:context_start].sum() == 0 and types[context_start:mask.sum()].all()
    assert (features.char_starts[0, :context_start] == -1).all()


def test_non_ascii_context_offsets_are_characters(tokenizer):
    context = "Le café de Zoë à 東京 ouvre en 1998, près du musée."
    cases = [example(context, answer, qid=answer) for answer in ("Zoë", "東京", "1998", "musée")]
    features = make_features(cases, tokenizer, seq_length=48, max_query_length=8)
    assert len(features) == len(cases)
    for row, qa in enumerate(cases):
        assert span_text(features, row, qa) == qa.answer_texts[0]
    in_context = features.char_starts[0] >= 0
    tokens = [context[s:e] for s, e in zip(features.char_starts[0][in_context],
                                           features.char_ends[0][in_context])]
    assert "".join(tokens) == context.replace(" ", "")  # every character, none twice
    assert {"Zoë", "東", "京", "1998"} <= set(tokens)


def test_unanswerable_and_truncated_question(tokenizer):
    impossible = QAExample("q", "T", "Ada wrote in 1843.", "when? " * 40, [], [], True)
    features = make_features([impossible], tokenizer, seq_length=24, max_query_length=5)
    assert features.start_positions.tolist() == features.end_positions.tolist() == [0]
    assert features.input_word_ids[0, 6] == tokenizer.sep_id  # [CLS] + 5 question tokens
    with pytest.raises(ValueError, match="no room for the context in seq_length 16"):
        make_features([impossible], tokenizer, seq_length=16, max_query_length=16)


def test_decoding_picks_the_best_valid_span(tokenizer):
    qa = example("Ada Lovelace wrote the first program in 1843 in London.", "1843")
    features = make_features([qa], tokenizer, seq_length=32, max_query_length=8)
    answer = features.start_positions[0]
    first = int(np.flatnonzero(features.char_starts[0] == 0)[0])  # "Ada"

    def best(marks, **kwargs):
        start, end = np.full((2, 1, 32), -10.0)
        for (which, position), value in marks.items():
            (start if which == "start" else end)[0, position] = value
        return decode([qa], features, start, end, **kwargs)[0].text

    gold = {("start", answer): 3.0, ("end", answer): 3.0}
    assert best(gold) == "1843"
    # Higher-scoring spans in the question, or ending before they start, never win.
    assert best({**gold, ("start", 1): 10.0, ("end", 2): 10.0, ("end", answer - 2): 9.0}
                ) == "1843"
    # A better span longer than max_answer_length loses to the valid shorter one.
    longer = {**gold, ("start", first): 8.0}
    assert best(longer, max_answer_length=answer - first + 1) == (
        "Ada Lovelace wrote the first program in 1843")
    assert best(longer, max_answer_length=answer - first) == "1843"


def test_decoding_across_windows_takes_the_best(tokenizer):
    qa = example(LONG, "word50")
    features = make_features([qa], tokenizer, seq_length=32, doc_stride=8, max_query_length=8)
    start, end = np.full((2, len(features), 32), -10.0)
    rows = [row for row in range(len(features)) if features.start_positions[row] > 0]
    for score, row in enumerate(rows):  # the answer scores highest in the last window
        start[row, features.start_positions[row]] = 1.0 + score
        end[row, features.end_positions[row]] = 1.0 + score
    start[0, 20] = end[0, 20] = 1.5  # a weaker answer elsewhere
    answer = decode([qa], features, start, end)[0]
    assert answer.text == "word50"
    assert answer.score == pytest.approx(2 * len(rows))
    assert 0.5 < answer.probability <= 1.0


def test_version_2_null_score_and_threshold(tokenizer):
    qa = example("Ada wrote in 1843 in London.", "London")
    features = make_features([qa], tokenizer, seq_length=24, max_query_length=8)
    start, end = np.zeros((2, 1, 24))
    position = features.start_positions[0]
    start[0, position] = end[0, position] = 2.0  # span score 4
    start[0, 0] = end[0, 0] = 2.5  # null score 5
    for threshold, expected in ((0.0, ""), (0.9, ""), (1.1, "London")):
        answer = decode([qa], features, start, end, version_2=True,
                        null_score_threshold=threshold)[0]
        assert answer.text == expected
        assert qa.context[answer.start:answer.end] == expected
    assert decode([qa], features, start, end)[0].text == "London"  # v1.1 never answers ""


def test_gold_labels_decode_to_gold_answers_on_the_sample(tokenizer):
    examples = read_squad(SAMPLE)
    features = make_features(examples, tokenizer, seq_length=64, doc_stride=16)
    assert len(features) > 2 * len(examples)  # several windows per paragraph
    answers = decode(examples, features, *gold_logits(features))
    predictions = {qa.id: answer.text for qa, answer in zip(examples, answers)}
    assert squad_v1_scores(gold_answers(examples), predictions) == {
        "exact_match": 100.0, "f1": 100.0}
    # Each answer's character span is the gold one (not merely an equal text elsewhere).
    assert [(answer.start, answer.end) for answer in answers] == [
        (qa.answer_starts[0], qa.answer_starts[0] + len(qa.answer_texts[0])) for qa in examples]
    assert squad_v2_scores(gold_answers(examples), predictions)["exact_match"] == 100.0


@pytest.mark.skipif(not SUBSET.exists(), reason="shared SQuAD subset not present")
def test_gold_labels_round_trip_on_the_real_subset(tokenizer):
    """On 11,877 real questions, a gold-labelled window decodes to the gold text except where
    WordPiece cannot split it off (part of a word) or it is longer than max_answer_length."""
    examples = read_squad(SUBSET)
    features = make_features(examples, tokenizer, seq_length=384)
    answers = decode(examples, features, *gold_logits(features))
    misses = [(qa, answer.text) for qa, answer in zip(examples, answers)
              if answer.text != qa.answer_texts[0]]
    lengths = tokenizer([qa.answer_texts[0] for qa, _ in misses]).row_lengths().numpy()
    for (qa, text), length in zip(misses, lengths):
        assert qa.answer_texts[0] in text or length > 30, (qa.id, qa.answer_texts[0], text)
    assert len(misses) < 0.015 * len(examples)


def test_squad_end_to_end_on_the_sample(tmp_path):
    result = finetune("squad", "random:tiny", str(tmp_path), train_file=SAMPLE, dev_file=SAMPLE,
                      vocab=VOCAB, verbose=0, task_options={"doc_stride": 32},
                      options=FinetuneOptions(seq_length=128, batch_size=8, epochs=1))
    assert set(result) == {"exact_match", "f1"}
    assert 0.0 <= result["exact_match"] <= result["f1"] <= 100.0
    for name in ("model.keras", "vocab.txt", "task.json", "metrics.json", "history.csv"):
        assert (tmp_path / name).exists(), name
    options = json.loads((tmp_path / "task.json").read_text())["options"]
    assert options["doc_stride"] == 32 and options["n_best"] == 20  # with the recipe's defaults
    run = Run.load(str(tmp_path))
    assert run.evaluate(dev_file=SAMPLE) == pytest.approx(result, abs=1e-9)
    predictions = run.predict(["Who wrote it?\tAda Lovelace wrote the first program.",
                               "When?\tIn 1843."])
    assert len(predictions) == 2
    for prediction, context in zip(predictions, ("Ada Lovelace wrote the first program.",
                                                 "In 1843.")):
        text, _, probability = prediction.rpartition(" (")
        assert text in context and 0.0 < float(probability.rstrip(")")) <= 1.0
    with pytest.raises(ValueError, match="question<TAB>context"):
        run.predict(["no tab here"])


def test_dev_split_by_article(tmp_path):
    recipe = get_recipe("squad", {"dev_fraction": 0.5})
    data = recipe.read(None, SAMPLE, None, {})
    train_titles = {qa.title for qa in data.train}
    dev_titles = {qa.title for qa in data.dev}
    assert train_titles and dev_titles and not train_titles & dev_titles
    assert len(data.train) + len(data.dev) == 15
    assert recipe.read_dev(None, SAMPLE, {}, None) == data.dev  # evaluate finds the same split
    with pytest.raises(ValueError, match="either it or --dev-file"):
        recipe.read(None, SAMPLE, SAMPLE, {})
    with pytest.raises(ValueError, match="--dev-file, --data-dir or --dev-fraction"):
        get_recipe("squad").read(None, SAMPLE, None, {})


def test_version_2_file_needs_the_flag(tmp_path, tokenizer):
    path = tmp_path / "train-v2.0.json"
    qas = [{"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]},
           {"id": "q2", "question": "Where?", "answers": [], "is_impossible": True}]
    path.write_text(json.dumps({"data": [{"title": "A", "paragraphs": [
        {"context": "Ada wrote.", "qas": qas}]}]}), encoding="utf-8")
    (tmp_path / "dev-v2.0.json").write_text(path.read_text(), encoding="utf-8")
    with pytest.raises(ValueError, match="--version-2-with-negative"):
        get_recipe("squad").read(None, str(path), str(path), {})
    recipe = get_recipe("squad", {"version_2_with_negative": True})
    data = recipe.read(str(tmp_path), None, None, {})
    assert [qa.is_impossible for qa in data.dev] == [False, True]
    # v2.0 evaluation reports the official has-answer / no-answer breakdown.
    config = BertConfig.preset("tiny", vocab_size=tokenizer.vocabulary_size)
    model = recipe.build_model(bert_encoder(config), None)
    result = recipe.evaluate(model, data.dev, tokenizer, 32, None)
    assert {"exact_match", "f1", "total", "has_answer_total", "no_answer_total"} <= set(result)
    assert result["total"] == 2


def test_held_out_split_through_the_command_line(tmp_path, capsys):
    from bert_keras.cli import main as cli_main

    run = str(tmp_path / "run")
    assert cli_main(["finetune", "--task", "squad", "--init", "random:tiny", "--vocab", VOCAB,
                     "--train-file", SAMPLE, "--dev-fraction", "0.5", "--doc-stride", "16",
                     "--max-answer-length", "10", "--seq-length", "64", "--batch-size", "16",
                     "--epochs", "1", "--output-dir", run]) == 0
    printed = capsys.readouterr().out
    assert "exact_match: " in printed
    options = json.loads((tmp_path / "run" / "task.json").read_text())["options"]
    assert {"doc_stride": 16, "max_answer_length": 10, "dev_fraction": 0.5}.items() <= \
        options.items()
    # evaluate re-splits the training file the same way and scores the same held-out articles,
    # from the file given or, with no data flags, the one the run recorded.
    assert cli_main(["evaluate", "--model", run, "--dev-file", SAMPLE]) == 0
    assert capsys.readouterr().out.strip().splitlines()[0] in printed
    assert cli_main(["evaluate", "--model", run]) == 0
    assert capsys.readouterr().out.strip().splitlines()[0] in printed
    assert cli_main(["predict", "--model", run, "Who wrote?\tAda wrote."]) == 0
    assert capsys.readouterr().out.endswith("\tWho wrote?\tAda wrote.\n")
