"""Every notebook in notebooks/ runs top to bottom in smoke mode (BERT_KERAS_SMOKE=1: shipped
samples, a few steps, CPU) in a fresh kernel, and is committed without outputs."""

import json
import pathlib
import sys

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


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


KERNEL = "bert-keras-tests"


@pytest.fixture
def this_python_kernel(tmp_path, monkeypatch):
    """A kernelspec that runs this interpreter (the one with the package installed), whatever
    kernels the machine has registered."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_runs_in_smoke_mode(path, tmp_path, monkeypatch, this_python_kernel):
    monkeypatch.setenv("BERT_KERAS_SMOKE", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(path, as_version=4)
    # A failing cell raises CellExecutionError naming the cell and the traceback.
    NotebookClient(notebook, timeout=600, kernel_name=this_python_kernel,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
