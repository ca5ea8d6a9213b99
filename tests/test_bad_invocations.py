"""A table of bad invocations, one per edge a user can hit: each ends before any work with one
line `bert-keras <command>: error: <what is wrong>` naming the flag or file, exit status 2, and
no traceback."""

import pytest

from bert_keras.cli import main

from task_samples import DATA, TASKS, VOCAB

SST2 = ["--train-file", str(TASKS / "sst2_train.tsv"), "--dev-file", str(TASKS / "sst2_dev.tsv")]
TEXT = str(DATA / "pretrain" / "sample_text.txt")
TINY = ["--init", "random:tiny", "--vocab", VOCAB]


def finetune(*args: str) -> list[str]:
    return ["finetune", "--task", "sst2", "--output-dir", "{tmp}/run", *args]


def pretrain(*args: str) -> list[str]:
    return ["pretrain", "--output-dir", "{tmp}/run", *args]


BAD = [
    # argv, the message's expected fragment
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
    (["finetune", "--task", "nope", "--init", "x", "--output-dir", "o"], "argument --task: "
                                                                        "invalid choice: 'nope'"),
    (["finetune", "--task", "sst2", "--output-dir", "o"], "the following arguments are "
                                                          "required: --init"),
    (finetune("--init", "random:tiny", *SST2), "random:tiny (random weights) needs a "
                                               "vocabulary (--vocab vocab.txt)"),
    (finetune("--init", "base", "--vocab", VOCAB, *SST2), "base is an architecture, not "
                                                          "weights: write random:base"),
    (finetune("--init", "tinyy", "--vocab", VOCAB, *SST2), "tinyy: no such file or directory "
                                                           "(for random weights name a preset"),
    (finetune(*TINY, "--train-file", "{tmp}/missing.tsv", "--dev-file", "x"),
     "--train-file {tmp}/missing.tsv: no such file or directory"),
    (finetune("--init", "random:tiny", "--vocab", "{tmp}/vocab.txt", *SST2),
     "--vocab {tmp}/vocab.txt: no such file or directory"),
    (finetune(*TINY, "--data-dir", "{tmp}/glue"), "--data-dir {tmp}/glue: no such file or "
                                                  "directory"),
    (finetune(*TINY, *SST2, "--doc-stride", "64"), "--task sst2 takes no options, got "
                                                   "doc_stride (--doc-stride)"),
    (finetune(*TINY, *SST2, "--epochs", "0"), "argument --epochs: expected a positive integer, "
                                              "got '0'"),
    (finetune(*TINY, *SST2, "--seq-length", "1000"), "--seq-length 1000 is more than the 512 "
                                                     "positions of the model of random:tiny"),
    (finetune(*TINY, *SST2, "--optimizer", "sgd"), "argument --optimizer: invalid choice"),
    (["finetune", "--task", "csv", *TINY, "--output-dir", "o", *SST2],
     "--task csv needs --train-file, --dev-file, --text-columns and --label-column"),
    (["evaluate", "--model", "{tmp}/no_run"], "--model {tmp}/no_run: no such file or directory"),
    (["evaluate", "--model", "{tmp}"], "no task.json; expected a directory written by "
                                       "`bert-keras finetune` or `pretrain`"),
    (["predict", "--model", "{tmp}"], "give texts to predict, or --input-file"),
    (["predict", "--model", "{tmp}", "--input-file", "{tmp}/in.txt"], "{tmp}/in.txt"),
    (pretrain(*TINY, "--text", "{tmp}/missing.txt"), "--text {tmp}/missing.txt: no such file "
                                                     "or directory"),
    (pretrain(*TINY, "--text", TEXT, "--data", "x"), "argument --data: not allowed with "
                                                     "argument --text"),
    (pretrain(*TINY, "--text", TEXT, "--seq-length", "1000"),
     "--seq-length 1000 is more than the 512 positions of the model of random:tiny"),
    (pretrain(*TINY, "--text", TEXT, "--steps-per-epoch", "5", "--accumulation-steps", "2"),
     "must be a multiple of accumulation_steps (2)"),
    (pretrain(*TINY, "--data", "{tmp}"), "no metadata.json; for shards made by another tool "
                                         "give --seq-length and --max-predictions"),
    (["create-pretraining-data", "--input", TEXT, "--vocab", "{tmp}/v.txt", "--output-dir",
      "{tmp}/d"], "--vocab {tmp}/v.txt: no such file or directory"),
    (["create-pretraining-data", "--input", "{tmp}/*.txt", "--vocab", VOCAB, "--output-dir",
      "{tmp}/d"], "No input file matches {tmp}/*.txt"),
    (["create-pretraining-data", "--input", TEXT, "--vocab", VOCAB, "--output-dir", "{tmp}/d",
      "--seq-length", "4"], "argument --seq-length: expected an integer >= 5"),
    (["convert", "--input", "{tmp}", "--output", "x.h5"], "--output must end with .keras, got "
                                                          "'x.h5'"),
    (["convert", "--input", "{tmp}/none", "--output", "x.keras"], "{tmp}/none: not a "
                                                                  "checkpoint directory"),
    (["export", "--model", "{tmp}/none", "--output", "{tmp}/models/x"], "{tmp}/none: no "
                                                                        "model.keras"),
    (["export", "--model", "{tmp}/none.keras", "--output", "{tmp}/models/x"],
     "{tmp}/none.keras: no such file"),
    (["serve", "{tmp}/none", "--port", "0"], "{tmp}/none"),
    (["serve", "{tmp}", "--port", "70000"], "argument --port: expected a port in [0, 65535]"),
    (["vocab", "build", "--input", "{tmp}/none.txt", "--output", "{tmp}/v.txt"],
     "{tmp}/none.txt"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(argv[:4]) for argv, _ in BAD])
def test_a_bad_invocation_is_one_line_and_status_2(argv, message, tmp_path, capsys):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    command = "vocab build" if argv[0] == "vocab" else argv[0]
    prefix = "bert-keras: error: " if argv[0] == "nosuchcommand" else (
        f"bert-keras {command}: error: ")
    assert last.startswith(prefix), err
    assert message.format(tmp=tmp_path) in last, err


def test_a_corrupt_checkpoint_is_one_line(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"vocab_size": 99, "hidden_size": 32, '
                                          '"num_hidden_layers": 1, "num_attention_heads": 2, '
                                          '"intermediate_size": 64}')
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    assert main(["convert", "--input", str(tmp_path), "--output", str(tmp_path / "x.keras")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        f"bert-keras convert: error: {tmp_path}"), err


def test_a_corrupt_google_checkpoint_is_one_line(tmp_path, capsys):
    (tmp_path / "bert_config.json").write_text('{"vocab_size": 99, "hidden_size": 32, '
                                               '"num_hidden_layers": 1, '
                                               '"num_attention_heads": 2, '
                                               '"intermediate_size": 64}')
    (tmp_path / "bert_model.ckpt.index").write_bytes(b"not an index")
    (tmp_path / "bert_model.ckpt.data-00000-of-00001").write_bytes(b"")
    assert main(["convert", "--input", str(tmp_path), "--output", str(tmp_path / "x.keras")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        f"bert-keras convert: error: {tmp_path}"), err
