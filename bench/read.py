"""Benchmark: joined segment iteration vs. a baseline that only zlib-decompresses the same buffers.

Usage: python bench/read.py [--mb 200]

Builds (once, cached in bench/_work) segments with ≥ 200 MB of uncompressed content, BLOCK and
RECORD DefaultCodec, then measures in one run:
  * baseline: zlib-decompress every compressed buffer of the four joined folders, held in memory;
  * ccdump: full joined iteration (``Segment.documents()``: content + crawl_fetch + parse_data +
    parse_text decoded into Documents);
and prints documents/s, MB/s (uncompressed content) and the ratio; then peak RSS of the joined
iteration on two segment sizes (one 4x the other), each in a fresh process.
Targets (issue #2): joined ≥ 50 % of baseline throughput; peak RSS ≤ 150 MB and flat across sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._segment import child_peak_rss_mb, segment_for  # noqa: E402
from ccdump.hadoop.sequencefile import SequenceFileReader  # noqa: E402
from ccdump.hadoop.writables import DataInput  # noqa: E402
from ccdump.nutch.segment import JOINED, Segment  # noqa: E402


def compressed_buffers(segment: str) -> list[bytes]:
    """Every compressed buffer of the joined folders, exactly as stored (read with raw framing)."""
    buffers: list[bytes] = []
    for folder in JOINED:
        path = os.path.join(segment, folder, "part-r-00000", "data")
        with SequenceFileReader(path) as r, open(path, "rb") as f:
            data = f.read()
        pos = r.header.length
        if r.header.block_compressed:
            while pos < len(data):
                pos += 20
                d = DataInput(data, pos)
                d.vint()
                for _ in range(4):
                    n = d.vint()
                    buffers.append(data[d.pos : d.pos + n])
                    d.pos += n
                pos = d.pos
        else:
            while pos < len(data):
                n = int.from_bytes(data[pos : pos + 4], "big", signed=True)
                if n == -1:
                    pos += 20
                    continue
                k = int.from_bytes(data[pos + 4 : pos + 8], "big")
                buffers.append(data[pos + 8 + k : pos + 8 + n])
                pos += 8 + n
    return buffers


def measure(segment: str) -> tuple[float, float, int, int]:
    buffers = compressed_buffers(segment)
    t = time.perf_counter()
    for b in buffers:
        zlib.decompress(b)
    baseline = time.perf_counter() - t
    t = time.perf_counter()
    docs = content = 0
    for doc in Segment(segment).documents():
        docs += 1
        content += len(doc.content.content) if doc.content else 0
    joined = time.perf_counter() - t
    return baseline, joined, docs, content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="content MB of the large segment (default 200)")
    args = parser.parse_args()
    print(f"{'segment':<22}{'docs':>8}{'baseline MB/s':>15}{'joined MB/s':>13}{'docs/s':>9}{'ratio':>7}")
    for compression in ("BLOCK", "RECORD"):
        seg = segment_for(args.mb, compression)
        baseline, joined, docs, content = measure(seg)
        mb = content / 1e6
        print(f"{f'{args.mb} MB {compression}':<22}{docs:>8}{mb / baseline:>15.1f}{mb / joined:>13.1f}"
              f"{docs / joined:>9.0f}{baseline / joined:>7.2f}")
    small = segment_for(args.mb // 4, "BLOCK")
    large = segment_for(args.mb, "BLOCK")
    code = "from ccdump.nutch.segment import Segment\nfor d in Segment({!r}).documents(): pass"
    rss_small = child_peak_rss_mb(code.format(small))
    rss_large = child_peak_rss_mb(code.format(large))
    print(f"peak RSS, joined iteration: {args.mb // 4} MB segment {rss_small:.0f} MB; {args.mb} MB segment {rss_large:.0f} MB")


if __name__ == "__main__":
    main()
