"""Benchmark: WARC + WAT + WET + CDXJ together beside WARC alone, measured in one run (issue #5).

Usage: python bench/commoncrawl.py [--pages 2000] [--repeat 3] [--real-mb 200] [--real-repeat 2]

On synthetic pages calibrated against real ones (``bench/_pages.py``: ~20 KB news articles with
navigation, scripts, a sidebar and ~75 links; deflate speed and ratio close to real HTML):

* (a) WARC alone: for each page build the request, response and metadata records as Common Crawl
  lays them out (ids, dates, SHA-1 payload and block digests), serialise them and write each as its
  own gzip member (level 6) with :class:`~ccdump.writers.gzmember.GzipMemberWriter`;
* (b) the same, plus every record fed to a :class:`~ccdump.writers.wat.WatWriter`,
  :class:`~ccdump.writers.wet.WetWriter` and :class:`~ccdump.writers.cdxj.CdxjWriter`, as the WARC
  writer's listeners receive them (offsets, lengths, CRCs and digests in hand);
* (c) (b) with the three writers behind one :class:`~ccdump.writers.httpview.ParallelHtml`
  listener: the HTML is extracted by a helper process (the second core) while this one writes;
* (d) (b) with the three writers in the helper process of
  :class:`~ccdump.writers.commoncrawl.DerivedListeners` (what ``-wat -wet -cdxj`` use), which gets
  the records through a pipe.

The modes alternate ``--repeat`` times in this process; the best of each is reported as MB/s of
HTML, ms per page (wall, and CPU of this process — (c) also uses the helper's) and the ratio to (a).
Peak RSS is of this process (it holds the generated pages). These modes isolate the writers: (a)
does not read or map a segment, so its ratios are no user's cost.

Then the real pipeline, which is what the target of issue #5 (ratio <= 1.6) is about: on the
cached benchmark Nutch segment of ~``--real-mb`` MB (``bench/_segment.py``; built on first use),
``ccdump.dump(out, segment, warc=True, gzip=True)`` — what ``ccdump -warc -gzip`` does — without and
with the WAT, WET and CDXJ listeners of :func:`~ccdump.writers.commoncrawl.derived_listeners`
(default: their helper process; and all in one process, ``-D ccdump.derived.parallel=false``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._pages import page  # noqa: E402
from ccdump.writers.cdxj import CdxjWriter  # noqa: E402
from ccdump.writers.gzmember import GZIP_HEADER_JDK, GzipMemberWriter  # noqa: E402

try:
    from ccdump.writers.httpview import ParallelHtml
except ImportError:  # an older tree: mode (c) is left out
    ParallelHtml = None  # type: ignore[assignment,misc]
from ccdump.writers.record import WarcRecord, sha1_base32  # noqa: E402
from ccdump.writers.wat import WatWriter  # noqa: E402
from ccdump.writers.wet import WetWriter  # noqa: E402


class Capture:
    """One page with the ids and dates its records get (fixed, so both modes do the same work)."""

    __slots__ = ("url", "body", "ids", "date")

    def __init__(self, url: str, body: bytes, rng: random.Random) -> None:
        self.url, self.body = url, body
        self.ids = [f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>" for _ in range(3)]
        self.date = "2024-05-18T01:58:10Z"


_INFO_ID = "<urn:uuid:4caca159-f854-4ed6-ab2b-52299e254936>"
_META_BLOCK = (
    b'fetchTimeMs: 83\r\ncharset-detected: UTF-8\r\nlanguages-cld2: {"reliable":true,"text-bytes":3240,"languages":'
    b'[{"code":"en","code-iso-639-3":"eng","text-covered":0.99,"score":912.0,"name":"ENGLISH"}]}\r\n\r\n'
)


def capture_records(cap: Capture) -> list[tuple[list[tuple[str, str]], bytes, str, str | None]]:
    """(WARC header fields, block, block digest, payload digest) of request, response, metadata (CC's layout)."""
    host = cap.url.split("/")[2]
    path = "/" + cap.url.split("/", 3)[3]
    request = (
        f"GET {path} HTTP/1.1\r\nUser-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
        f"Accept-Encoding: br,gzip\r\nHost: {host}\r\nConnection: Keep-Alive\r\n\r\n"
    ).encode()
    body = cap.body
    head = (
        "HTTP/1.1 200 OK\r\nDate: Sat, 18 May 2024 01:58:10 GMT\r\nServer: nginx\r\nContent-Type: text/html; charset=UTF-8\r\n"
        f"X-Crawler-Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    block = head + body
    payload_digest = sha1_base32(body)
    digests = [sha1_base32(request), sha1_base32(block), sha1_base32(_META_BLOCK)]
    req_id, resp_id, meta_id = cap.ids
    common = [("WARC-Date", cap.date)]
    return [
        (
            [("WARC-Type", "request"), *common, ("WARC-Record-ID", req_id), ("Content-Length", str(len(request))),
             ("Content-Type", "application/http; msgtype=request"), ("WARC-Warcinfo-ID", _INFO_ID),
             ("WARC-IP-Address", "192.0.2.10"), ("WARC-Target-URI", cap.url), ("WARC-Block-Digest", digests[0])],
            request,
            digests[0],
            None,
        ),
        (
            [("WARC-Type", "response"), *common, ("WARC-Record-ID", resp_id), ("Content-Length", str(len(block))),
             ("Content-Type", "application/http; msgtype=response"), ("WARC-Warcinfo-ID", _INFO_ID),
             ("WARC-Concurrent-To", req_id), ("WARC-IP-Address", "192.0.2.10"), ("WARC-Target-URI", cap.url),
             ("WARC-Payload-Digest", payload_digest), ("WARC-Block-Digest", digests[1]),
             ("WARC-Identified-Payload-Type", "text/html")],
            block,
            digests[1],
            payload_digest,
        ),
        (
            [("WARC-Type", "metadata"), *common, ("WARC-Record-ID", meta_id), ("Content-Length", str(len(_META_BLOCK))),
             ("Content-Type", "application/warc-fields"), ("WARC-Warcinfo-ID", _INFO_ID), ("WARC-Concurrent-To", resp_id),
             ("WARC-Target-URI", cap.url), ("WARC-Block-Digest", digests[2])],
            _META_BLOCK,
            digests[2],
            None,
        ),
    ]


def run(captures: list[Capture], out_dir: str, derived: bool, parallel: bool | str = False) -> None:
    """Write the WARC file (and with ``derived`` its WAT, WET and CDXJ) for ``captures``."""
    name = "CC-MAIN-20240517233122-20240518023122-00000.warc.gz"
    warc = GzipMemberWriter(os.path.join(out_dir, name), header=GZIP_HEADER_JDK)
    listeners: list = []
    if derived and parallel == "process":
        from ccdump.writers.commoncrawl import DerivedListeners, DerivedOptions

        listeners = [DerivedListeners(DerivedOptions(wat=True, wet=True, cdxj=True), parallel=True)]
        listeners[0].on_file_open(os.path.join(out_dir, name))
    elif derived:
        listeners = [
            WatWriter(os.path.join(out_dir, name[:-3] + ".wat.gz"), name, host=[]),
            WetWriter(os.path.join(out_dir, name[:-3] + ".wet.gz"), name),
            CdxjWriter(os.path.join(out_dir, name[:-8] + ".cdx.gz"), name),
        ]
        if parallel:
            listeners = [ParallelHtml(listeners)]
    for cap in captures:
        for fields, block, block_digest, payload_digest in capture_records(cap):
            header = ("WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode()
            offset, length = warc.write_member((header, block, b"\r\n\r\n"))
            if listeners:
                member = warc.last_member
                rec = WarcRecord(
                    headers=fields,
                    block=block,
                    offset=offset,
                    length=length,
                    header_length=len(header),
                    inflated_length=member.inflated_length,
                    inflated_crc=member.crc32,
                    block_digest=block_digest,
                    payload_digest=payload_digest,
                )
                for listener in listeners:
                    listener.add(rec)
    warc.close()
    for listener in listeners:
        if parallel == "process":
            listener.on_file_closed(os.path.join(out_dir, name))
        listener.close()


def timed(captures: list[Capture], derived: bool, parallel: bool | str = False) -> tuple[float, float]:
    """(wall, CPU) seconds of one run into a fresh directory."""
    out = tempfile.mkdtemp(prefix="ccbench-")
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        run(captures, out, derived, parallel)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        shutil.rmtree(out)


#: the real-pipeline modes: label -> (derived formats?, ``derived_listeners(parallel=…)``)
REAL_MODES = {
    "WARC alone": (False, None),
    "WARC+WAT+WET+CDXJ": (True, None),
    "  same, in one process": (True, False),
}


def real_run(mb: int, label: str) -> dict[str, float]:
    """One real-pipeline run in this (fresh) process: wall, CPU of it and of its helpers, peak RSS."""
    import ccdump
    from bench._segment import WORK, segment_for
    from ccdump.writers.commoncrawl import DerivedOptions, derived_listeners

    segment = segment_for(mb, "BLOCK")
    derived, parallel = REAL_MODES[label]
    options = DerivedOptions(wat=True, wet=True, cdxj=True)
    kwargs = {"warc_listeners": derived_listeners(options, parallel=parallel)} if derived else {}
    out = tempfile.mkdtemp(prefix="ccbench-real-", dir=WORK)
    try:
        wall, own, helpers = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        stats = ccdump.dump(out, segment, warc=True, gzip=True, **kwargs)
        wall = time.perf_counter() - wall
        own, helpers = _cpu(resource.RUSAGE_SELF) - own, _cpu(resource.RUSAGE_CHILDREN) - helpers
    finally:
        shutil.rmtree(out)
    helper_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall": wall, "own": own, "helpers": helpers, "rss": _peak_rss_mb(), "helper_rss": helper_rss,
            "documents": stats.documents, "segment": segment}


def real_pipeline(mb: int, repeat: int = 2) -> None:
    """``ccdump.dump(..., warc=True, gzip=True)`` with and without WAT/WET/CDXJ listeners.

    Each run is a fresh process (no heap or cache state carried from one mode to the next, and
    its own peak RSS); the modes alternate ``repeat`` times and the fastest run of each is shown.
    """
    try:
        from bench._segment import segment_for

        segment_for(mb, "BLOCK")  # built (or found) once, outside the timed runs
    except ImportError as exc:
        print(f"real pipeline: skipped ({exc})")
        return
    results: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for label in REAL_MODES:
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--real-one", label, "--real-mb", str(mb)],
                check=True, capture_output=True, text=True,
            )
            run = json.loads(done.stdout.strip().splitlines()[-1])
            if run["wall"] < results.get(label, {"wall": float("inf")})["wall"]:
                results[label] = run
    base = results["WARC alone"]
    a, a_cpu = base["wall"], base["own"] + base["helpers"]
    print(f"real pipeline on {base['segment']} ({mb} MB of content, {base['documents']} documents), best of {repeat}")
    print("  (CPU: the dumping process and its helper processes — the WARC writer's gzip helper, the derived")
    print("   formats' helper; busy: CPU seconds per wall second of each; RSS: peak of the dumping process, and at")
    print("   most that of the largest helper: its ru_maxrss also counts the image it was forked from)")
    for label, run in results.items():
        cpu = run["own"] + run["helpers"]
        print(f"  {label:<24}{run['wall']:8.2f} s  {mb / run['wall']:7.1f} MB/s   ratio {run['wall'] / a:.2f}   "
              f"CPU {cpu:6.2f} s ({cpu / a_cpu:.2f})   busy {run['own'] / run['wall']:4.0%} + "
              f"{run['helpers'] / run['wall']:4.0%}   RSS {run['rss']:.0f} + <={run['helper_rss']:.0f} MB")


def _peak_rss_mb() -> float:
    """This process's peak RSS since its ``exec`` (``ru_maxrss`` would include the parent's at fork)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--real-mb", type=int, default=200, help="the real pipeline on a ~N MB segment (0: skip)")
    parser.add_argument("--real-repeat", type=int, default=2, help="runs of each real-pipeline mode (best reported)")
    parser.add_argument("--real-one", choices=list(REAL_MODES), help=argparse.SUPPRESS)  # one run, in a child
    args = parser.parse_args()
    if args.real_one:
        print(json.dumps(real_run(args.real_mb, args.real_one)))
        return
    rng = random.Random(args.seed)
    captures = [Capture(*page(rng, i), rng) for i in range(args.pages)]
    mb = sum(len(c.body) for c in captures) / 1e6
    modes = {"(a) WARC alone": (False, False), "(b) WARC+WAT+WET+CDXJ": (True, False)}
    if ParallelHtml is not None:
        modes["(c) (b), HTML in helper"] = (True, True)
    modes["(d) (b), all in helper"] = (True, "process")
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):  # alternate, so all see the same machine state
        for label, (derived, parallel) in modes.items():
            wall, cpu = timed(captures, derived, parallel)
            old = best.get(label, (float("inf"), float("inf")))
            best[label] = (min(old[0], wall), min(old[1], cpu))
    n = len(captures)
    a_wall, a_cpu = best["(a) WARC alone"]
    print(f"{n} pages, {mb:.1f} MB of HTML ({mb * 1e6 / n / 1000:.1f} KB/page), best of {args.repeat}")
    print(f"{'mode':<25}{'MB/s':>8}{'ms/page':>10}{'CPU ms/page':>13}{'ratio wall':>12}{'ratio CPU':>11}")
    for label, (wall, cpu) in best.items():
        print(
            f"{label:<25}{mb / wall:>8.1f}{wall / n * 1e3:>10.3f}{cpu / n * 1e3:>13.3f}"
            f"{wall / a_wall:>12.2f}{cpu / a_cpu:>11.2f}"
        )
    print("CPU of (c), (d) is this process only, the helper's is not counted; (a) is the writing alone, without")
    print("reading and mapping the segment: the target (issue #5, <= 1.6) is the real pipeline's ratio below")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.real_mb:
        real_pipeline(args.real_mb, args.real_repeat)


if __name__ == "__main__":
    main()
