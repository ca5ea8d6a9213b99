"""The command line starts fast and writes clean output: `--help` and `--version` without
TensorFlow, no TensorFlow C++ log lines, and progress without carriage returns or ANSI codes
when the output is a file. (How fast is a benchmark: benchmarks/cli_startup.py.)"""

import io
import json
import os
import re
import subprocess
import sys

import pytest

import bert_keras
from bert_keras.cli import COMMANDS, build_parser, command_parser, main, version_text
from bert_keras.training import progress
from bert_keras.training.callbacks import DevMetrics

from task_samples import DATA, FILES, TASKS, VOCAB

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TensorFlow's C++ log lines (glog style) and absl's notice before them.
LOG_LINE = re.compile(r"^([IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]|WARNING: All log "
                      r"messages before absl::InitializeLog)", re.MULTILINE)
INIT = "random:tiny"  # random weights of the tiny preset, as tests/test_cli_errors.py names it


def run_cli(*arguments, tf_log_level=None, stdin=None, **settings):
    """`python -m bert_keras arguments` in a fresh process; TF_CPP_MIN_LOG_LEVEL as given
    (the test process sets one, which the child would otherwise inherit)."""
    env = {name: value for name, value in os.environ.items()
           if name != "TF_CPP_MIN_LOG_LEVEL"}
    if tf_log_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = tf_log_level
    return subprocess.run([sys.executable, "-m", "bert_keras", *arguments], cwd=REPO_ROOT,
                          env=env, input=stdin, capture_output=True, text=True, **settings)


