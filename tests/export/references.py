"""What the exported signatures must reproduce, computed by the training code in Python."""

import numpy as np
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from bert_keras.data import QAExample
from bert_keras.text import BertPreprocessor
from bert_keras.export.run_dir import load_trained
from bert_keras.training.tasks.qa import QARecipe
from bert_keras.training.tasks.tagging import encode_words


def keras_outputs(run_dir, texts):
    """The fine-tuned Keras model on `texts`, preprocessed as in training (fixed padding)."""
    trained = load_trained(run_dir)
    preprocessor = BertPreprocessor(trained.tokenizer, seq_length=trained.seq_length)
    return trained, np.asarray(trained.model(preprocessor([tf.constant(t) for t in texts])))


def tagger_reference(trained, texts):
    """Per-token labels and scores and the entity texts, computed the way training feeds the
    model (each word tokenized on its own, `encode_words`) and grouped by seqeval."""
    tokenizer, labels = trained.tokenizer, trained.label_names
    results = []
    for text in texts:
        ids, starts, ends, first = (p.to_list()[0] for p in tokenizer.tokenize_with_offsets(
            [text], True))
        kept = trained.seq_length - 2
        starts, ends, first = starts[:kept], ends[:kept], first[:kept]
        word_spans = [[s, e] for s, e, f in zip(starts, ends, first) if f]
        for index, (s, e, f) in enumerate(zip(starts, ends, first)):
            if not f:
                word_spans[sum(first[:index + 1]) - 1][1] = e
        raw = text.encode()
        words = [raw[s:e].decode() for s, e in word_spans]
        inputs, _, _, _ = encode_words(tf.ragged.constant([words], dtype=tf.string),
                                       tf.ragged.constant([[0] * len(words)], dtype=tf.int32),
                                       tokenizer, trained.seq_length)
        probabilities = tf.nn.softmax(trained.model(inputs)).numpy()[0, 1:len(starts) + 1]
        token_labels = [labels[i] for i in probabilities.argmax(-1)]
        word_labels = [label for label, f in zip(token_labels, first) if f]
        results.append({"scores": probabilities.max(-1), "labels": token_labels,
                        "entities": [raw[word_spans[a][0]:word_spans[b][1]].decode()
                                     for _, a, b in get_entities(word_labels)]})
    return results


def qa_reference(trained, options, inputs):
    """Answers of the training recipe's Python decoding (`qa_decoding.decode`), and the
    number of windows of each question."""
    recipe = QARecipe.from_options(options)
    records = [QAExample(str(i), "", context, question, [], [], False)
               for i, (question, context) in enumerate(zip(inputs["question"],
                                                           inputs["context"]))]
    features = recipe.features(records, trained.tokenizer, trained.seq_length)
    windows = np.bincount(features.example_index, minlength=len(records))
    return recipe.answers(trained.model, records, trained.tokenizer, trained.seq_length), windows
