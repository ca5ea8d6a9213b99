"""Public datasets from TensorFlow Datasets, written in the formats `bert-keras finetune` reads.

`download(task, directory)` loads `glue/sst2`, `conll2003` or `squad/v1.1` with `tfds` (which
must be installed, as on Colab, and online) and writes train and dev files. The `write_*`
functions take the examples as `tfds.as_numpy` yields them (dicts, strings as bytes), so they
work on any iterable of such dicts.

Example:
    >>> import tempfile
    >>> path = storage.join(tempfile.mkdtemp(), "train.tsv")
    >>> write_sst2([{"sentence": b"a fine film ", "label": 1, "idx": 0}], path)
    1
    >>> storage.read_bytes(path).decode()
    'sentence\\tlabel\\na fine film \\t1\\n'
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from bert_keras import storage

# task -> (TFDS name, train split, dev split, train file, dev file)
DATASETS = {
    "sst2": ("glue/sst2", "train", "validation", "train.tsv", "dev.tsv"),
    "conll2003": ("conll2003", "train", "dev", "train.txt", "dev.txt"),
    "squad": ("squad/v1.1", "train", "validation", "train-v1.1.json", "dev-v1.1.json"),
}


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def write_sst2(examples: Iterable[dict[str, Any]], path: str) -> int:
    """GLUE SST-2 TSV (`sentence<TAB>label`, with a header); returns the rows written."""
    rows = 0
    with storage.open_file(path, "w", encoding="utf-8") as file:
        file.write("sentence\tlabel\n")
        for example in examples:
            sentence = " ".join(_text(example["sentence"]).split("\t"))
            file.write(f"{sentence}\t{int(example['label'])}\n")
            rows += 1
    return rows


def write_conll(examples: Iterable[dict[str, Any]], tag_names: Sequence[str], path: str) -> int:
    """CoNLL lines `word TAG`, a blank line after each sentence; `ner` holds indices into
    `tag_names` (TFDS's IOB2 names). Returns the sentences written."""
    sentences = 0
    with storage.open_file(path, "w", encoding="utf-8") as file:
        for example in examples:
            words, tags = list(example["tokens"]), list(example["ner"])
            if len(words) != len(tags):
                raise ValueError(f"sentence {sentences + 1}: {len(words)} tokens but "
                                 f"{len(tags)} tags")
            if not words:
                continue
            for word, tag in zip(words, tags):
                file.write(f"{_text(word)} {tag_names[int(tag)]}\n")
            file.write("\n")
            sentences += 1
    return sentences


def write_squad(examples: Iterable[dict[str, Any]], path: str) -> int:
    """SQuAD v1.1 JSON, questions grouped by article title and paragraph in the order met;
    returns the questions written."""
    articles: dict[str, dict[str, list]] = {}
    questions = 0
    for example in examples:
        paragraphs = articles.setdefault(_text(example["title"]), {})
        context = _text(example["context"])
        answers = example["answers"]
        paragraphs.setdefault(context, []).append({
            "id": _text(example["id"]), "question": _text(example["question"]),
            "answers": [{"text": _text(text), "answer_start": int(start)}
                        for text, start in zip(answers["text"], answers["answer_start"])]})
        questions += 1
    data = [{"title": title, "paragraphs": [{"context": context, "qas": qas}
                                            for context, qas in paragraphs.items()]}
            for title, paragraphs in articles.items()]
    with storage.open_file(path, "w", encoding="utf-8") as file:
        json.dump({"version": "1.1", "data": data}, file, ensure_ascii=False)
    return questions


def download(task: str, directory: str) -> tuple[str, str]:
    """Loads `task`'s TFDS dataset and writes its train and dev files into `directory`
    (kept and reused when both exist); returns their paths. Needs `tensorflow_datasets`
    and a network connection; raises whatever `tfds.load` raises without them."""
    if task not in DATASETS:
        raise ValueError(f"no TFDS source for task {task!r}; known: {', '.join(DATASETS)}")
    name, train_split, dev_split, train_file, dev_file = DATASETS[task]
    paths = storage.join(directory, train_file), storage.join(directory, dev_file)
    if all(storage.exists(path) for path in paths):
        return paths
    import tensorflow_datasets as tfds  # only here: a Colab runtime has it, the package does not

    storage.makedirs(directory)
    splits, info = tfds.load(name, split=[train_split, dev_split], with_info=True)
    for split, path in zip(splits, paths):
        partial = path + ".partial"
        examples = tfds.as_numpy(split)
        if task == "sst2":
            write_sst2(examples, partial)
        elif task == "conll2003":
            write_conll(examples, info.features["ner"].feature.names, partial)
        else:
            write_squad(examples, partial)
        storage.replace(partial, path)
    return paths
