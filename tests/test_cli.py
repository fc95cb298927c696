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
