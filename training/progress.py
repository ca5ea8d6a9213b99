"""Progress of long evaluations, predictions and decodings, and Keras' `verbose` for `fit`.

`Progress` counts work done on stderr: a tqdm bar on a terminal, and plain lines (no carriage
returns, no ANSI codes) when stderr is a file or a pipe, at most one every `interval` seconds.
Work done within `delay` seconds shows nothing, so quick evaluations stay quiet. Whether
progress shows at all, and a label before it (`epoch 2 dev`), comes from `progress_shown`,
which callers set around code that reports progress (`DevMetrics` does, by its `verbose`).

Keras' own progress bar (`verbose=1`) writes carriage returns and ANSI colours even to a file;
`keras_verbose("auto")` picks it only when stdout is a terminal, else `verbose=2` (one line per
epoch).

Example:
    >>> import io
    >>> log = io.StringIO()  # not a terminal: plain lines
    >>> with progress_shown(label="epoch 1 dev"):
    ...     for _ in tracked(range(3), 3, "decoding", "questions", stream=log, delay=0):
    ...         pass
    >>> print(log.getvalue().strip())
    epoch 1 dev: decoding 1/3 questions (33%)
    epoch 1 dev: decoding 3/3 questions in 0 s
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from typing import IO, Any, Iterable, Iterator, TypeVar

import keras

# Seconds of work before progress shows, and between two plain lines.
DELAY = 2.0
INTERVAL = 10.0

_SHOWN: contextvars.ContextVar[tuple[bool, str]] = contextvars.ContextVar(
    "bert_keras_progress", default=(True, ""))
Item = TypeVar("Item")


@contextlib.contextmanager
def progress_shown(show: bool = True, label: str = "") -> Iterator[None]:
    """Within it, `Progress` shows (or, with `show=False`, does not), each line starting with
    `label`. Outside any, progress shows without a label."""
    token = _SHOWN.set((bool(show), label))
    try:
        yield
    finally:
        _SHOWN.reset(token)


def is_terminal(stream: Any) -> bool:
    """Whether `stream` is an interactive terminal (a file, a pipe or a notebook is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def keras_verbose(verbose: str | int) -> str | int:
    """Keras' `verbose` for `fit`: "auto" becomes 1 (a live bar) when stdout is a terminal,
    else 2 (a plain line per epoch); other values are kept.

    Example:
        >>> keras_verbose(0), keras_verbose(1)
        (0, 1)
    """
    if verbose == "auto":
        return 1 if is_terminal(sys.stdout) else 2
    return verbose


class Progress:
    """`total` units of work (`unit`: a plural noun; counted by `update`) described by
    `description`.

    On a terminal a tqdm bar, removed when done; otherwise plain lines on `stream` (default:
    stderr) once `delay` seconds have passed, then every `interval` seconds, and a last one
    when done. Silent within `progress_shown(False)`. Use it as a context manager, or call
    `close`.
    """

    def __init__(self, total: int | None, description: str, unit: str = "batches",
                 stream: IO[str] | None = None, delay: float = DELAY,
                 interval: float = INTERVAL) -> None:
        show, label = _SHOWN.get()
        self.total, self.unit, self.count = total, unit, 0
        self.description = f"{label}: {description}" if label else description
        self.stream = sys.stderr if stream is None else stream
        self.delay, self.interval = delay, interval
        self.started = self._last = time.monotonic()
        self._lines = 0
        self._bar = None
        self._enabled = show
        if show and is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.description, unit=unit, file=self.stream,
                             delay=delay, leave=False, dynamic_ncols=True)

    def update(self, count: int = 1) -> None:
        """Counts `count` more units done."""
        self.count += count
        if self._bar is not None:
            self._bar.update(count)
            return
        now = time.monotonic()
        due = self._last + (self.interval if self._lines else 0.0)
        if self._enabled and now - self.started >= self.delay and now >= due:
            self._write(f"{self._counted()}{self._percent()}")
            self._last = now

    def close(self) -> None:
        """Ends the bar, or writes the last line (if any was written, or the work took longer
        than `delay`)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            return
        elapsed = time.monotonic() - self.started
        if self._enabled and (self._lines or elapsed >= self.delay):
            self._write(f"{self._counted()} in {elapsed:.0f} s")
        self._enabled = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _counted(self) -> str:
        total = f"/{self.total}" if self.total is not None else ""
        return f"{self.description} {self.count}{total} {self.unit}"

    def _percent(self) -> str:
        return f" ({100 * self.count // self.total}%)" if self.total else ""

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)
        self._lines += 1


def tracked(items: Iterable[Item], total: int | None, description: str, unit: str = "batches",
            **settings: Any) -> Iterator[Item]:
    """`items`, counting each as one unit of a `Progress` (`settings` go to it)."""
    with Progress(total, description, unit, **settings) as progress:
        for item in items:
            yield item
            progress.update()


class PredictProgress(keras.callbacks.Callback):
    """A `Progress` of `model.predict`'s batches (pass it in `callbacks`; use `verbose=0`, as
    Keras' own bar writes to stdout, where predictions go).

    Example:
        >>> import io, numpy as np
        >>> log = io.StringIO()
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.predict(np.zeros([4, 1]), batch_size=2, verbose=0,
        ...               callbacks=[PredictProgress(stream=log, delay=0)]).shape
        (4, 1)
        >>> print(log.getvalue().strip())
        predicting 1/2 batches (50%)
        predicting 2/2 batches in 0 s
    """

    def __init__(self, description: str = "predicting", **settings: Any) -> None:
        super().__init__()
        self.description, self.settings = description, settings
        self.progress: Progress | None = None

    def on_predict_begin(self, logs=None):
        self.progress = Progress(self.params.get("steps"), self.description, "batches",
                                 **self.settings)

    def on_predict_batch_end(self, batch, logs=None):
        if self.progress is not None:
            self.progress.update()

    def on_predict_end(self, logs=None):
        if self.progress is not None:
            self.progress.close()
            self.progress = None
