"""Benchmark: the dumper (CBOR files, -gzip) beside read-only iteration of the same segment.

Usage: python bench/dump.py [--mb 200]

Measured in one run on the cached benchmark segment (bench/_segment.py, BLOCK DefaultCodec):
  * read-only: iterate the documents the dumper reads (content + parse_data joined), no output;
  * CBOR files: ``ccdump.dump(out, segment)`` — one file per document;
  * -gzip: ``ccdump.dump(out, segment, gzip=True)`` — one streamed tar.gz;
each as documents/s and MB/s of content, with the ratio to read-only, then the peak RSS of each
mode in a fresh process. Targets (issue #3): CBOR ≥ 40 % of read-only, -gzip ≥ 25 %, RSS ≤ 150 MB.

A last line gives the baseline -gzip is bound by: one core's deflate rate (level 6, as the
archive) over a sample of the documents; -gzip deflates on every core, but cannot beat
cores × that rate less the cores' share spent reading and mapping.
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
from ccdump.nutch.segment import CONTENT, PARSE_DATA, Segment  # noqa: E402


def read_only(segment: str) -> tuple[float, int, int]:
    t = time.perf_counter()
    docs = size = 0
    for doc in Segment(segment).documents(folders=(CONTENT, PARSE_DATA)):
        if doc.content is not None:
            docs += 1
            size += len(doc.content.content)
    return time.perf_counter() - t, docs, size


def deflate_rate(segment: str, sample: int = 32_000_000, level: int = 6) -> float:
    """MB/s of one thread deflating (raw, ``level``) the first ``sample`` bytes of content."""
    parts, size = [], 0
    for doc in Segment(segment).documents(folders=(CONTENT,)):
        if doc.content is not None:
            parts.append(doc.content.content)
            size += len(doc.content.content)
            if size >= sample:
                break
    data = b"".join(parts)
    deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
    t = time.thread_time()
    deflate.compress(data)
    deflate.flush()
    return len(data) / 1e6 / (time.thread_time() - t)


def timed_dump(segment: str, **options) -> float:
    out = tempfile.mkdtemp(prefix="dump-", dir=WORK)
    try:
        t = time.perf_counter()
        ccdump.dump(out, segment, **options)
        return time.perf_counter() - t
    finally:
        shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    segment = segment_for(args.mb, "BLOCK")
    base, docs, size = read_only(segment)
    mb = size / 1e6
    print(f"{args.mb} MB segment, {docs} documents")
    print(f"{'mode':<14}{'seconds':>9}{'docs/s':>9}{'MB/s':>8}{'ratio':>7}{'peak RSS MB':>13}")
    code = "import ccdump,tempfile,shutil\no=tempfile.mkdtemp(dir={w!r})\nccdump.dump(o,{s!r}{opt})\nshutil.rmtree(o)"
    rows = [("read-only", base, None)]
    rows.append(("CBOR files", timed_dump(segment), ""))
    rows.append(("-gzip", timed_dump(segment, gzip=True), ", gzip=True"))
    for name, seconds, opt in rows:
        if opt is None:
            rss = child_peak_rss_mb(f"from ccdump.nutch.segment import Segment\nfor d in Segment({segment!r}).documents(): pass")
        else:
            rss = child_peak_rss_mb(code.format(w=WORK, s=segment, opt=opt))
        print(f"{name:<14}{seconds:>9.2f}{docs / seconds:>9.0f}{mb / seconds:>8.1f}{base / seconds:>7.2f}{rss:>13.0f}")
    print(f"deflate -6, one thread: {deflate_rate(segment):.1f} MB/s of content; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
