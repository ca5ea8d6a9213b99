"""CoNLL-format token tagging files (CoNLL-2003 NER and alike), tags converted to IOB2.

One token per line, whitespace-separated columns (`word POS chunk NER` in CoNLL-2003; the word
comes first, the tag last or in a chosen column), a blank line between sentences,
`-DOCSTART-` lines between documents (skipped).

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "eng.train")
    >>> with open(path, "w") as f:
    ...     _ = f.write("-DOCSTART- -X- O O\\n\\nEU NNP I-NP I-ORG\\nrejects VBZ I-VP O\\n"
    ...                 "German JJ I-NP I-MISC\\ncall NN I-NP O\\n")
    >>> split = read_conll(path)  # CoNLL-2003 is IOB1: I-ORG opening an entity becomes B-ORG
    >>> sentence = split.sentences[0]
    >>> sentence.words, sentence.tags, sentence.line
    (['EU', 'rejects', 'German', 'call'], ['B-ORG', 'O', 'B-MISC', 'O'], 3)
    >>> split.label_names
    ('O', 'B-MISC', 'I-MISC', 'B-ORG', 'I-ORG')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from bert_keras.data.files import DataError, PathLike, read_lines

SCHEMES = ("iob1", "iob2")
DOCSTART = "-DOCSTART-"


@dataclass(frozen=True, slots=True)
class TaggedSentence:
    """The words of one sentence and their IOB2 tags.

    Attributes:
        words: the tokens, as in the file.
        tags: one IOB2 tag per word (`O`, `B-TYPE`, `I-TYPE`).
        line: 1-based line of the first word in its file.
    """

    words: list[str]
    tags: list[str]
    line: int


@dataclass(frozen=True)
class TaggingSplit:
    """The sentences of one file and the tag list (class ids index it)."""

    path: str
    sentences: list[TaggedSentence]
    label_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sentences)


def read_conll(
    path: PathLike,
    *,
    tag_column: int = -1,
    scheme: str = "iob1",
    label_names: Sequence[str] | None = None,
) -> TaggingSplit:
    """Reads a CoNLL-format file; tags come out in IOB2.

    Args:
        path: the file.
        tag_column: 0-based index of the tag among the whitespace-separated fields (the word is
            field 0); every token line must have as many fields as the first one.
        scheme: the file's scheme. "iob1" (CoNLL-2003: `I-` opens an entity unless it follows
            one of the same type; converted to IOB2) or "iob2" (`B-` opens every entity;
            an `I-TYPE` that does not continue a TYPE entity is an error).
        label_names: the known tags (pass the training split's `label_names` when reading dev
            and test files): a tag outside them is an error. None: "O", then `B-`/`I-` of
            each entity type found, types sorted.

    Raises:
        DataError: naming file, line and problem: wrong field count, malformed tag, invalid
            IOB2 sequence, unknown tag, empty file or no sentence.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if label_names is not None and len(set(label_names)) != len(label_names):
        raise ValueError(f"label_names has duplicates: {list(label_names)}")
    sentences: list[TaggedSentence] = []
    words: list[str] = []
    tags: list[str] = []
    first_line = width = width_line = 0
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields or fields[0] == DOCSTART:
            if words:
                sentences.append(TaggedSentence(words, tags, first_line))
                words, tags = [], []
            continue
        if not width:
            width, width_line = len(fields), number
            if width < 2 or not -width <= tag_column < width or tag_column in (0, -width):
                raise DataError(path, number, f"{width} field(s): need the word (field 1) and "
                                              f"the tag at tag_column={tag_column}")
        if len(fields) != width:
            raise DataError(path, number, f"expected {width} whitespace-separated fields "
                                          f"(as on line {width_line}), "
                                          f"found {len(fields)}")
        if not words:
            first_line = number
        tag = fields[tag_column]
        tags.append(_to_iob2(path, number, tag, tags[-1] if tags else "O", scheme))
        words.append(fields[0])
    if words:
        sentences.append(TaggedSentence(words, tags, first_line))
    if not sentences:
        raise DataError(path, None, "no sentences (only blank and -DOCSTART- lines)")
    names = _check_labels(path, sentences, label_names)
    return TaggingSplit(os.fspath(path), sentences, names)


def _to_iob2(path: PathLike, line: int, tag: str, previous: str, scheme: str) -> str:
    """The IOB2 form of `tag` given the (already IOB2) tag of the previous word."""
    if tag == "O":
        return tag
    prefix, _, kind = tag.partition("-")
    if prefix not in ("B", "I") or not kind:
        raise DataError(path, line, f"tag {tag!r} is not O, B-TYPE or I-TYPE")
    if prefix == "I" and previous[2:] != kind:
        if scheme == "iob2":
            raise DataError(path, line, f"{tag} after {previous} is not valid IOB2 "
                                        "(an IOB1 file such as CoNLL-2003? pass scheme='iob1')")
        return "B-" + kind
    return tag


def _check_labels(path: PathLike, sentences: list[TaggedSentence],
                  label_names: Sequence[str] | None) -> tuple[str, ...]:
    if label_names is None:
        kinds = sorted({tag[2:] for s in sentences for tag in s.tags if tag != "O"})
        return ("O", *(f"{p}-{kind}" for kind in kinds for p in "BI"))
    known = set(label_names)
    for sentence in sentences:
        for offset, tag in enumerate(sentence.tags):
            if tag not in known:
                # Sentences have no blank lines inside: word `offset` is on line + offset.
                raise DataError(path, sentence.line + offset,
                                f"unknown tag {tag!r} (known tags: {', '.join(label_names)})")
    return tuple(label_names)

