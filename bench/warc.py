"""Benchmark: ``ccdump -warc -gzip`` beside a gzip-only baseline measured in the same run.

Usage: python bench/warc.py [--mb 200] [--repeat 2]

On the cached benchmark segment (bench/_segment.py: ~20 KB HTML pages written by ccdump's
SegmentWriter, BLOCK DefaultCodec):
  * baseline: the same payload bytes, already in memory, each gzip-compressed (level 6) as its own
    member — the unavoidable work of any per-record-gzip WARC writer, with no reading, mapping,
    digests or disk writes;
  * -warc -gzip: ``ccdump.dump(out, segment, warc=True, gzip=True)`` end to end (read, join,
    map, digest, compress one member per record, write, rename), compressing in a helper process
    as it does on a multi-core machine; and the same with ``-D ccdump.warc.parallel=false``;
as MB/s of content (best of ``--repeat``) and the ratio to the baseline, then the peak RSS of the
WARC run in a fresh process (and of its gzip helper process). Targets (issue #4): ratio ≥ 0.70, RSS ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ccdump  # noqa: E402
from bench._segment import WORK, segment_for  # noqa: E402
from ccdump.config import NutchConfig  # noqa: E402
from ccdump.nutch.segment import CONTENT, Segment  # noqa: E402


def payloads(segment: str) -> list[bytes]:
    return [d.content.content for d in Segment(segment).documents(folders=(CONTENT,)) if d.content is not None]


def gzip_baseline(data: list[bytes]) -> float:
    """Seconds to gzip every payload as its own member (level 6), output discarded."""
    t = time.perf_counter()
    for body in data:
        zlib.compress(body, 6, wbits=31)  # one-shot: a compressobj per member costs ~50 µs more
    return time.perf_counter() - t


def peak_rss(segment: str) -> tuple[float, float]:
    """Peak RSS (MB) of a ``-warc -gzip`` run in a fresh process, and of its gzip helper process."""
    code = (f"import ccdump,tempfile,shutil,resource\no=tempfile.mkdtemp(dir={WORK!r})\n"
            f"ccdump.dump(o,{segment!r},warc=True,gzip=True)\nshutil.rmtree(o)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(WORK))).stdout
    main_kb, helper_kb = map(int, out.split()[-2:])
    return main_kb / 1024, helper_kb / 1024


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def timed_warc(segment: str, parallel: str = "auto") -> tuple[float, int, int, float, float]:
    """(wall seconds, files, bytes written, CPU s of this process, CPU s of the gzip helper) of one run."""
    out = tempfile.mkdtemp(prefix="warc-", dir=WORK)
    try:
        own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        config = NutchConfig({"ccdump.warc.parallel": parallel})
        stats = ccdump.dump(out, segment, warc=True, gzip=True, config=config)
        wall = time.perf_counter() - t
        own, children = _cpu(resource.RUSAGE_SELF) - own, _cpu(resource.RUSAGE_CHILDREN) - children
        return wall, len(stats.outputs), stats.bytes_written, own, children
    finally:
        shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    segment = segment_for(args.mb, "BLOCK")
    # peak RSS first, in a fresh process: a child forked later would inherit this one's peak
    rss, helper_rss = peak_rss(segment)
    runs, serial, bases = [], [], []
    for _ in range(args.repeat):  # interleaved, so all see the same machine load
        runs.append(timed_warc(segment))
        serial.append(timed_warc(segment, "false")[0])
        data = payloads(segment)
        bases.append(gzip_baseline(data))
        docs, mb = len(data), sum(map(len, data)) / 1e6
        del data
    base = min(bases)
    warc, files, written, own, helper = min(runs)
    print(f"{mb:.0f} MB content, {docs} documents -> {files} WARC file(s), {written / 1e6:.0f} MB")
    print(f"{'mode':<22}{'seconds':>9}{'docs/s':>9}{'MB/s':>8}{'ratio':>7}{'peak RSS MB':>13}")
    print(f"{'gzip baseline':<22}{base:>9.2f}{docs / base:>9.0f}{mb / base:>8.1f}{1:>7.2f}{'':>13}")
    print(f"{'-warc -gzip':<22}{warc:>9.2f}{docs / warc:>9.0f}{mb / warc:>8.1f}{base / warc:>7.2f}{rss:>13.0f}")
    one = min(serial)
    print(f"{'-warc -gzip, 1 process':<22}{one:>9.2f}{docs / one:>9.0f}{mb / one:>8.1f}{base / one:>7.2f}{'':>13}")
    print(f"(gzip helper process: peak RSS {helper_rss:.0f} MB, together {rss + helper_rss:.0f} MB; "
          f"CPU {own:.2f} s here + {helper:.2f} s in the helper; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
