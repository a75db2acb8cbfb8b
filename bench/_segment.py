"""Build benchmark segments: N realistic HTML pages (~20 KB each) written by ccdump's own writer.

Pages come from ``bench/_pages.py`` (calibrated against real HTML: deflate speed and ratio, links,
images, text share); each document has what a Nutch fetch + parse leaves: the response with its
headers, the fetch datum, parse data with the page's title and first 100 outlinks (Nutch's
``db.max.outlinks.per.page``) and parse text (the page's text). Output is cached under
``bench/_work/`` (``seg-v2-…``: v1 segments held the earlier, uncalibrated pages).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from urllib.parse import urljoin

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from selectolax.lexbor import LexborHTMLParser  # noqa: E402

from bench._pages import page  # noqa: E402
from ccdump.nutch.content import Content  # noqa: E402
from ccdump.nutch.crawldatum import CrawlDatum, bits_from_float  # noqa: E402
from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, Writable  # noqa: E402
from ccdump.nutch.metadata import Metadata  # noqa: E402
from ccdump.nutch.parse import Outlink, ParseData, ParseText  # noqa: E402
from ccdump.nutch.segment_writer import SegmentWriter  # noqa: E402
from ccdump.nutch.status import ParseStatus, ProtocolStatus  # noqa: E402

WORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_work")


def build(path: str, pages: int, page_size: int = 20_000, compression: str = "BLOCK", seed: int = 1, parts: int = 1) -> str:
    """Write (once) a segment of ``pages`` documents in ``parts`` parts (reducers); returns its folder."""
    if os.path.exists(os.path.join(path, "_SUCCESS_BENCH")):
        return path
    rng = random.Random(seed)
    writer = SegmentWriter(path, compression=compression, parts=parts, presorted=True, sync_seed=f"bench{seed}", overwrite=True)
    fetch_ms = 1_732_181_540_000
    for i in range(pages):
        url, body = page(rng, i, page_size, host=f"www{i * 50 // pages:02d}.example.org")  # URLs in sorted order
        tree = LexborHTMLParser(body)
        title = tree.css_first("title").text()
        links = [(a.attrs.get("href") or "", a.text(strip=True)) for a in tree.css("a[href]")[:100]]
        text = tree.body.text(separator=" ") if tree.body is not None else ""
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
        writer.add(
            url,
            fetch=fetch,
            content=Content(url, url, body, "text/html", meta),
            parse_data=ParseData(ParseStatus(1, 0), title, [Outlink(urljoin(url, href), anchor) for href, anchor in links],
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
    name = f"seg-v2-{mb}mb-{compression.lower()}" + (f"-{parts}parts" if parts > 1 else "")
    return build(os.path.join(WORK, name, "20241121093000"), pages, compression=compression, parts=parts)


def child_peak_rss_mb(code: str) -> float:
    """Like peak_rss_mb but measured inside the child, immune to earlier children's peaks."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport resource;print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        check=True, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("RSS ")][-1]
    return int(line.split()[1]) / 1024
