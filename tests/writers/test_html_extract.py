"""Link, metadata and text rules of the WAT/WET extractor (ExtractingParseObserver)."""

from __future__ import annotations

from ccdump.writers import html_extract
from ccdump.writers.html_extract import HtmlExtract, detect_charset, extract_html


def links(html: str):
    return extract_html(html.encode(), "text/html; charset=utf-8").metadata.get("Links", [])


def test_anchor_emitted_at_close_after_nested_entries():
    got = links('<a href="/x" title="T"><img src="/i.png" alt="I"> go <b>there</b></a>')
    assert got == [
        {"path": "IMG@/src", "url": "/i.png", "alt": "I"},
        {"path": "A@/href", "url": "/x", "title": "T", "text": "go there"},
    ]


def test_anchor_text_is_clipped_and_spaced_by_blocks():
    got = links('<a href="/x"><div>one</div><div>two</div>' + "w" * 200 + "</a>")
    assert got[0]["text"].startswith("one two ") and len(got[0]["text"]) == 128


def test_other_link_sources():
    got = links(
        "<td background=\"bg.gif\">x</td><div onclick=\"window.open('/popup.html', 'w')\">y</div>"
        '<video src="v.mp4" poster="p.jpg"></video><q cite="/c">q</q><area href="/a" rel="r">'
        "<style>@import 'a.css'; b{background:url( \"/b.png\" )}</style><a name=anchor>no href</a>"
    )
    paths = [(link["path"], link.get("url", link.get("href"))) for link in got]
    assert ("DIV@/onclick", "/popup.html") in paths
    assert ("VIDEO@/src", "v.mp4") in paths and ("VIDEO@/poster", "p.jpg") in paths
    assert ("Q@/cite", "/c") in paths
    assert paths[-2:] == [("STYLE/#text", "/b.png"), ("STYLE/#text", "a.css")]
    assert not any(p == "A@/href" for p, _ in paths)


def test_head_metadata():
    meta = extract_html(
        b'<html lang="de"><head><meta charset="utf-8"><meta itemprop="x" content="only content">'
        b'<meta property="og:image" content="data:image/png;base64,QUJD"><title> A  \n title </title>'
        b'<base href="/base/"><script src="/s.js"></script></head><body><svg><title>not this</title></svg></body></html>'
    ).metadata
    head = meta["Head"]
    assert list(head) == ["Metas", "Title", "Base", "Scripts"]
    assert head["Metas"] == [
        {"name": "HTML@/lang", "content": "de"},
        {"content": "data:image/png;base64,", "property": "og:image"},
    ]
    assert head["Title"] == "A title"
    assert head["Scripts"] == [{"path": "SCRIPT@/src", "url": "/s.js"}]


def test_text_rules():
    text = extract_html(
        b"<title>T</title><p>a&nbsp;&nbsp;b\n\tc</p><pre>  x\n  y</pre><ul><li>one</li><li>two</li></ul>"
        b"<script>var s;</script><span>in</span><span>line</span><label>cell</label>"
    ).text
    assert text == "T\na b c\n  x\n  y\none\ntwo\ninline cell\n"


def test_charset_detection():
    assert detect_charset(b"x", "text/html; charset=ISO-8859-1") == "cp1252"
    assert (
        detect_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', None)
        == "koi8-r"
    )
    assert detect_charset("é".encode("latin-1"), None) == "cp1252"
    assert detect_charset("é".encode(), "text/html") == "utf-8"
    page = b'<meta charset="windows-1251">' + "привет".encode("cp1251")
    # the HTML5 tree closes an implied <body>: a paragraph break the tag-stream original would not add
    assert extract_html(page).text == "привет\n"


def test_processing_instructions_in_the_body():
    # lexbor turns "<?php …?>" into a comment node selectolax gives no tag name; the Python walk
    # used to fail on it (TypeError), which a leftover PHP tag on a real page would trigger
    body = b"<p>a<?php echo 1; ?>b<a href=/x>l</a><?xml version='1.0'?></p>"
    expected = {"Links": [{"path": "A@/href", "url": "/x", "text": "l"}]}
    assert html_extract._python_walk(body.decode(), True) == (expected, "abl\n")
    assert extract_html(body) == HtmlExtract(expected, "abl\n")