def test_help_version_and_light_commands_import_no_tensorflow():
    script = (
        "import sys\n"
        "from bert_keras.cli import main\n"
        "for argv in ([], ['--help'], ['--version'], ['convert', '--help'], ['vocab', 'build',"
        " '--help'], ['create-pretraining-data', '--help'], ['export', '--help'],"
        " ['serve', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras',"
        " 'tensorflow_text', 'tf_keras'))\n"
        "    assert not heavy, (argv, heavy[:5])\n"
        "print('light')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("light\n")


def test_top_level_help_is_the_same_without_the_commands_modules():
    """`COMMANDS` (which `--help` reads) agrees with what the modules register."""
    assert command_parser().format_help() == build_parser().format_help()
    full = build_parser()
    choices = next(action.choices for action in full._actions
                   if isinstance(action.choices, dict))
    assert list(choices) == [name for name, _, _ in COMMANDS]


def test_vocab_help_names_the_special_tokens_of_the_library():
    from bert_keras.cli import vocab
    from bert_keras.text.vocab import SPECIAL_TOKENS

    assert vocab.SPECIAL_TOKENS == SPECIAL_TOKENS


def test_version_prints_the_versions_and_exits_0():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stderr == ""
    assert re.fullmatch(r"bert-keras (\S+) \(TensorFlow \S+, Keras \S+, Python [\d.]+\)\n",
                        result.stdout)
    assert result.stdout.startswith(f"bert-keras {bert_keras.__version__} (")
    assert result.stdout.strip() == version_text()


def test_an_unknown_command_is_argparses_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bogus"])
    assert exit_.value.code == 2
    assert "bert-keras: error: argument command: invalid choice: 'bogus'" in (
        capsys.readouterr().err)


def test_a_commands_own_help_still_works(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--help"])
    assert exit_.value.code == 0
    assert "--input-file FILE" in capsys.readouterr().out


def test_tensorflows_log_lines_are_hidden_unless_a_level_is_set(tmp_path):
    """Making pretraining data imports TensorFlow and runs ops: without a GPU, TensorFlow logs
    `I0000 ...` lines while it loads and `E0000 ... failed call to cuInit` at the first op."""
    command = ["create-pretraining-data", "--input", str(DATA / "pretrain" / "sample_text.txt"),
               "--vocab", VOCAB, "--dupe-factor", "1"]
    quiet = run_cli(*command, "--output-dir", str(tmp_path / "quiet"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("wrote ")
    chatty = run_cli(*command, "--output-dir", str(tmp_path / "chatty"), tf_log_level="0")
    assert chatty.returncode == 0, chatty.stderr
    assert LOG_LINE.search(chatty.stderr), chatty.stderr  # the user's level is kept


def test_the_log_level_is_only_set_when_the_user_set_none():
    script = ("import os, sys\n"
              "from bert_keras.cli import quiet_tensorflow\n"
              "quiet_tensorflow()\n"
              "print(os.environ['TF_CPP_MIN_LOG_LEVEL'],"
              " any(type(f).__name__ == '_QuietImport' for f in sys.meta_path))\n")
    for level, expected in ((None, "3 True"), ("1", "1 False")):
        env = {name: value for name, value in os.environ.items()
               if name != "TF_CPP_MIN_LOG_LEVEL"}
        if level is not None:
            env["TF_CPP_MIN_LOG_LEVEL"] = level
        result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True)
        assert result.stdout.strip() == expected, result.stderr


def test_a_log_file_gets_no_carriage_returns_or_ansi_codes(tmp_path):
    """`bert-keras finetune ... > log.txt 2>&1`, then `predict` likewise (evaluate's progress
    is the same `Progress` as predict's)."""
    log = tmp_path / "log.txt"
    train, dev = (str(TASKS / name) for name in FILES["sst2"])
    commands = [
        ["finetune", "--task", "sst2", "--init", INIT, "--vocab", VOCAB, "--train-file", train,
         "--dev-file", dev, "--epochs", "2", "--batch-size", "16", "--seq-length", "32",
         "--output-dir", str(tmp_path / "run")],
        ["predict", "--model", str(tmp_path / "run"), "--json", "a gripping film"],
    ]
    for command in commands:
        with open(log, "ab") as file:
            result = subprocess.run(
                [sys.executable, "-m", "bert_keras", *command], cwd=REPO_ROOT,
                env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
                stdout=file, stderr=subprocess.STDOUT)
        assert result.returncode == 0, log.read_text()
    text = log.read_bytes().decode("utf-8")
    assert "\x1b" not in text and "\r" not in text and "\b" not in text, repr(text)
    assert not LOG_LINE.search(text), text
    lines = text.splitlines()
    assert "Epoch 2/2" in lines  # Keras' `verbose=2`: a line per epoch
    assert any(line.startswith("3/3 - ") and "val_accuracy" in line for line in lines), text
    assert any(line.startswith("Epoch 2 dev: val_accuracy: ") for line in lines), text
    assert json.loads(lines[-1])["input"] == "a gripping film"


# ---- Progress ----


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_in_a_file_is_plain_lines():
    log = io.StringIO()
    with progress.progress_shown(label="evaluate"):
        with progress.Progress(4, "predicting", stream=log, delay=0, interval=0) as bar:
            for _ in range(4):
                bar.update()
    assert log.getvalue().splitlines() == [
        "evaluate: predicting 1/4 batches (25%)", "evaluate: predicting 2/4 batches (50%)",
        "evaluate: predicting 3/4 batches (75%)", "evaluate: predicting 4/4 batches (100%)",
        "evaluate: predicting 4/4 batches in 0 s"]


def test_quick_work_and_hidden_progress_write_nothing():
    log = io.StringIO()
    list(progress.tracked(range(5), 5, "decoding", "questions", stream=log))  # within delay
    with progress.progress_shown(False):
        list(progress.tracked(range(5), 5, "decoding", "questions", stream=log, delay=0))
        list(progress.tracked(range(5), 5, "decoding", "questions", stream=Terminal(),
                              delay=0))
    assert log.getvalue() == ""


def test_progress_on_a_terminal_is_a_bar():
    terminal = Terminal()
    with progress.Progress(3, "decoding", "questions", stream=terminal, delay=0) as bar:
        bar.update(3)
    assert "\r" in terminal.getvalue() and "decoding" in terminal.getvalue()


def test_keras_verbose_is_a_line_per_epoch_unless_stdout_is_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert progress.keras_verbose("auto") == 2
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert progress.keras_verbose("auto") == 1
    assert progress.keras_verbose(0) == 0


def test_dev_metrics_show_the_evaluations_progress_by_verbose(capsys):
    log = io.StringIO()

    def evaluate(model):
        list(progress.tracked(range(2), 2, "decoding", "questions", stream=log, delay=0))
        return {"f1": 50.0}

    DevMetrics(evaluate, verbose=False).on_epoch_end(0, {})
    assert log.getvalue() == ""
    DevMetrics(evaluate, verbose=True).on_epoch_end(1, {})
    assert log.getvalue().splitlines() == ["epoch 2 dev: decoding 1/2 questions (50%)",
                                           "epoch 2 dev: decoding 2/2 questions in 0 s"]
    assert capsys.readouterr().out == "Epoch 2 dev: val_f1: 50.0000\n"
