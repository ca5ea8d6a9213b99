"""Readers for fine-tuning data: plain Python records, every problem a `DataError` naming the
file, the line (or JSON path) and what is wrong, raised before any training starts.

Example:
    >>> import os, bert_keras.samples
    >>> from bert_keras.data import read_glue
    >>> dev = read_glue("SST-2", os.path.join(os.path.dirname(bert_keras.samples.__file__),
    ...                                       "sst2_dev.tsv"))
    >>> dev.label_names[dev.examples[0].label]
    'positive'
"""

from bert_keras.data.conll import TaggedSentence, TaggingSplit, read_conll
from bert_keras.data.files import DataError
from bert_keras.data.glue import GLUE_TASKS, GlueTask, glue_task, read_glue
from bert_keras.data.squad import QAExample, gold_answers, read_squad, split_by_title
from bert_keras.data.tables import TextExample, TextSplit, read_table

__all__ = [
    "DataError",
    "GLUE_TASKS",
    "GlueTask",
    "QAExample",
    "TaggedSentence",
    "TaggingSplit",
    "TextExample",
    "TextSplit",
    "glue_task",
    "gold_answers",
    "read_conll",
    "read_glue",
    "read_squad",
    "read_table",
    "split_by_title",
]
