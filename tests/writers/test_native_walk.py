"""The compiled HTML walk (``_lexborwalk``) gives exactly what the Python walk gives.

The Python walk (``html_extract._walk`` + ``_Observer``) is the reference: it is checked against
Common Crawl's WAT and the walk as first written (``test_html_walk_oracle.py``). Here the compiled
walk must give the same ``HTML-Metadata`` (same keys in the same order, as the WAT writes them) and
the same text on real pages (conformance corpus, Common Crawl's reference WARC, the benchmark's
calibrated pages) and on random and hostile markup. ``CCDUMP_REQUIRE_NATIVE_HTML=1`` (CI) makes
a missing or disabled build a failure rather than a skip.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench._pages import page as bench_page
from ccdump.writers import html_extract
from ccdump.writers.html_extract import detect_charset, extract_html
from tests.conftest import conformance_segments
from tests.writers.test_html_walk_oracle import markup, nested

pytestmark = pytest.mark.skipif(
    not html_extract.native_walk_in_use() and os.environ.get("CCDUMP_REQUIRE_NATIVE_HTML") != "1",
    reason="ccdump.writers._lexborwalk is not built (no C compiler at install time)",
)


def both(page: str) -> tuple[str, str]:
    """(compiled, Python) results as JSON text: key order matters to the WAT."""
    native = html_extract._native(page.encode("utf-8", "ignore"))
    python = html_extract._python_walk(page, True)
    return json.dumps(native, ensure_ascii=False), json.dumps(python, ensure_ascii=False)


def assert_same(body: bytes, content_type: str | None = "text/html; charset=utf-8") -> None:
    page = body.decode(detect_charset(body, content_type), "replace")
    if page:
        native, python = both(page)
        assert native == python


def test_compiled_walk_is_in_use():
    # fails in CI (CCDUMP_REQUIRE_NATIVE_HTML=1) when the build or the bind-time self-check failed
    assert html_extract.native_walk_in_use()
    meta = extract_html(b"<title>t</title><a href='/x'>y</a>").metadata
    assert meta == {"Head": {"Title": "t"}, "Links": [{"path": "A@/href", "url": "/x", "text": "y"}]}


def test_disabled_by_environment():
    code = "from ccdump.writers import html_extract as h; print(h.native_walk_in_use())"
    env = dict(os.environ, CCDUMP_NATIVE_HTML="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_probe_exercises_the_rules():
    meta, text = html_extract._native(html_extract._PROBE.encode())
    paths = [link.get("path") for link in meta["Links"]]
    for path in ("STYLE/#text", "BODY@/background", "DIV@/onclick", "IMG@/src", "IMG@/longdesc", "A@/href",
                 "FORM@/action", "INPUT@/formaction", "CUSTOM-EL@/data-href", "VIDEO@/poster"):  # fmt: skip
        assert path in paths
    assert set(meta["Head"]) == {"Metas", "Title", "Base", "Link", "Scripts"}
    assert "\n keep\n  this\n" in text  # <pre> text kept as it is, up to the paragraph rule


def test_calibrated_benchmark_pages():
    rng = random.Random(11)
    for i in range(80):
        assert_same(bench_page(rng, i)[1])


def test_reference_warc_pages(reference_dir):
    from warcio.archiveiterator import ArchiveIterator

    seen = 0
    with open(reference_dir / "CC-MAIN-20240517233122-20240518023122-00000.warc.gz", "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type == "response" and rec.http_headers is not None:
                assert_same(rec.content_stream().read(), rec.http_headers.get_header("Content-Type"))
                seen += 1
    assert seen


@pytest.mark.parametrize("segment", conformance_segments(), ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_conformance_pages(segment):
    from ccdump.nutch.segment import Segment

    seen = 0
    for doc in Segment(str(segment), on_error="skip").documents(folders=("content",)):
        content = doc.content
        if content is not None and content.content:
            assert_same(content.content, getattr(content, "content_type", None))
            seen += 1
    assert seen


_HOSTILE = [
    "<!-- c -->", "<?php echo 1; ?>", "<?xml version='1.0'?>", "<![CDATA[x]]>", "<svg>", "</svg>", "<math>",
    "<title>", "</title>", "<a href='/a'>", "<a>", "</a>", "<A HREF=/B TITLE=T>", "<img src=x alt>",
    "<img src='data:image/gif;base64,R0lGOD&amp;lh' alt='&amp;lt;'>", "<ſcript>", "<dı̇v onclick=\"location='/z'\">",
    "<x-" + "y" * 80 + " data-uri='/long'>", "<p " + " ".join(f"a{i}={i}" for i in range(80)) + " background=b>",
    "<a href=1 href=2 HREF=3>", "<td background='/t.gif'>", "<style>a{b:url( '/q.png' )}</style>", "<pre>",
    "</pre>", "<head>", "<body>", "<base href='/base/'>", "<meta name=a content=b>", "<meta content=c>",
    "<link rel=icon href=/f.ico>", "<script src=/s.js></script>", "<template><a href=/t>t</a></template>",
    "<iframe src=/if><a href=/in>x</a></iframe>", "<noframes><a href=/nf>x</a></noframes>", "<textarea>",
    "\u2003", "\u00a0", "\x00", "\ufffd", "\U0001f600", "x" * 150, " \t\n ", "&nbsp;&#x2003;", "<br>", "<wbr>",
    "<table>", "<tr>", "<td>", "</table>", "<form action=/f>", "<input src=/i onclick=\"window.open('/w')\">",
    "<object data=/o codebase=/cb>", "<area href=/ar rel=r>", "<q cite=/q>", "<image src=/im>",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_HOSTILE) | st.text(max_size=12), max_size=60).map("".join))
def test_hostile_markup(page):
    native, python = both(page)
    assert native == python


@settings(max_examples=200, deadline=None)
@given(markup())
def test_random_markup(body):
    assert_same(body)


@settings(max_examples=200, deadline=None)
@given(nested)
def test_random_nested_markup(body):
    assert_same(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(body):
    assert_same(body, None)


def test_deep_nesting_and_many_anchors():
    page = "<div>" * 5000 + "<a href='/deep'>deep</a>" + "</div>" * 5000 + "<a href='/n'>" * 300 + "x"
    native, python = both(page)
    assert native == python
    assert '"url": "/deep"' in native


def test_threads_give_the_same_results():
    # the parse runs without the GIL: pages walked in parallel threads must not mix
    rng = random.Random(3)
    pages = [bench_page(rng, i)[1] for i in range(24)]
    expected = [json.dumps(extract_html(p).metadata) for p in pages]
    results: dict[int, list[str]] = {}

    def work(k: int) -> None:
        results[k] = [json.dumps(extract_html(p).metadata) for p in pages]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())
