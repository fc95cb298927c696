import pytest

from rnnlab.cli import COMMANDS, build_parser, main


def test_full_parser_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listed = capsys.readouterr().out
    for command in COMMANDS:
        assert command in listed


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"rnnlab {command}" in capsys.readouterr().out


def test_single_command_parser_holds_only_its_module():
    parser = build_parser("ngram")
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "ngram" in sub.choices and "train" not in sub.choices


@pytest.mark.parametrize("command", [
    ["generate", "synthetic-lm"],
    ["prepare", "--task", "lm", "--tokenizer", "whitespace", "--train", "{raw}", "--valid", "{raw}", "--test", "{raw}"],
])
def test_unwritable_output_folder_is_one_clear_error(tmp_path, capsys, command):
    raw = tmp_path / "raw.txt"
    raw.write_text("a b c\n")
    out = raw / "processed" / "c"  # a folder under a regular file cannot be made, even by root
    code = main([arg.format(raw=raw) for arg in command] + ["--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (f"error: cannot create output folder {out.parent}: Not a directory; "
                           "choose a writable output folder")
