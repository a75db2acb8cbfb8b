"""WET: equality with Common Crawl's generator output; precomputed text and languages."""

from __future__ import annotations

import gzip
import os

from fastwarc.warc import ArchiveIterator as FastIterator

from ccdump.writers.record import sha1_base32
from ccdump.writers.warcreader import read_warc
from ccdump.writers.wet import WetWriter, generate_wet
from tests.writers.conftest import REF_NAME
from tests.writers.test_wat import block_fields, read_records
from tests.writers.warcgen import Capture, page, write_warc

RUN_SPECIFIC = {"WARC-Date", "WARC-Record-ID", "Content-Length"}


def test_wet_equals_reference(ref_warc, reference_dir):
    stats = generate_wet(ref_warc)
    assert stats.path == os.path.join(ref_warc.parent, f"{REF_NAME}.warc.wet.gz")
    ours = read_records(stats.path)
    ref = read_records(reference_dir / f"{REF_NAME}.warc.wet.gz")
    assert len(ours) == len(ref) == 2
    for (our_h, _), (ref_h, _) in zip(ours, ref, strict=True):
        assert [k for k, _ in our_h] == [k for k, _ in ref_h]
        assert [(k, v) for k, v in our_h if k not in RUN_SPECIFIC] == [
            (k, v) for k, v in ref_h if k not in RUN_SPECIFIC
        ]
    # the conversion record keeps the capture date; the text is byte-identical
    assert dict(ours[1][0])["WARC-Date"] == dict(ref[1][0])["WARC-Date"] == "2024-05-18T01:58:10Z"
    assert ours[1][1] == ref[1][1] == b"Cats & Dogs\nPets\nSome text about cute cats.\nx\n"
    assert dict(ours[1][0])["Content-Type"] == "text/plain"
    skip = {"Software-Info", "Extracted-Date"}
    assert [kv for kv in block_fields(ours[0][1]) if kv[0] not in skip] == [
        kv for kv in block_fields(ref[0][1]) if kv[0] not in skip
    ]
    with open(stats.path, "rb") as f:
        assert [r.headers.get("WARC-Type") for r in FastIterator(f, parse_http=False)] == [
            "warcinfo",
            "conversion",
        ]


def test_languages_and_html_only(tmp_path):
    warc = tmp_path / "s.warc.gz"
    write_warc(
        warc,
        [
            Capture("https://a.example/1", page("One", body="<p>uno</p>"), languages=["spa", "eng", "spa"]),
            Capture("https://a.example/2", page("Two")),  # no metadata record: no language header
            Capture("https://a.example/i.png", b"\x89PNG", content_type="image/png", identified="image/png"),
            Capture("https://a.example/empty", b"<html><body><script>x()</script></body></html>"),
        ],
    )
    records = read_records(generate_wet(warc).path)
    convs = [(dict(h), p) for h, p in records[1:]]
    assert [h["WARC-Target-URI"] for h, _ in convs] == ["https://a.example/1", "https://a.example/2"]
    assert convs[0][0]["WARC-Identified-Content-Language"] == "spa,eng"
    assert "WARC-Identified-Content-Language" not in convs[1][0]
    assert convs[0][1] == b"One\nuno\n"
    assert all(h["WARC-Block-Digest"] == sha1_base32(p) for h, p in convs)


def test_precomputed_text_and_language_win(tmp_path):
    warc = tmp_path / "s.warc.gz"
    records = write_warc(
        warc,
        [
            Capture("https://a.example/1", page("One", body="<p>uno</p>"), languages=["spa"]),
            Capture(
                "https://a.example/doc.pdf",
                b"%PDF",
                content_type="application/pdf",
                identified="application/pdf",
            ),
        ],
        with_records=True,
    )
    responses = [r for r in records if r.type == "response"]
    responses[0].text, responses[0].languages = "Nutch text\n", "cat"
    responses[1].text = "pdf text"
    for html_only, expected in (
        (True, ["https://a.example/1"]),
        (False, ["https://a.example/1", "https://a.example/doc.pdf"]),
    ):
        out = tmp_path / f"{html_only}.wet.gz"
        with WetWriter(out, warc.name, html_only=html_only) as writer:
            for rec in records:
                writer.add(rec)
        convs = [(dict(h), p) for h, p in read_records(out)[1:]]
        assert [h["WARC-Target-URI"] for h, _ in convs] == expected
        assert convs[0][1] == b"Nutch text\n" and convs[0][0]["WARC-Identified-Content-Language"] == "cat"


def test_empty_warc_gives_empty_file(tmp_path):
    warc = tmp_path / "e.warc"
    warc.write_bytes(b"")
    stats = generate_wet(warc)
    assert stats.records_out == 0 and os.path.getsize(stats.path) == 0
    assert stats.path.endswith("e.warc.wet.gz")
    assert gzip.decompress(open(stats.path, "rb").read()) == b""


def test_parallel_html_gives_the_same_files(tmp_path):
    """Extraction in a helper process: the writers see the same records, in order, same output."""
    from ccdump.writers.cdxj import CdxjWriter
    from ccdump.writers.httpview import ParallelHtml, is_html
    from ccdump.writers.wat import WatWriter
    from tests.writers.test_wat import FIXED, fixed_ids
    from tests.writers.warcgen import sample_captures

    warc = tmp_path / "s.warc.gz"
    captures = sample_captures() * 3 + [
        Capture(f"https://p.example/{i}", page(f"P{i}", body=f"<p>x {i}</p>")) for i in range(30)
    ]
    records = write_warc(warc, captures, with_records=True)

    def writers(tag):
        return [
            WatWriter(tmp_path / f"{tag}.wat.gz", warc.name, make_id=fixed_ids(), **FIXED),
            WetWriter(tmp_path / f"{tag}.wet.gz", warc.name, make_id=fixed_ids(), now=FIXED["now"]),
            CdxjWriter(tmp_path / f"{tag}.cdxj", warc.name),
        ]

    plain = writers("plain")
    for rec in records:
        for w in plain:
            w.add(rec)
    for w in plain:
        w.close()
    parallel = ParallelHtml(writers("par"), window=3, max_queue=5)
    for rec in read_warc(warc):  # fresh records: nothing extracted yet
        parallel.add(rec)
    parallel.close()
    html_pages = sum(1 for rec in records if is_html(rec))
    assert parallel.remote_pages > 0 and parallel.remote_pages + parallel.local_pages == html_pages == 51
    for ext in ("wat.gz", "wet.gz", "cdxj"):
        a, b = (tmp_path / f"plain.{ext}").read_bytes(), (tmp_path / f"par.{ext}").read_bytes()
        if ext.endswith(".gz"):
            a, b = gzip.decompress(a), gzip.decompress(b)
        assert a == b, ext
