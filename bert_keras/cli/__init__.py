"""The `bert-keras` command line (also `python -m bert_keras`): the only code that parses flags.

One module per command group (`convert`, `vocab`, `finetune` with `evaluate` and `predict`,
`pretrain`, `pretraining_data`, `export` with `serve`, and the `demo`), each with
`register(subparsers)`, which adds its parser and sets `func` to a callable that takes the
parsed arguments, calls the library and returns an exit code. Options the library declares
(`bert_keras.options`) become flags through `bert_keras.cli.arguments`. This package is the
top layer: it may import every other, and nothing in the library imports it
(tests/test_import_layers.py).

`COMMANDS` lists the commands with their help, so that `bert-keras --help` and `--version`
import neither TensorFlow nor Keras; `main` imports only the module of the command chosen.

Example:
    $ bert-keras convert --input path/to/hf_dir --output model.keras
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from typing import Any, Iterable, Iterator

# (command, its one-line help, the module of bert_keras.cli that registers it), in the order
# of `--help`. Each help must be the one its module registers (tests/test_cli_quiet.py).
COMMANDS = (
    ("convert", "write a .keras model from a Google TF1 or Hugging Face BERT checkpoint",
     "convert"),
    ("vocab", "WordPiece vocabulary tools", "vocab"),
    ("finetune", "fine-tune a BERT model on a task", "finetune"),
    ("evaluate", "score a fine-tuned model on dev data", "finetune"),
    ("predict", "predict with a fine-tuned model, or ask a server (--server)", "finetune"),
    ("pretrain", "pretrain BERT with masked-LM + NSP", "pretrain"),
    ("create-pretraining-data",
     "make pretraining records (google-research/bert's recipe) from text", "pretraining_data"),
    ("demo", "run the main job end to end on real weights", "demo"),
    ("export", "export a fine-tuned model as a SavedModel for TF Serving", "export"),
    ("serve", "serve exported models over gRPC with TF Serving's API (development)", "export"),
)
EPILOG = ("TensorFlow's C++ log lines are hidden; set TF_CPP_MIN_LOG_LEVEL (0 shows them all) "
          "to choose.")
# TensorFlow's log level when the user sets none: 3 hides info, warnings and errors such as
# `failed call to cuInit` on a machine without a GPU (2 still shows that one).
TF_LOG_LEVEL = "3"


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of those among `commands` (with the others of
    their modules)."""
    parser = _top_parser()
    subparsers = parser.add_subparsers(dest="command", required=True)
    chosen = None if commands is None else set(commands)
    modules = dict.fromkeys(module for name, _, module in COMMANDS
                            if chosen is None or name in chosen)
    for module in modules:
        importlib.import_module(f"bert_keras.cli.{module}").register(subparsers)
    return parser


def command_parser() -> argparse.ArgumentParser:
    """The top-level parser alone, from `COMMANDS`: it answers `--help` and `--version`,
    refuses an unknown command, and leaves a command's own arguments to its parser."""
    parser = _top_parser()
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, help_text, _ in COMMANDS:
        subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


# Every error ends a command the same way: `bert-keras <command>: error: <one line>` on stderr
# and this exit status, as argparse does for a bad flag.
ERROR_STATUS = 2
# What the library raises for input it refuses or work that cannot be done (bad values and
# files, DataError, full disks, unreachable servers); anything else is a bug and keeps its
# traceback. BERT_KERAS_DEBUG=1 shows the traceback of these too.
EXPECTED_ERRORS = (ValueError, OSError, RuntimeError, NotImplementedError, LookupError)


def main(argv: list[str] | None = None) -> int:
    """Runs a subcommand. An error it expects (see `EXPECTED_ERRORS`) ends it with one line
    naming the problem (the file, the flag, what was expected) and `ERROR_STATUS`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = command_parser().parse_known_args(argv)[0].command
    quiet_tensorflow()
    args = build_parser([command]).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EXPECTED_ERRORS as error:
        if os.environ.get("BERT_KERAS_DEBUG"):
            raise
        command = getattr(args, "command_name", args.command)  # "vocab build"
        print(f"bert-keras {command}: error: {describe_error(error)}", file=sys.stderr)
        return ERROR_STATUS


def describe_error(error: Exception) -> str:
    """`error` in one line (an OSError names its file).

    Example:
        >>> describe_error(ValueError("--seq-length 1000 is more than the 512 positions"))
        '--seq-length 1000 is more than the 512 positions'
    """
    if isinstance(error, OSError) and error.strerror:
        return describe_os_error(error)
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return " ".join(str(error).split()) or type(error).__name__


def describe_os_error(error: OSError) -> str:
    """`error` in one line: the file it concerns (when known) and what went wrong.

    Example:
        >>> describe_os_error(OSError(28, "No space left on device", "runs/x/model.keras"))
        'runs/x/model.keras: No space left on device'
    """
    message = error.strerror or str(error)
    if error.filename and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    return " ".join(message.split())


def version_text() -> str:
    """`bert-keras <version>` and the versions of TensorFlow, Keras and Python, read from the
    installed packages' metadata (TensorFlow is not imported).

    Example:
        >>> version_text()  # doctest: +ELLIPSIS
        'bert-keras ... (TensorFlow ..., Keras ..., Python ...)'
    """
    from importlib import metadata

    from bert_keras import __version__

    def installed(*names: str) -> str:
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        return "not installed"

    python = ".".join(map(str, sys.version_info[:3]))
    return (f"bert-keras {__version__} (TensorFlow "
            f"{installed('tensorflow', 'tensorflow-cpu', 'tf-nightly')}, Keras "
            f"{installed('keras', 'keras-nightly')}, Python {python})")


class _Version(argparse.Action):
    """`--version`: prints `version_text()` (read only when asked) and exits 0."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit()


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bert-keras", description=__doc__.splitlines()[0],
                                     epilog=EPILOG)
    parser.add_argument("--version", action=_Version,
                        help="print the versions of bert-keras, TensorFlow and Keras")
    return parser


# Lines that TensorFlow's C++ libraries write while they load, before its logging reads
# TF_CPP_MIN_LOG_LEVEL: absl's notice and glog-style I/W/E lines (`I0000 00:00:... file:line]`).
_LOADING_NOISE = re.compile(
    r"(WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    r"STDERR|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] )")


def quiet_tensorflow() -> None:
    """Hides TensorFlow's C++ log lines unless the user has set `TF_CPP_MIN_LOG_LEVEL`.

    Sets it to `TF_LOG_LEVEL` (before TensorFlow is imported: TensorFlow reads it once), and
    drops the lines its libraries write while they load (which ignore the level) from the
    import of `tensorflow`, whichever module imports it first. A no-op once TensorFlow is
    imported (say, calling `main` from Python).
    """
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = TF_LOG_LEVEL
    if not any(isinstance(finder, _QuietImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport("tensorflow"))


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds module `name` as usual, but loads it with `_QuietLoader`; removes itself once
    asked for it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """Runs `loader` with the loading noise dropped from file descriptor 2 (stderr)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        try:
            with _without_loading_noise():
                self.loader.exec_module(module)
        finally:
            module.__loader__ = self.loader
            if module.__spec__ is not None:
                module.__spec__.loader = self.loader


@contextlib.contextmanager
def _without_loading_noise() -> Iterator[None]:
    """Collects what is written to file descriptor 2 meanwhile, then writes it to stderr less
    the lines `_LOADING_NOISE` matches."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as collected:
        os.dup2(collected.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            collected.seek(0)
            lines = collected.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _LOADING_NOISE.match(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
