"""Every benchmark of the project in one run: one Markdown table and one PNG chart.

Usage: python bench/run_all.py [--mb 200] [--workers 2] [--out bench/_work/report]

Builds the benchmark segments once (cached under bench/_work/: ``--mb`` MB of ~20 KB HTML pages,
BLOCK DefaultCodec, one part, and the same pages in four parts as four reducers write them), then
times each mode end to end in a fresh process (so each peak RSS is its own) and reports it beside
the baseline of its family, measured in the same run:

* read: the raw inflate of the segment's content file (no parsing) is the baseline of joined
  iteration; joined iteration (``Segment.documents()``) is the baseline of the dumper modes (CBOR
  files, ``-gzip``), as issue #3 defines them;
* WARC: level-6 gzip of every payload as its own member (no reading or mapping) is the baseline of
  ``-warc -gzip``; ``-warc -gzip`` is the baseline of ``-commoncrawl`` (WARC + WAT + WET + CDXJ);
* workers: ``-warc -gzip -workers 1`` is the baseline of ``-workers N`` on the four-part segment,
  and the two outputs are compared as sets of records (type, URI, payload digest);
* peak RSS of joined iteration and of ``-warc -gzip`` at ``--mb / 4`` and ``--mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench._segment import WORK, segment_for  # noqa: E402

#: Runs in a fresh interpreter: times ``work`` (after ``setup``) and prints seconds and peak RSS (MB).
CHILD = """
import json, os, resource, shutil, sys, tempfile, time
sys.path.insert(0, {root!r})
{setup}
t0 = time.perf_counter()
{work}
seconds = time.perf_counter() - t0
{after}
self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("RESULT", json.dumps({{"seconds": seconds, "rss": self_rss, "child_rss": child_rss, "extra": globals().get("extra")}}))
"""


def child(work: str, setup: str = "", after: str = "") -> dict:
    """Run ``setup``, then time ``work``, then run ``after`` (untimed) in a fresh interpreter."""
    code = CHILD.format(root=ROOT, setup=textwrap.dedent(setup), work=textwrap.dedent(work), after=textwrap.dedent(after))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def inflate_baseline(segment: str) -> dict:
    """zlib only: every compressed buffer of the joined folders, inflated (bench/read.py's baseline)."""
    return child(
        "for b in buffers: zlib.decompress(b)",
        setup=f"""
        import zlib
        from bench.read import compressed_buffers
        buffers = compressed_buffers({segment!r})
        """,
    )


def read_joined(segment: str) -> dict:
    return child(
        "extra = sum(1 for d in Segment(seg).documents())",
        setup=f"from ccdump.nutch.segment import Segment\nseg = {segment!r}",
    )


#: (child code) a digest of the set of WARC records in a folder: (type, target URI, SHA-1 of the block).
RECORDS = """
def records(folder):
    seen = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".warc.gz"):
            for rec in read_warc(os.path.join(folder, name)):
                fields = dict(rec.headers)
                if fields["WARC-Type"] != "warcinfo":
                    key = f"{fields['WARC-Type']} {fields.get('WARC-Target-URI')} {hashlib.sha1(rec.block).hexdigest()}"
                    seen[key] = seen.get(key, 0) + 1
    return hashlib.sha1(json.dumps(sorted(seen.items())).encode()).hexdigest()
"""


def dump(segment: str, commoncrawl: bool = False, **options) -> dict:
    """``ccdump.dump(out, segment, **options)`` timed; then (untimed) a digest of its WARC records.

    The output stays until the end of the benchmark (:func:`main` removes it): deleting thousands
    of files slows the next run's writes on some disks (ext4 with discard), which made the CBOR
    rows measure the previous row's clean-up.
    """
    return child(
        f"""
        stats = ccdump.dump(out, {segment!r}, **options)
        """,
        after=f"""
        extra = {{"documents": stats.documents, "bytes": stats.content_bytes, "files": len(stats.outputs), "workers": stats.workers,
                 "records": records(out) if {options.get("warc", False)!r} else None, "out": out}}
        """,
        setup=textwrap.dedent(f"""
        import hashlib
        import ccdump
        from ccdump.writers.commoncrawl import DerivedOptions
        from ccdump.writers.warcreader import read_warc
        options = {options!r}
        if {commoncrawl!r}:
            options["derived"] = DerivedOptions(wat=True, wet=True, cdxj=True)
        out = tempfile.mkdtemp(dir={WORK!r})
        """) + RECORDS,
    )


def gzip_baseline(segment: str) -> dict:
    return child(
        "for p in payloads: zlib.compressobj(6, zlib.DEFLATED, 31).compress(p)",
        setup=f"""
        import zlib
        from ccdump.nutch.segment import Segment
        payloads = [d.content.content for d in Segment({segment!r}).documents(folders=("content",)) if d.content]
        """,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="content size of the benchmark segment")
    parser.add_argument("--workers", type=int, default=2, help="workers of the scale-out row")
    parser.add_argument("--out", default=os.path.join(WORK, "report"), help="writes OUT.md and OUT.png")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    print(f"building or reusing the benchmark segments under {WORK} …", file=sys.stderr)
    one_part = segment_for(args.mb)
    four_parts = segment_for(args.mb, parts=4)
    small = segment_for(max(1, args.mb // 4))

    rows: list[tuple[str, str, dict, dict | None]] = []  # (family, mode, result, baseline)
    try:
        report(args, rows, one_part, four_parts, small)
    finally:
        for _, _, result, _ in rows:
            extra = result.get("extra")
            out = extra.get("out") if isinstance(extra, dict) else None
            if out:
                shutil.rmtree(out, ignore_errors=True)


def report(args: argparse.Namespace, rows: list, one_part: str, four_parts: str, small: str) -> None:
    """Run every row (appended to ``rows`` as it finishes), then write the table and the chart."""

    def add(family: str, mode: str, result: dict, baseline: dict | None = None) -> dict:
        rows.append((family, mode, result, baseline))
        ratio = f" ×{baseline['seconds'] / result['seconds']:.2f}" if baseline else ""
        print(f"  {family:<8} {mode:<34} {result['seconds']:7.2f} s{ratio}", file=sys.stderr)
        return result

    inflate = add("read", "raw inflate of content (baseline)", inflate_baseline(one_part))
    joined = add("read", "joined iteration", read_joined(one_part), inflate)
    add("dump", "CBOR files", dump(one_part), joined)
    add("dump", "-gzip (tar.gz)", dump(one_part, gzip=True), joined)
    gz = add("warc", "gzip per payload (baseline)", gzip_baseline(one_part))
    warc = add("warc", "-warc -gzip", dump(one_part, warc=True, gzip=True), gz)
    add("derived", "-commoncrawl (WARC+WAT+WET+CDXJ)", dump(one_part, commoncrawl=True, warc=True, gzip=True), warc)
    w1 = add("workers", "-warc -gzip -workers 1 (4 parts)", dump(four_parts, warc=True, gzip=True, workers=1))
    wn = add("workers", f"-warc -gzip -workers {args.workers} (4 parts)", dump(four_parts, warc=True, gzip=True, workers=args.workers), w1)
    c1 = add("workers", "CBOR files -workers 1 (4 parts)", dump(four_parts, workers=1))
    add("workers", f"CBOR files -workers {args.workers} (4 parts)", dump(four_parts, workers=args.workers), c1)
    small_warc = dump(small, warc=True, gzip=True)
    shutil.rmtree(small_warc["extra"]["out"], ignore_errors=True)  # the last run: nothing left to slow
    rss = {
        "joined iteration": (read_joined(small)["rss"], joined["rss"]),
        "-warc -gzip": (small_warc["rss"], warc["rss"]),
    }
    same = w1["extra"]["records"] == wn["extra"]["records"]

    content_mb = rows[2][2]["extra"]["bytes"] / 1e6  # the CBOR row: every document's content bytes
    table = markdown(rows, content_mb, rss, args, same)
    with open(args.out + ".md", "w", encoding="utf-8") as f:
        f.write(table)
    print(table)
    chart(rows, content_mb, args.out + ".png")
    print(f"wrote {args.out}.md and {args.out}.png", file=sys.stderr)


def markdown(rows, content_mb: float, rss: dict, args, same: bool) -> str:
    import platform

    lines = [
        f"# ccdump benchmarks — {content_mb:.0f} MB of content ({args.mb} MB segment), "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        "| family | mode | seconds | MB/s | × baseline | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for family, mode, result, baseline in rows:
        ratio = f"{baseline['seconds'] / result['seconds']:.2f}" if baseline else "1 (baseline)"
        rss_mb = result["rss"] + result["child_rss"]
        lines.append(f"| {family} | {mode} | {result['seconds']:.2f} | {content_mb / result['seconds']:.1f} | {ratio} | {rss_mb:.0f} |")
    lines += ["", "Peak RSS at two sizes (flat means memory does not grow with the input):", "",
              f"| mode | {max(1, args.mb // 4)} MB segment | {args.mb} MB segment |", "|---|---:|---:|"]
    lines += [f"| {mode} | {a:.0f} MB | {b:.0f} MB |" for mode, (a, b) in rss.items()]
    lines += ["", f"-workers 1 and -workers {args.workers} wrote {'the same' if same else 'DIFFERENT'} set of WARC records "
              "(type, target URI, SHA-1 of the block).", ""]
    lines.append("× baseline: the baseline's seconds divided by the mode's (higher is faster); each row's baseline is the "
                 "row marked baseline in its family, or the family's first row. Peak RSS: the process plus its largest child "
                 "(the WARC gzip helper, or one worker).")
    return "\n".join(lines) + "\n"


def chart(rows, content_mb: float, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'ccdump[bench]'): no chart", file=sys.stderr)
        return
    labels = [f"{family}: {mode}" for family, mode, _, _ in rows]
    speeds = [content_mb / result["seconds"] for _, _, result, _ in rows]
    colors = {"read": "#4c72b0", "dump": "#dd8452", "warc": "#55a868", "derived": "#c44e52", "workers": "#8172b3"}
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.2))
    ax.barh(labels[::-1], speeds[::-1], color=[colors[f] for f, *_ in rows][::-1])
    for y, v in enumerate(speeds[::-1]):
        ax.text(v, y, f" {v:.0f}", va="center", fontsize=8)
    ax.set_xlabel("MB of content per second (higher is better)")
    ax.set_title(f"ccdump on {content_mb:.0f} MB of Nutch content, {os.cpu_count()} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
