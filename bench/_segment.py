"""Build benchmark segments: N realistic HTML pages (~20 KB each) written by ccdump's own writer.

Pages are assembled from a pool of pseudo-random paragraphs so they compress like real HTML
(≈3:1 with zlib) and the builder itself stays fast. Output is cached under ``bench/_work/``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ccdump.nutch.content import Content  # noqa: E402
from ccdump.nutch.crawldatum import CrawlDatum, bits_from_float  # noqa: E402
from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, Writable  # noqa: E402
from ccdump.nutch.metadata import Metadata  # noqa: E402
from ccdump.nutch.parse import Outlink, ParseData, ParseText  # noqa: E402
from ccdump.nutch.segment_writer import SegmentWriter  # noqa: E402
from ccdump.nutch.status import ParseStatus, ProtocolStatus  # noqa: E402

WORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_work")
WORDS = ["segment", "crawl", "fetch", "parse", "index", "archive", "record", "server", "school", "city", "council", "report", "energy", "page", "link", "image", "data", "record", "market", "travel", "science", "history", "music", "river", "garden", "house", "market", "project"]


def _paragraphs(rng: random.Random, n: int = 3000) -> list[str]:
    return ["<p>" + " ".join(rng.choices(WORDS, k=rng.randint(40, 110))) + f" {rng.getrandbits(64):x}.</p>\n" for _ in range(n)]


def build(path: str, pages: int, page_size: int = 20_000, compression: str = "BLOCK", seed: int = 1, parts: int = 1) -> str:
    """Write (once) a segment of ``pages`` documents in ``parts`` parts (reducers); returns its folder."""
    if os.path.exists(os.path.join(path, "_SUCCESS_BENCH")):
        return path
    rng = random.Random(seed)
    pool = _paragraphs(rng)
    writer = SegmentWriter(path, compression=compression, parts=parts, presorted=True, sync_seed=f"bench{seed}", overwrite=True)
    fetch_ms = 1_732_181_540_000
    for i in range(pages):
        url = f"https://www{i * 50 // pages:02d}.example.org/articles/{i:09d}.html"
        parts, size = [], 0
        while size < page_size:
            p = pool[rng.randrange(len(pool))]
            parts.append(p)
            size += len(p)
        title = " ".join(rng.choices(WORDS, k=6))
        body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
                f"<h1>{title}</h1><img src=\"/img/{i}.jpg\" alt=\"{title}\">" + "".join(parts) + "</body></html>").encode()
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(fetch_ms / 1000))
        meta = Metadata([
            ("Date", [date]), ("Server", ["nginx"]), ("Content-Type", ["text/html; charset=utf-8"]),
            ("Content-Length", [str(len(body))]), ("_ip_", ["192.0.2.10"]), ("nutch.fetch.time", [str(fetch_ms + i)]),
            ("nutch.segment.name", ["20241121093000"]), ("_fst_", ["33"]),
            ("_response.headers_", [f"HTTP/1.1 200 OK\r\nDate: {date}\r\nServer: nginx\r\n"
                                    f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"]),
        ])
        fetch = CrawlDatum(0x21, fetch_ms + i, 0, 2_592_000, bits_from_float(1.0), 0, None, [
            (Writable(TEXT, "_pst_"), Writable(PROTOCOL_STATUS, ProtocolStatus(1))),
            (Writable(TEXT, "nutch.protocol.code"), Writable(TEXT, "200")),
        ])
        text = title + " " + " ".join(rng.choices(WORDS, k=page_size // 20))
        writer.add(
            url,
            fetch=fetch,
            content=Content(url, url, body, "text/html", meta),
            parse_data=ParseData(ParseStatus(1, 0), title, [Outlink(f"https://www.example.org/{j}", "more") for j in range(5)],
                                 Metadata([("nutch.segment.name", ["20241121093000"])]),
                                 Metadata([("CharEncodingForConversion", ["utf-8"])])),
            parse_text=ParseText(text),
        )
    writer.close()
    open(os.path.join(path, "_SUCCESS_BENCH"), "w").close()
    return path


def segment_for(mb: int, compression: str = "BLOCK", parts: int = 1) -> str:
    """A cached benchmark segment holding about ``mb`` MB of uncompressed content in ``parts`` parts."""
    pages = mb * 1_000_000 // 20_000
    name = f"seg-{mb}mb-{compression.lower()}" + (f"-{parts}parts" if parts > 1 else "")
    return build(os.path.join(WORK, name, "20241121093000"), pages, compression=compression, parts=parts)


def child_peak_rss_mb(code: str) -> float:
    """Like peak_rss_mb but measured inside the child, immune to earlier children's peaks."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport resource;print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        check=True, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("RSS ")][-1]
    return int(line.split()[1]) / 1024
