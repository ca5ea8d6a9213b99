"""Pretrained BERT by path, in one call: the encoder together with its tokenizer.

`from_pretrained(path)` takes a Hugging Face directory (`config.json`, weights, `vocab.txt`), a
Google checkpoint directory (`bert_config.json`, `bert_model.ckpt.*`, `vocab.txt`), a `.keras`
file (an encoder, a task model or a raw-text model of this package) or a run directory of
`bert-keras finetune`/`pretrain`, and returns `(encoder, tokenizer)`: the vocabulary and casing
come from the source itself. Architecture presets are not weights: `random:<preset>` names
one (`random_init`), and it needs a vocabulary.

Example:
    >>> encoder, tokenizer = from_pretrained("path/to/hf_bert")  # doctest: +SKIP
    >>> encoder.config.num_layers, tokenizer.lowercase  # doctest: +SKIP
    (12, True)
"""

from __future__ import annotations

import dataclasses
import os

import keras

from bert_keras import storage
from bert_keras.checkpoints import load_checkpoint
from bert_keras.config import PRESETS, BertConfig
from bert_keras.models import BertEncoder, bert_encoder, encoder_of
from bert_keras.run_dir import MODEL_FILE, SPEC_FILE, VOCAB_FILE, RunSpec, read_json_object
from bert_keras.text import BertTokenizer
from bert_keras.text_models import BertTextModel

RANDOM_PREFIX = "random:"


@dataclasses.dataclass(frozen=True)
class Source:
    """Where weights come from, with the vocabulary, casing and tokenizer settings
    (`BertTokenizer.options()`) that go with them.

    `weights` is a path, or `random:<preset>` for a new encoder of a preset's size.
    """

    weights: str
    vocab: str
    lowercase: bool
    tokenizer_options: dict = dataclasses.field(default_factory=dict)

    def tokenizer(self) -> BertTokenizer:
        """The source's tokenizer."""
        return BertTokenizer(self.vocab, lowercase=self.lowercase, **self.tokenizer_options)

    @property
    def preset(self) -> str | None:
        """The preset's name when the weights are random, else None."""
        return self.weights[len(RANDOM_PREFIX):] if is_random(self.weights) else None


def is_random(init: str) -> bool:
    """True for `random:<preset>`: an architecture with random weights, not a checkpoint."""
    return init.startswith(RANDOM_PREFIX)


def presets() -> list[str]:
    """The names `random_init` and `--init` take for random weights.

    Example:
        >>> presets()[:2]
        ['random:tiny', 'random:mini']
    """
    return [RANDOM_PREFIX + name for name in PRESETS]


def find_source(init: str, vocab: str | None = None, cased: bool | None = None) -> Source:
    """Resolves `init` (a path as `from_pretrained` takes, or `random:<preset>`) to weights,
    vocabulary and casing; every problem is a one-line error naming the path.

    The vocabulary next to the weights is used unless `vocab` overrides it; random weights
    need `vocab`. Casing: `cased`, else the source's own setting (Hugging Face
    `tokenizer_config.json`, a run's task.json), else uncased unless "cased" is in the
    source's name.

    Example:
        >>> find_source("random:tiny", vocab="vocab.txt")
        Source(weights='random:tiny', vocab='vocab.txt', lowercase=True, tokenizer_options={})
        >>> find_source("tinyy")
        Traceback (most recent call last):
        FileNotFoundError: tinyy: no such file or directory (for random weights name a preset: ...)
    """
    if is_random(init):
        if init[len(RANDOM_PREFIX):] not in PRESETS:
            raise ValueError(f"{init}: unknown preset; presets: {', '.join(presets())}")
        if not vocab:
            raise ValueError(f"{init} (random weights) needs a vocabulary (--vocab vocab.txt)")
        return Source(init, vocab, not cased)
    if not storage.exists(init) and not storage.exists(init + ".index"):
        hint = (f"; {init} is an architecture, not weights: write {RANDOM_PREFIX}{init} for "
                "random weights" if init in PRESETS else
                f" (for random weights name a preset: {', '.join(presets())})")
        raise FileNotFoundError(f"{init}: no such file or directory{hint}")
    directory = init if storage.isdir(init) else os.path.dirname(storage.abspath(init))
    if storage.isdir(init) and storage.exists(storage.join(init, SPEC_FILE)):
        run = RunSpec.load(init)
        return Source(storage.join(init, MODEL_FILE), vocab or storage.join(init, VOCAB_FILE),
                      run.lowercase if cased is None else not cased, dict(run.tokenizer))
    vocab = vocab or storage.join(directory, VOCAB_FILE)
    if not storage.exists(vocab):
        raise FileNotFoundError(f"{init}: no vocab.txt next to the weights; pass --vocab")
    settings = _hf_tokenizer_settings(directory)
    if cased is None:
        lowercase = settings.pop("do_lower_case", None)
        name = os.path.basename(os.path.normpath(directory)).lower()
        cased = (not lowercase) if lowercase is not None else (
            "cased" in name and "uncased" not in name)
    settings.pop("do_lower_case", None)
    return Source(init, vocab, not cased, settings)


