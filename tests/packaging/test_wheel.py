"""The wheel works on its own: built from the checkout, installed into a fresh virtual
environment outside it (no editable install, no repository on sys.path), on each Python of
the matrix (see packaging_helpers), it runs a tiny job end to end through the installed
`bert-keras` command: fine-tune the `tiny` preset on a shipped sample, export, serve on
localhost and query over gRPC."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import time
import zipfile

import pytest

from packaging_helpers import REPO_ROOT, clean_env, make_env, require_python, wheel_matrix

# The package's folders, as installed: bert_keras/ itself, training/ and export/.
SOURCE_FOLDERS = {"bert_keras": "bert_keras", "training": "bert_keras/training",
                  "export": "bert_keras/export"}


def test_the_only_top_level_package_is_bert_keras(wheel):
    with zipfile.ZipFile(wheel) as archive:
        top_level = [name for name in archive.namelist() if name.endswith("top_level.txt")]
        assert len(top_level) == 1
        assert archive.read(top_level[0]).decode().split() == ["bert_keras"]
        assert {name.split("/")[0] for name in archive.namelist()
                if ".dist-info/" not in name} == {"bert_keras"}


def test_the_wheel_holds_every_module_and_shipped_file(wheel):
    """Everything under the three source folders that git tracks is in the wheel: every
    module, the samples and the TF Serving configs (a subpackage left out of pyproject's
    list would be missing)."""
    tracked = subprocess.run(["git", "ls-files", *SOURCE_FOLDERS], cwd=REPO_ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    expected = {SOURCE_FOLDERS[path.split("/")[0]] + path[path.index("/"):] for path in tracked}
    with zipfile.ZipFile(wheel) as archive:
        assert expected - set(archive.namelist()) == set()
    assert "bert_keras/samples/sst2_train_sample.tsv" in expected
    assert "bert_keras/export/tf_serving/models.config" in expected


def test_the_sdist_holds_the_source_layout(wheel):
    sdists = [name for name in os.listdir(os.path.dirname(wheel)) if name.endswith(".tar.gz")]
    assert len(sdists) == 1
    with tarfile.open(os.path.join(os.path.dirname(wheel), sdists[0])) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "bert_keras/cli/__init__.py", "training/finetune.py",
            "export/server.py", "export/tf_serving/models.config",
            "bert_keras/samples/sst2_dev.tsv"} <= names


def _run(command: list[str], cwd: str, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(command)} exited {done.returncode}:\n"
                                  f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _serve(command: list[str], cwd: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Starts `bert-keras serve` and returns it with its address, once it listens."""
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.time() + 300
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("listening on "):
            return server, line.split()[2]
    server.kill()
    raise AssertionError("bert-keras serve did not start:\n" + "".join(lines[-40:]))


@pytest.mark.parametrize("version,constraints", wheel_matrix(),
                         ids=lambda value: value)
def test_wheel_end_to_end(version, constraints, wheel, tmp_path):
    python = require_python(version)
    started = time.time()
    env_python = make_env(python, str(tmp_path / "env"), wheel, constraints=constraints)
    installed = time.time()
    bin_dir = os.path.dirname(env_python)
    work = tmp_path / "work"
    work.mkdir()
    # Modules with the names of the old top-level packages, where a user's script would be.
    for name in ("export", "training"):
        (work / f"{name}.py").write_text(f"raise ImportError('the user module {name}.py')\n")
    env = clean_env(PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    bert_keras = [os.path.join(bin_dir, "bert-keras")]

    where = json.loads(_run([env_python, "-c", (
        "import json, bert_keras, bert_keras.training, bert_keras.export.client, keras, "
        "tensorflow as tf\nfrom bert_keras.samples import sample_path\n"
        "print(json.dumps({'package': bert_keras.__file__, 'tensorflow': tf.__version__, "
        "'keras': keras.__version__, 'train': sample_path('sst2_train_sample.tsv'), "
        "'dev': sample_path('sst2_dev.tsv'), 'text': sample_path('wikitext_sample.txt')}))")],
        str(work), env).splitlines()[-1])
    site = os.path.realpath(str(tmp_path / "env"))
    for key in ("package", "train", "dev", "text"):
        assert os.path.realpath(where[key]).startswith(site), (key, where[key])

    _run(bert_keras + ["vocab", "build", "--input", where["text"], "--output", "vocab.txt",
                       "--vocab-size", "2000"], str(work), env)
    _run(bert_keras + ["finetune", "--task", "sst2", "--init", "random:tiny", "--vocab", "vocab.txt",
                       "--train-file", where["train"], "--dev-file", where["dev"],
                       "--output-dir", "run", "--epochs", "1", "--batch-size", "16",
                       "--seq-length", "32", "--max-train-examples", "128"], str(work), env)
    exported = _run(bert_keras + ["export", "--model", "run", "--output", "models/sst2"],
                    str(work), env)
    assert "models/sst2/1" in exported
    server, address = _serve(bert_keras + ["serve", "models", "--port", "0"], str(work), env)
    try:
        answers = _run(bert_keras + ["predict", "--server", address, "--model", "sst2",
                                     "A gripping, beautifully made film.", "Dull."],
                       str(work), env)
    finally:
        server.terminate()
        server.wait(timeout=60)
    rows = [json.loads(line) for line in answers.splitlines() if line.startswith("{")]
    assert len(rows) == 2, answers
    for row in rows:  # SST-2's labels: 0 negative, 1 positive
        assert row["label_id"] in (0, 1) and row["label"] in ("negative", "positive"), row
        assert abs(sum(row["probabilities"]) - 1) < 1e-5, row
    print(f"wheel test on Python {version} ({constraints}: TensorFlow {where['tensorflow']}, "
          f"Keras {where['keras']}): install {installed - started:.0f} s, job "
          f"{time.time() - installed:.0f} s, total {time.time() - started:.0f} s")
