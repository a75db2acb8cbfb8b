"""How close the benchmark pages are to real HTML: the numbers that decide the benchmarks' costs.

Usage: python bench/pages.py [--pages 2000] [--conformance ../shared/conformance]

For the synthetic pages of ``bench/_pages.py`` and, beside them, the HTML pages of the conformance
corpus (real pages fetched by Nutch; ``--conformance`` or ``CCDUMP_CONFORMANCE``):

* deflate speed and ratio at level 6 over 1 MiB members (what ``-gzip`` does), with the standard
  zlib and with the module ccdump deflates with (``ccdump/fastzlib.py``);
* links (``a[href]``) and images per KB of HTML (the WAT's per-link work);
* text per byte of HTML (the WET's share).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import zlib
from types import ModuleType

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from selectolax.lexbor import LexborHTMLParser  # noqa: E402

from bench._pages import page  # noqa: E402
from ccdump import fastzlib  # noqa: E402
from ccdump.nutch.segment import CONTENT, Segment, find_segments  # noqa: E402


def deflate(data: bytes, module: ModuleType, level: int = 6) -> tuple[float, float]:
    """(MB/s of one thread, compressed/original) deflating ``data`` in 1 MiB members."""
    out = 0
    t = time.thread_time()
    for i in range(0, len(data), 1 << 20):
        c = module.compressobj(level, zlib.DEFLATED, 31)
        out += len(c.compress(data[i : i + (1 << 20)])) + len(c.flush())
    return len(data) / 1e6 / (time.thread_time() - t), out / len(data)


def describe(pages: list[bytes]) -> str:
    data = b"".join(pages)
    (z_rate, z_ratio), (f_rate, _) = deflate(data, zlib), deflate(data, fastzlib.zlib)
    links = images = text = 0
    for html in pages:
        tree = LexborHTMLParser(html)
        links += len(tree.css("a[href]"))
        images += len(tree.css("img"))
        text += len(tree.body.text()) if tree.body is not None else 0
    kb = len(data) / 1000
    return (f"{len(pages):>6}{kb / len(pages):>8.1f}{z_rate:>9.0f}{f_rate:>9.0f}{z_ratio:>7.3f}"
            f"{links / kb:>9.1f}{images / kb:>8.2f}{text / len(data):>7.2f}")


def conformance_html(root: str) -> list[bytes]:
    pages = []
    for folder in find_segments(root):
        try:
            for doc in Segment(folder).documents(folders=(CONTENT,)):
                content = doc.content
                if content is not None and "html" in (content.content_type or "") and content.content:
                    pages.append(content.content)
        except Exception as exc:  # noqa: BLE001 - a broken test segment is reported, not fatal
            print(f"  (skipped {folder}: {exc})")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--conformance", default=os.environ.get("CCDUMP_CONFORMANCE", "../shared/conformance"))
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"{'pages':<18}{'count':>6}{'KB/page':>8}{'zlib-6':>9}{fastzlib.IMPLEMENTATION:>9}{'ratio':>7}"
          f"{'links/KB':>9}{'img/KB':>8}{'text':>7}")
    print(f"{'bench/_pages.py':<18}" + describe([page(rng, i)[1] for i in range(args.pages)]))
    if os.path.isdir(args.conformance):
        real = conformance_html(args.conformance)
        if real:
            print(f"{'conformance HTML':<18}" + describe(real))
    print("(zlib-6 and the next column: MB/s of one thread, level 6, 1 MiB members; text: body text per byte of HTML)")


if __name__ == "__main__":
    main()
