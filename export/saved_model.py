"""`bert-keras export`: a trained model -> a SavedModel version laid out for TF Serving.

    BASE_DIR/NAME/<version>/saved_model.pb, variables/, assets.extra/tf_serving_warmup_requests
                                                       (and label_names.txt)

The version is written under a hidden temporary name in `BASE_DIR/NAME` (TF Serving only
loads numeric directory names), checked (`bert_keras.export.graph_check`: only ops stock TF
Serving has) and renamed into place only when complete, so a server watching the directory never
sees a half-written version.

Example:
    >>> export_model("runs/sst2", "models/sst2")  # doctest: +SKIP
    Exported(path='models/sst2/1', kind='classifier', signatures=('embed', ...))
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
from typing import Sequence

import keras
import tensorflow as tf

from bert_keras import storage
from bert_keras.export.graph_check import check_saved_model
from bert_keras.export.model_repository import versions
from bert_keras.export.run_dir import load_trained
from bert_keras.export.signatures import serving_functions
from bert_keras.export.warmup import WARMUP_FILE, default_warmup_inputs, write_warmup_requests
from bert_keras.model_files import partial_path, remove_abandoned_partials

# Class names in label-id order (classifiers and taggers), for clients and `Classify`.
LABELS_FILE = os.path.join("assets.extra", "label_names.txt")


@dataclasses.dataclass(frozen=True)
class Exported:
    """A written model version: its directory, the kind of model and its signature names."""

    path: str
    kind: str
    signatures: tuple[str, ...]


def export_model(model_dir: str, output: str, version: int | None = None,
                 warmup_texts: Sequence[str] | None = None) -> Exported:
    """Exports the `bert-keras finetune` run in `model_dir` as version `version` (default: the
    newest existing version plus one) of the model `output` (`BASE_DIR/NAME`).

    Raises:
        FileExistsError: that version exists already.
        bert_keras.export.graph_check.DisallowedOpsError: the graph needs an op TF Serving
            lacks (nothing is left behind).
    """
    if version is not None and (isinstance(version, bool) or version < 1):
        raise ValueError(f"--version must be a positive integer, got {version}")
    version = version or max(versions(output), default=0) + 1
    final = storage.join(output, str(version))
    if storage.exists(final):
        raise FileExistsError(f"{final} exists already; pick another --version or leave it "
                              "out to take the next one")
    trained = load_trained(model_dir)
    storage.makedirs(output)
    remove_abandoned_partials(output)
    partial = partial_path(final)
    storage.rmtree(partial, ignore_errors=True)
    try:
        archive = keras.export.ExportArchive()
        archive.track(trained.model)
        functions = serving_functions(trained)
        for name, function in functions.items():
            archive.add_endpoint(name, function, input_signature=function.input_signature)
        archive.write_out(partial, verbose=False)
        check_saved_model(partial)
        inputs = default_warmup_inputs(trained, warmup_texts)
        write_warmup_requests(storage.join(partial, WARMUP_FILE), os.path.basename(
            os.path.normpath(output)), inputs)
        if trained.label_names:
            with storage.open_file(storage.join(partial, LABELS_FILE), "w",
                                   encoding="utf-8") as file:
                file.write("".join(f"{name}\n" for name in trained.label_names))
        storage.replace(partial, final)
    except tf.errors.OpError as error:  # a full disk while TensorFlow writes the variables
        reason = re.sub(r"\s*\[Op:\w+\]$", "", error.message.rsplit("; ", 1)[-1]).strip()
        raise OSError(errno.EIO, f"cannot write {final}: {reason}") from None
    finally:
        storage.rmtree(partial, ignore_errors=True)
    return Exported(final, trained.kind, tuple(sorted(functions)))
