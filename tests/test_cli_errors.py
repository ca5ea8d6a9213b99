"""Every command turns a file-system error into one line naming the file (no traceback)."""

import pytest

from bert_keras.cli import main

from task_samples import DATA, FILES, TASKS, VOCAB

TEXT = str(DATA / "pretrain" / "sample_text.txt")


@pytest.mark.parametrize("command, argv", [
    ("vocab build", ["vocab", "build", "--input", TEXT, "--vocab-size", "200", "--output",
               "{blocked}/vocab.txt"]),
    ("create-pretraining-data", ["create-pretraining-data", "--input", TEXT, "--vocab", VOCAB,
                                 "--output-dir", "{blocked}/shards"]),
    ("finetune", ["finetune", "--task", "sst2", "--init", "random:tiny", "--vocab", VOCAB,
                  "--train-file", str(TASKS / FILES["sst2"][0]),
                  "--dev-file", str(TASKS / FILES["sst2"][1]), "--output-dir", "{blocked}/run"]),
    ("pretrain", ["pretrain", "--text", TEXT, "--init", "random:tiny", "--vocab", VOCAB,
                  "--num-train-steps", "1", "--output-dir", "{blocked}/run"]),
])
def test_an_output_that_cannot_be_created_is_one_line(tmp_path, capsys, command, argv):
    blocked = tmp_path / "a_file"  # a file where a folder is needed
    blocked.write_text("not a folder")
    assert main([arg.format(blocked=blocked) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith(f"bert-keras {command}: error: {blocked}") and last.endswith(
        ": Not a directory"), err


@pytest.mark.parametrize("argv, flag, expected", [
    (["finetune", "--task", "squad", "--init", "random:tiny", "--output-dir", "x",
      "--doc-stride", "0"],
     "--doc-stride", "a positive integer, got '0'"),
    (["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x", "--epochs", "-1"],
     "--epochs", "a positive integer, got '-1'"),
    (["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x", "--learning-rate",
      "nan"], "--learning-rate", "a number > 0, got 'nan'"),
    (["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x", "--warmup-ratio",
      "1.5"], "--warmup-ratio", "a number in [0, 1], got '1.5'"),
    (["finetune", "--task", "squad", "--init", "random:tiny", "--output-dir", "x", "--dev-fraction",
      "1"], "--dev-fraction", "a number in (0, 1), got '1'"),
    (["pretrain", "--text", "a.txt", "--init", "random:tiny", "--output-dir", "x",
      "--seq-length", "0"],
     "--seq-length", "a positive integer, got '0'"),
    (["create-pretraining-data", "--input", "a.txt", "--vocab", "v.txt", "--output-dir", "x",
      "--masked-lm-prob", "0"], "--masked-lm-prob", "a number in (0, 1], got '0'"),
    (["serve", "models", "--port", "70000"], "--port", "a port in [0, 65535], got '70000'"),
    (["export", "--model", "run", "--output", "m", "--version", "0"], "--version",
     "a positive integer, got '0'"),
    (["vocab", "build", "--input", "a.txt", "--output", "v.txt", "--vocab-size", "ten"],
     "--vocab-size", "a positive integer, got 'ten'"),
])
def test_an_invalid_option_fails_before_any_work_naming_the_flag(capsys, argv, flag, expected):
    """`--doc-stride 0` used to become the default 128 silently; `--epochs -1` failed deep in
    the schedule."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert f"argument {flag}: expected {expected}" in capsys.readouterr().err


def test_a_task_flag_for_another_task_is_refused_not_ignored(capsys):
    assert main(["finetune", "--task", "sst2", "--init", "random:tiny", "--output-dir", "x",
                 "--doc-stride", "64"]) == 2
    assert capsys.readouterr().err == (
        "bert-keras finetune: error: --task sst2 takes no options, got doc_stride (--doc-stride)\n")
