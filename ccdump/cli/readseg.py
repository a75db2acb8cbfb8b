"""``ccdump readseg``: inspect segments as ``bin/nutch readseg`` does."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext

import click

from ccdump.errors import InputError
from ccdump.hadoop import fs
from ccdump.nutch import readseg as lib
from ccdump.nutch.segment import SUBDIRS, Segment, find_segments, iter_segments

SWITCHES = {
    "nocontent": "content",
    "nofetch": "crawl_fetch",
    "nogenerate": "crawl_generate",
    "noparse": "crawl_parse",
    "noparsedata": "parse_data",
    "noparsetext": "parse_text",
}


@click.command("readseg", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-dump", "mode", flag_value="dump", help="Dump SEGMENT's records (to OUTPUT_DIR/dump, or stdout).")
@click.option("-list", "mode", flag_value="list", help="Per-segment counts: generated, fetched, parsed, statuses.")
@click.option("-get", "mode", flag_value="get", help="Print the records stored under one URL (keyed lookup).")
@click.option("-json", "as_json", is_flag=True, help="JSON lines in the conformance-oracle schema.")
@click.option("-dir", "segments_dir", help="With -list: every segment under this folder.")
@click.option("-nocontent", is_flag=True, help="Leave out content.")
@click.option("-nofetch", is_flag=True, help="Leave out crawl_fetch.")
@click.option("-nogenerate", is_flag=True, help="Leave out crawl_generate.")
@click.option("-noparse", is_flag=True, help="Leave out crawl_parse.")
@click.option("-noparsedata", is_flag=True, help="Leave out parse_data.")
@click.option("-noparsetext", is_flag=True, help="Leave out parse_text.")
@click.option("-skipCorrupt", "skip_corrupt", is_flag=True, help="Skip corrupt records (resynchronising) and count them.")
@click.option("-verifyCrc", "verify_crc", is_flag=True, help="Check each file against its .crc sidecar first.")
@click.argument("args", nargs=-1)
def readseg_command(mode, as_json, segments_dir, skip_corrupt, verify_crc, args, **switches) -> None:
    """Inspect Nutch segments, as `bin/nutch readseg`.

    \b
    Examples:
      ccdump readseg -list crawl/segments/20241121093000
      ccdump readseg -list -dir crawl/segments
      ccdump readseg -dump crawl/segments/20241121093000 dumpdir -nocontent
      ccdump readseg -dump crawl/segments/20241121093000 -json > seg.jsonl
      ccdump readseg -get crawl/segments/20241121093000 https://example.org/
    """
    subdirs = tuple(d for d in SUBDIRS if not any(switches[s] for s, dd in SWITCHES.items() if dd == d))
    on_error = "skip" if skip_corrupt else "raise"
    if mode is None:
        raise click.UsageError("one of -dump, -list or -get is required")
    if mode == "list":
        paths = list(args)
        if segments_dir:
            paths += find_segments(segments_dir)
        if not paths:
            raise click.UsageError("-list needs segment folders or -dir SEGMENTS")
        segments = [s for p in paths for s in iter_segments(p, on_error=on_error, verify_crc=verify_crc)]
        rows = [lib.list_counts(s) for s in segments]
        if as_json:
            for row in rows:
                click.echo(json.dumps(row))
        else:
            _print_list(rows)
        _report_skips(segments)
        return
    if not args:
        raise click.UsageError(f"-{mode} needs a segment folder")
    segment = Segment(args[0], on_error=on_error, verify_crc=verify_crc)
    if not any(segment.has(d) for d in SUBDIRS):
        raise InputError(f"{args[0]}: not a Nutch segment (no content/, crawl_fetch/ … folder)")
    if mode == "get":
        if len(args) < 2:
            raise click.UsageError("-get needs a segment folder and a URL")
        found = lib.get_records(segment, args[1], subdirs)
        for subdir, values in found.items():
            for i, value in enumerate(values):
                if as_json:
                    click.echo(json.dumps({"dir": subdir, "key": args[1], "value": lib.value_json(value)}, ensure_ascii=False))
                else:
                    click.echo(lib.format_text(subdir, i, args[1], value), nl=False)
        if not found:
            raise InputError(f"{args[1]}: not found in {args[0]}")
        return
    target = args[1] if len(args) > 1 else None
    out_ctx = _open_output(target) if target else nullcontext(sys.stdout)
    with out_ctx as out:
        if as_json:
            for line in lib.dump_json_lines(segment, subdirs):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
            for chunk in lib.dump_text(segment, subdirs):
                out.write(chunk)
    _report_skips([segment])


def _open_output(target: str):
    """Nutch writes ``OUTPUT_DIR/dump``; we write it under a temporary name and rename when done."""
    import contextlib
    import os
    import tempfile

    @contextlib.contextmanager
    def ctx():
        os.makedirs(fs.local_path(target), exist_ok=True)
        final = os.path.join(fs.local_path(target), "dump")
        fd, tmp = tempfile.mkstemp(prefix=".dump.", dir=fs.local_path(target))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                yield f
            os.replace(tmp, final)
        except BaseException:
            os.unlink(tmp)
            raise

    return ctx()


def _print_list(rows: list[dict]) -> None:
    click.echo(f"{'NAME':<20}{'GENERATED':>11}{'FETCHER START':>31}{'FETCHER END':>31}{'FETCHED':>9}{'PARSED':>8}")
    for r in rows:
        start = lib._format_time(r["started"]) if r["started"] else "?"
        end = lib._format_time(r["finished"]) if r["finished"] else "?"
        click.echo(
            f"{r['name']:<20}{_n(r['generated']):>11}{start:>31}{end:>31}{_n(r['fetched']):>9}{_n(r['parsed']):>8}"
        )
        if r["fetch_status"]:
            click.echo("    " + ", ".join(f"{k}: {v}" for k, v in r["fetch_status"].items()))


def _n(v: int | None) -> str:
    return "?" if v is None else str(v)


def _report_skips(segments: list[Segment]) -> None:
    for s in segments:
        for reason, n in s.stats.skipped.items():
            if n:
                click.echo(f"ccdump: {s.name}: skipped {n} ({reason})", err=True)
