"""Many raw-text rows through a serving signature in batches of similar length.

The exported signatures pad each request to its longest row, so a batch of one long and
many short sentences spends most of its compute on padding. Sorting the rows by length
(characters, a cheap stand-in for tokens) before cutting batches avoids that; the outputs
come back in the rows' original order.

Example:
    >>> def shout(batch):
    ...     return {"upper": np.array([text.upper() for text in batch["text"]])}
    >>> predict_batched(shout, {"text": ["a much longer one", "b", "cc"]}, batch_size=2)
    {'upper': array(['A MUCH LONGER ONE', 'B', 'CC'], dtype='<U17')}
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

Inputs = Mapping[str, Sequence[str]]


def length_order(inputs: Inputs) -> np.ndarray:
    """Row indices sorted by the rows' total character length (stable)."""
    lengths = np.sum([[len(text) for text in column] for column in inputs.values()], axis=0)
    return np.argsort(lengths, kind="stable")


def predict_batched(predict: Callable[[dict[str, list[str]]], Mapping[str, np.ndarray]],
                    inputs: Inputs, batch_size: int = 32,
                    by_length: bool = True) -> dict[str, np.ndarray]:
    """Calls `predict` on batches of `inputs` and returns each output for all rows, in order.

    `inputs` maps input names to equally long columns of strings; `predict` takes one batch
    in the same form and returns arrays whose first axis is the batch. `by_length=True`
    batches rows of similar length together (see the module docstring).
    """
    sizes = {len(column) for column in inputs.values()}
    if len(sizes) != 1:
        lengths = {name: len(column) for name, column in inputs.items()}
        raise ValueError(f"input columns differ in length: {lengths}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    rows = sizes.pop()
    order = length_order(inputs) if by_length else np.arange(rows)
    pieces: dict[str, list[np.ndarray]] = {}
    for start in range(0, rows, batch_size):
        chosen = order[start:start + batch_size]
        outputs = predict({name: [column[i] for i in chosen] for name, column in inputs.items()})
        for name, value in outputs.items():
            pieces.setdefault(name, []).append(np.asarray(value))
    restore = np.argsort(order, kind="stable")
    return {name: np.concatenate(values)[restore] for name, values in pieces.items()}
