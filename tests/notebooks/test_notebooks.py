"""Every notebook in notebooks/ runs top to bottom in smoke mode (BERT_KERAS_SMOKE=1: shipped
samples, a few steps, CPU) in a fresh kernel, and is committed without outputs.

The kernel is a fresh Python 3.12 virtual environment (the closest these machines come to
Colab) holding what a Colab runtime brings: its own TensorFlow, at another supported version
than the lock's (2.20), ipykernel, matplotlib and scikit-learn. The notebooks' own install cell
installs the wheel under test into it (`BERT_KERAS_SOURCE`) and must keep that TensorFlow."""

import json
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from packaging_helpers import CONSTRAINTS, REPO_ROOT, make_env, require_python

NOTEBOOKS = sorted((pathlib.Path(REPO_ROOT) / "notebooks").glob("*.ipynb"))
KERNEL = "bert-keras-tests"
KERNEL_PYTHON = "3.12"
# What the runtime has before the install cell runs: a supported TensorFlow that is not the
# lock's, and Colab's usual packages.
RUNTIME_TENSORFLOW = "2.20.0"
RUNTIME_PACKAGES = (f"tensorflow=={RUNTIME_TENSORFLOW}", "ipykernel", "matplotlib",
                    "scikit-learn")


def test_the_five_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == [
        "01_text_classification.ipynb", "02_ner.ipynb", "03_question_answering.ipynb",
        "04_pretraining.ipynb", "05_export_and_serve.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_badges_and_install_cells_follow_the_repository_variable():
    done = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts",
                                                        "sync_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def fresh_kernel(wheel, tmp_path_factory):
    """A kernelspec running a fresh Python 3.12 environment, and the environment variables
    that make the notebooks' install cell install the wheel with the locked versions."""
    base = tmp_path_factory.mktemp("notebook_kernel")
    # The lock, less the TensorFlow family: the runtime's TensorFlow decides those.
    constraints = base / "constraints.txt"
    constraints.write_text("".join(
        line for line in open(CONSTRAINTS["lock"], encoding="utf-8")
        if not line.startswith(("tensorflow", "tensorboard"))))
    python = make_env(require_python(KERNEL_PYTHON), str(base / "env"), *RUNTIME_PACKAGES,
                      constraints=str(constraints))
    spec = base / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python"}))
    return {"JUPYTER_PATH": str(base / "jupyter"), "BERT_KERAS_SOURCE": wheel,
            "PIP_CONSTRAINT": str(constraints)}


@pytest.fixture(scope="module")
def working_dir(tmp_path_factory):
    """One folder for all the notebooks, as one runtime's: notebook 5 serves the run notebook 1
    wrote (it fine-tunes one itself only when run alone)."""
    return tmp_path_factory.mktemp("notebooks")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_runs_in_smoke_mode(path, working_dir, monkeypatch, fresh_kernel):
    for name, value in fresh_kernel.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("BERT_KERAS_SMOKE", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(path, as_version=4)
    # A failing cell raises CellExecutionError naming the cell and the traceback.
    NotebookClient(notebook, timeout=600, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(working_dir)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    # The notebook ran on the installed wheel, not on the checkout, and on the runtime's
    # own TensorFlow.
    probe = nbformat.v4.new_code_cell("import bert_keras, tensorflow as tf\n"
                                      "print(bert_keras.__file__, tf.__version__)")
    NotebookClient(nbformat.v4.new_notebook(cells=[probe]), timeout=120, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(working_dir)}}).execute()
    location, tensorflow_version = probe.outputs[-1]["text"].split()
    assert "site-packages" in location and not location.startswith(REPO_ROOT), location
    assert tensorflow_version == RUNTIME_TENSORFLOW
