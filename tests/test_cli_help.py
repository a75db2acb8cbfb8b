"""Every command is registered, has help, and its help shows an example (the CLI is documented)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ccdump.cli import COMMANDS, CcdumpGroup, cli

BUILT = [name for name in COMMANDS if CcdumpGroup._load(name) is not None]


def test_group_help_lists_every_built_command():
    out = CliRunner().invoke(cli, ["--help"]).output
    for name in BUILT:
        assert name in out


@pytest.mark.parametrize("name", BUILT)
def test_command_help_has_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "Example" in result.output or "ccdump " in result.output.split("Options:")[0]


def test_nutch_style_h_prints_the_dumper_usage():
    result = CliRunner().invoke(cli, ["-h"])
    assert result.exit_code == 0 and "-segment" in result.output
