"""The ``jtcse`` command line's own texts: ``--version``, and help that shows no docstring
markup and gives every command a working example."""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shlex

import pytest

import jtcse
from jtcse.console import COMMANDS, build_parser, main

# What reStructuredText or Sphinx markup looks like in a help text: ``literal`` or :role:`x`.
RST_MARKUP = re.compile(r"``|:[a-z]+:`")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand the parser registers, by name."""
    parser = build_parser()
    (commands,) = (
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    return dict(commands.choices)


def _help(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_version_is_the_package_version(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])

    assert exit_info.value.code == 0
    version = importlib.metadata.version("jtcse")
    assert capsys.readouterr().out == f"jtcse {version}\n"
    assert jtcse.__version__ == version


def test_every_subcommand_has_its_texts() -> None:
    assert set(_subcommands()) == set(COMMANDS)


def test_the_main_help_has_no_markup_and_an_example(capsys: pytest.CaptureFixture) -> None:
    text = _help([], capsys)

    assert text.startswith("usage: jtcse")
    assert "The jtcse command line" in text
    assert not RST_MARKUP.search(text), text
    assert "Example:\n  jtcse evaluate " in text
    assert "--version" in text


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_subcommand_help_has_no_markup_and_examples(
    command: str, capsys: pytest.CaptureFixture
) -> None:
    text = _help([command], capsys)

    assert text.startswith(f"usage: jtcse {command}")
    assert not RST_MARKUP.search(text), text
    assert "Examples:\n" in text
    # Each example is printed as written, under the heading, indented by two spaces.
    examples = text.split("Examples:\n", 1)[1]
    for example in COMMANDS[command].examples:
        assert f"  {example}\n" in examples + "\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_example_is_a_valid_command_line(command: str) -> None:
    """Each example parses with the real parser (nothing runs): a renamed or removed option
    breaks this test, not a user's copy of the example."""
    commands = [line for line in COMMANDS[command].examples if not line.startswith("#")]
    assert commands

    for line in commands:
        words = shlex.split(line.rsplit("|", 1)[-1])  # `echo ... | jtcse ...`: the jtcse part
        assert words[:2] == ["jtcse", command], line
        parsed = build_parser().parse_args(words[1:])
        assert parsed.command == command
