"""The rules of each fine-tuning task that training and serving share.

`bert_keras.training` applies them to NumPy arrays while it fine-tunes and evaluates;
`bert_keras.export` builds them into the serving graph. Both import them from here (export
never imports training), so the two cannot drift apart:

    span_labeling   extractive QA: settings and defaults, windows, candidate spans, the null answer
    tagging         NER: label names' prefixes, the sub-words that fit, entity grouping

Example:
    >>> from bert_keras.tasks import span_labeling
    >>> span_labeling.DEFAULTS["doc_stride"]
    128
"""
