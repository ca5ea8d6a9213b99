"""Checks that a SavedModel only uses ops that stock TF Serving can run.

Allowed: core TensorFlow ops (those TensorFlow itself registers, i.e. listed in `tf.raw_ops`, which
never includes ops from extension libraries such as tensorflow_text) plus the tf-text ops linked into
TF Serving since 2.12. Every op of the graph and of every function in its library is checked.

Example:
    >>> check_saved_model("models/sst2/1")  # doctest: +SKIP
    {'Const', 'FastWordpieceTokenizeWithOffsets', 'RegexSplitWithOffsets', ...}
"""

from __future__ import annotations

import functools
import os

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from bert_keras import storage

# tf-text ops that stock TF Serving links in since 2.12 (RoundRobinTrim and friends only from 2.20).
TF_SERVING_TF_TEXT_OPS = frozenset(
    {
        "FastBertNormalize",
        "FastWordpieceTokenizeWithOffsets",
        "WordpieceTokenizeWithOffsets",
        "CaseFoldUTF8",
        "NormalizeUTF8",
        "RegexSplitWithOffsets",
    }
)


class DisallowedOpsError(ValueError):
    """A SavedModel uses ops outside the allow-list; `ops` holds their sorted names."""

    def __init__(self, path: str, ops: list[str]) -> None:
        self.ops = ops
        super().__init__(
            f"SavedModel {path} uses op(s) that stock TF Serving does not provide: "
            f"{', '.join(ops)}. Allowed are core TensorFlow ops and the tf-text ops "
            f"{', '.join(sorted(TF_SERVING_TF_TEXT_OPS))}."
        )


@functools.lru_cache(maxsize=1)
def core_op_names() -> frozenset[str]:
    """Names of the ops TensorFlow itself registers (extension ops never appear in tf.raw_ops)."""
    return frozenset(name for name in dir(tf.raw_ops) if not name.startswith("_"))


def read_saved_model(path: str | os.PathLike) -> saved_model_pb2.SavedModel:
    """The `SavedModel` proto of the directory `path`.

    Raises:
        FileNotFoundError: `path` holds no `saved_model.pb`.
    """
    pb_path = storage.join(os.fspath(path), "saved_model.pb")
    if not storage.exists(pb_path):
        raise FileNotFoundError(f"No saved_model.pb in {os.fspath(path)}")
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString(storage.read_bytes(pb_path))
    return saved_model


def saved_model_op_types(path: str | os.PathLike) -> set[str]:
    """Every op type in a SavedModel: its graphs' nodes and all functions of their libraries.

    Raises:
        FileNotFoundError: `path` holds no `saved_model.pb`.
    """
    saved_model = read_saved_model(path)
    ops: set[str] = set()
    for meta_graph in saved_model.meta_graphs:
        library = meta_graph.graph_def.library
        ops.update(node.op for node in meta_graph.graph_def.node)
        for function in library.function:
            ops.update(node.op for node in function.node_def)
        # A node may call a library function by name; that is not an op.
        ops.difference_update(function.signature.name for function in library.function)
    return ops


def disallowed_ops(
    path: str | os.PathLike, extra_allowed: frozenset[str] = TF_SERVING_TF_TEXT_OPS
) -> list[str]:
    """Sorted op types of the SavedModel that are neither core ops nor in `extra_allowed`."""
    allowed = core_op_names() | extra_allowed
    return sorted(op for op in saved_model_op_types(path) if op not in allowed)


def check_saved_model(
    path: str | os.PathLike, extra_allowed: frozenset[str] = TF_SERVING_TF_TEXT_OPS
) -> set[str]:
    """Returns the SavedModel's op types; raises `DisallowedOpsError` naming any not allowed."""
    bad = disallowed_ops(path, extra_allowed)
    if bad:
        raise DisallowedOpsError(os.fspath(path), bad)
    return saved_model_op_types(path)
