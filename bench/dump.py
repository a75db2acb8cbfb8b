"""Benchmark: the dumper (CBOR files, -gzip) beside read-only iteration of the same segment.

Usage: python bench/dump.py [--mb 200]

Measured in one run on the cached benchmark segment (bench/_segment.py, BLOCK DefaultCodec; pages
calibrated against real HTML, see bench/_pages.py):
  * read-only: iterate the documents the dumper reads (content + parse_data joined), no output;
  * CBOR files: ``ccdump.dump(out, segment)`` — one file per document;
  * -gzip: ``ccdump.dump(out, segment, gzip=True)`` — one streamed tar.gz;
alternating ``--repeat`` times; the best run of each is reported (with the worst beside it: one file
per document makes CBOR files as fast as the disk's metadata operations, which vary) as
documents/s and MB/s of content, with the ratio to read-only, then the peak RSS of each mode in a
fresh process. Targets (issue #3): CBOR ≥ 40 % of read-only, -gzip ≥ 25 %, RSS ≤ 150 MB.
``--out /dev/shm`` measures without the disk.

A last line gives one core's deflate rate (level 6, as the archive) over a sample of the
documents with the standard zlib and with the module ccdump deflates with (zlib-ng when
installed, ``ccdump/fastzlib.py``); -gzip deflates on every core, but cannot beat cores × that
rate less the cores' share spent reading and mapping.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ccdump  # noqa: E402
from bench._segment import WORK, child_peak_rss_mb, segment_for  # noqa: E402
from ccdump import fastzlib  # noqa: E402
from ccdump.nutch.segment import CONTENT, PARSE_DATA, Segment  # noqa: E402


def read_only(segment: str) -> tuple[float, int, int]:
    t = time.perf_counter()
    docs = size = 0
    for doc in Segment(segment).documents(folders=(CONTENT, PARSE_DATA)):
        if doc.content is not None:
            docs += 1
            size += len(doc.content.content)
    return time.perf_counter() - t, docs, size


def deflate_rate(segment: str, module=zlib, sample: int = 32_000_000, level: int = 6) -> float:
    """MB/s of one thread deflating (raw, ``level``) the first ``sample`` bytes of content with ``module``."""
    parts, size = [], 0
    for doc in Segment(segment).documents(folders=(CONTENT,)):
        if doc.content is not None:
            parts.append(doc.content.content)
            size += len(doc.content.content)
            if size >= sample:
                break
    data = b"".join(parts)
    deflate = module.compressobj(level, zlib.DEFLATED, -15)
    t = time.thread_time()
    deflate.compress(data)
    deflate.flush()
    return len(data) / 1e6 / (time.thread_time() - t)


def filesystem_of(path: str) -> str:
    """The file system type ``path`` is on (from /proc/mounts), for the report."""
    path, best = os.path.realpath(path), ("", "?")
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 2 and (path == fields[1] or path.startswith(fields[1].rstrip("/") + "/")) and len(fields[1]) >= len(best[0]):
                    best = (fields[1], fields[2])
    except OSError:
        pass
    return best[1]


def timed_dump(segment: str, out_root: str, keep: list[str], **options) -> float:
    """Seconds of one dump into a fresh folder; the folder is deleted at the end of the benchmark,
    not here, because deleting 10 000 files slows the next run on some disks (ext4 with discard)."""
    out = tempfile.mkdtemp(prefix="dump-", dir=out_root)
    keep.append(out)
    t = time.perf_counter()
    ccdump.dump(out, segment, **options)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode, alternating; the best is reported")
    parser.add_argument("--out", default=WORK, help="where the outputs go (default bench/_work; try /dev/shm)")
    args = parser.parse_args()
    segment = segment_for(args.mb, "BLOCK")
    modes: dict[str, dict] = {"read-only": {}, "CBOR files": {}, "-gzip": {"gzip": True}}
    times: dict[str, list[float]] = {name: [] for name in modes}
    keep: list[str] = []
    try:
        for _ in range(args.repeat):
            for name, options in modes.items():
                if name == "read-only":
                    seconds, docs, size = read_only(segment)
                else:
                    seconds = timed_dump(segment, args.out, keep, **options)
                times[name].append(seconds)
    finally:
        for out in keep:
            shutil.rmtree(out, ignore_errors=True)
    mb = size / 1e6
    base = min(times["read-only"])
    print(f"{args.mb} MB segment, {docs} documents; outputs on {args.out} ({filesystem_of(args.out)}); best of {args.repeat}")
    print(f"{'mode':<14}{'seconds':>9}{'(worst)':>9}{'docs/s':>9}{'MB/s':>8}{'ratio':>7}{'peak RSS MB':>13}")
    code = "import ccdump,tempfile,shutil\no=tempfile.mkdtemp(dir={w!r})\nccdump.dump(o,{s!r}{opt})\nshutil.rmtree(o)"
    for name, options in modes.items():
        seconds = min(times[name])
        if name == "read-only":
            rss = child_peak_rss_mb(f"from ccdump.nutch.segment import Segment\nfor d in Segment({segment!r}).documents(): pass")
        else:
            opt = "".join(f", {k}={v!r}" for k, v in options.items())
            rss = child_peak_rss_mb(code.format(w=args.out, s=segment, opt=opt))
        print(f"{name:<14}{seconds:>9.2f}{max(times[name]):>9.2f}{docs / seconds:>9.0f}{mb / seconds:>8.1f}{base / seconds:>7.2f}{rss:>13.0f}")
    print(
        f"deflate -6, one thread: {deflate_rate(segment):.1f} MB/s of content with zlib, "
        f"{deflate_rate(segment, fastzlib.zlib):.1f} with {fastzlib.IMPLEMENTATION} (what ccdump uses); {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