# Hugging Face tokenizer_config.json keys -> `BertTokenizer` options they set.
_HF_TOKENIZER_KEYS = {"strip_accents": "strip_accents",
                      "tokenize_chinese_chars": "tokenize_chinese_chars"}


def _hf_tokenizer_settings(directory: str) -> dict:
    """`do_lower_case` and the `BertTokenizer` options a Hugging Face `tokenizer_config.json`
    sets (none when there is no such file)."""
    path = storage.join(directory, "tokenizer_config.json")
    if not storage.exists(path):
        return {}
    values = read_json_object(path)
    settings = {option: values[key] for key, option in _HF_TOKENIZER_KEYS.items()
                if values.get(key) is not None}
    if values.get("do_lower_case") is not None:
        settings["do_lower_case"] = bool(values["do_lower_case"])
    return settings


def check_seq_length(seq_length: int, encoder: BertEncoder, source: str) -> None:
    """A ValueError unless sequences of `seq_length` fit the encoder's position embeddings.

    Example:
        >>> check_seq_length(1000, bert_encoder(BertConfig.preset("tiny")), "random:tiny")
        Traceback (most recent call last):
        ValueError: --seq-length 1000 is more than the 512 positions of the model of ...512 or less
    """
    positions = encoder.config.max_position_embeddings
    if seq_length > positions:
        raise ValueError(f"--seq-length {seq_length} is more than the {positions} positions of "
                         f"the model of {source}; use {positions} or less")


def load_encoder(source: Source, vocabulary_size: int | None = None) -> BertEncoder:
    """The encoder of `source`: loaded, or new with random weights for a preset (sized to
    `vocabulary_size`, by default the vocabulary's)."""
    if source.preset is not None:
        size = vocabulary_size or BertTokenizer(source.vocab).vocabulary_size
        return bert_encoder(BertConfig.preset(source.preset, vocab_size=size))
    if source.weights.endswith(".keras"):
        model = keras.saving.load_model(source.weights, compile=False)
        return encoder_of(model)
    _, encoder = load_checkpoint(source.weights)
    return encoder


def from_pretrained(path: str, vocab: str | None = None, cased: bool | None = None
                    ) -> tuple[BertEncoder, BertTokenizer]:
    """The encoder and tokenizer of a pretrained source (see the module), in one call.

    A raw-text model's `.keras` file gives its own tokenizer (all its options); otherwise
    `vocab` and `cased` override what the source says.

    Example:
        >>> encoder, tokenizer = from_pretrained("runs/sst2")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if path.endswith(".keras") and storage.isfile(path) and vocab is None and cased is None:
        model = keras.saving.load_model(path, compile=False)
        if isinstance(model, BertTextModel):
            return model.encoder, model.tokenizer
        return encoder_of(model), find_source(path).tokenizer()
    source = find_source(path, vocab, cased)
    tokenizer = source.tokenizer()
    encoder = load_encoder(source, tokenizer.vocabulary_size)
    if tokenizer.vocabulary_size > encoder.config.vocab_size:
        raise ValueError(f"{path}: the encoder has {encoder.config.vocab_size} word embeddings "
                         f"but {source.vocab} has {tokenizer.vocabulary_size} tokens")
    return encoder, tokenizer
