"""What every conversion command does around the library call: progress bar, report, exit status."""

from __future__ import annotations

import json
import sys

import click

from ccdump.run import DumpOptions, DumpStats, run


def progress_bar(quiet: bool):
    """A tqdm bar on stderr (documents, MB/s, ETA) when stderr is a terminal; (callback, bar)."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, desc="ccdump", file=sys.stderr, dynamic_ncols=True)
    state = {"docs": 0}

    def progress(docs: int, done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if docs - state["docs"] >= 100 or done >= total:
            state["docs"] = docs
            bar.set_postfix(docs=docs, refresh=False)

    return progress, bar


def run_and_report(options: DumpOptions, *, stats_json: str | None, quiet: bool, done: str) -> DumpStats:
    """Run one conversion; print Nutch's report; exit 1 when input was unreadable (after the rest is done)."""
    progress, bar = progress_bar(quiet)
    try:
        stats = run(options, progress)
    finally:
        if bar is not None:
            bar.close()
    report(stats, stats_json=stats_json, quiet=quiet, done=done)
    return stats


def report(stats: DumpStats, *, stats_json: str | None, quiet: bool, done: str) -> None:
    """Write ``-statsJson``, print Nutch's report, exit 1 when input was unreadable (after the rest is done)."""
    if stats_json:
        with open(stats_json, "w", encoding="utf-8") as f:
            json.dump(stats.to_json(), f, indent=2)
    if not quiet:
        click.echo(stats.report(), err=True, nl=False)
    if stats.input_errors:
        for line in stats.errors[:10]:
            click.echo(f"ccdump: {line}", err=True)
        click.echo(f"ccdump: error: {stats.input_errors} input problem(s); the rest was {done}", err=True)
        sys.exit(1)
