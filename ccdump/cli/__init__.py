"""Command line: a thin layer over the library.

``ccdump -segment S -outputDir O …`` runs the dumper (Nutch's ``commoncrawldump`` options);
sub-commands (``readseg``, ``warc``, ``wat``, ``wet``, ``cdxj``, ``jobs`` …) sit beside it. Any
:class:`~ccdump.errors.CcdumpError` becomes one line on stderr and exit status 1, here and only here.
"""

from __future__ import annotations

import importlib
import sys

import click

from ccdump import __version__
from ccdump.errors import CcdumpError

#: sub-command name → "module:attribute", imported on first use so `ccdump --help` stays fast.
COMMANDS: dict[str, str] = {
    "dump": "ccdump.cli.dump:dump_command",
    "readseg": "ccdump.cli.readseg:readseg_command",
    "warc": "ccdump.cli.warc:warc_command",
    "wat": "ccdump.cli.derive:wat_command",
    "wet": "ccdump.cli.derive:wet_command",
    "cdxj": "ccdump.cli.derive:cdxj_command",
    "jobs": "ccdump.cli.jobs:jobs_group",
    "spark": "ccdump.cli.spark:spark_command",
}
DEFAULT_COMMAND = "dump"


class CcdumpGroup(click.Group):
    """A group whose default command is ``dump``, so Nutch's command line works unchanged."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # not built yet in this checkout
            raise
        return getattr(module, attr)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in COMMANDS and args[0] not in ("--help", "--version"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CcdumpError as exc:
            click.echo(f"ccdump: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=CcdumpGroup, context_settings={"help_option_names": ["--help"]})
@click.version_option(__version__, "--version", prog_name="ccdump")
def cli() -> None:
    """Turn Apache Nutch 1.x segments into Common Crawl data.

    \b
    Examples:
      ccdump -segment crawl/segments -outputDir out            # CBOR files, as Nutch's commoncrawldump
      ccdump -segment crawl/segments -outputDir out -warc -gzip
      ccdump readseg -list crawl/segments/20241121093000
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="ccdump")
