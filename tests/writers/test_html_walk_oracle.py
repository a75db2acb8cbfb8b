"""The optimised DOM walk gives exactly what the plain observer calls gave.

``_html_extract_v0`` is the module as it was before the walk's common cases were inlined (one
lookup per tag, paragraph/space rules on open and close, direct extractor dispatch, dict-built
links). Both must give the same ``HTML-Metadata`` — keys in the same order — and the same text
on realistic pages and on random markup that exercises every special case of the observer.
"""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.commoncrawl import page
from ccdump.writers.html_extract import extract_html
from tests.writers import _html_extract_v0 as v0


def same(body: bytes, content_type: str | None = "text/html; charset=utf-8") -> None:
    new, old = extract_html(body, content_type), v0.extract_html(body, content_type)
    # json.dumps keeps key order: the WAT writes keys in insertion order
    assert json.dumps(new.metadata) == json.dumps(old.metadata)
    assert new.text == old.text
    # the metadata alone (a record that carries its text): the walk skips the text work
    meta_only = extract_html(body, content_type, text=False)
    assert json.dumps(meta_only.metadata) == json.dumps(old.metadata)
    assert meta_only.text is None


def test_realistic_pages():
    rng = random.Random(5)
    for i in range(60):
        same(page(rng, i)[1])


_TAGS = [
    "a", "a", "a", "img", "p", "div", "span", "b", "li", "ul", "br", "hr", "td", "tr", "table", "title", "head",
    "body", "html", "pre", "svg", "script", "style", "iframe", "noscript", "noframes", "template", "textarea",
    "form", "input", "button", "link", "meta", "base", "area", "map", "object", "embed", "video", "source",
    "q", "blockquote", "label", "select", "option", "h1", "section", "time", "font", "xmp", "math", "image",
]  # fmt: skip
_ATTRS = [
    'href="/x"', "href", 'href=""', 'src="/i.png"', 'src="data:image/png;base64,AAAA"', 'alt=""', "alt",
    'alt="A &amp; B"', 'title="t"', 'rel="nofollow"', 'target="_blank"', 'lang="de"', 'name="description"',
    'content="c"', 'property="og:image"', 'http-equiv="refresh"', 'action="/s"', 'method="get"',
    'background="bg.gif"', 'data-href="/d"', 'data-uri="/u"', "onclick=\"window.open('/pop.html')\"",
    "onclick=\"location='/go'\"", 'poster="p.jpg"', 'cite="/c"', 'type="text/css"', 'longdesc="/l"',
    'formaction="/f"', 'class="c"',
]  # fmt: skip
_TEXTS = [
    "word", " spaced  out ", "\n\t", "&nbsp;x&nbsp;", "&amp;", "\u3000ideo\u3000", "\u00a0", "a\x01b", "",
    "x" * 140, " " + "y" * 130, "url(/bg.png) @import 'i.css';", "&lt;b&gt;", "\u2009thin",
    "end \u2003\t", "\u2003 ", " \u2028", "tail\x7f", "v\u00a0 ", "&#x2003;w&#x2003;",
]  # fmt: skip


@st.composite
def markup(draw: st.DrawFn) -> bytes:
    out = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            tag = draw(st.sampled_from(_TAGS))
            attrs = draw(st.lists(st.sampled_from(_ATTRS), max_size=3))
            out.append(f"<{tag}{''.join(' ' + a for a in attrs)}>")
        elif kind == 1:
            out.append(f"</{draw(st.sampled_from(_TAGS))}>")
        else:
            out.append(draw(st.sampled_from(_TEXTS)))
    return "".join(out).encode()


_attrs = st.lists(st.sampled_from(_ATTRS), max_size=3).map(lambda attrs: "".join(" " + a for a in attrs))


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    kids = st.lists(children, max_size=4).map("".join)
    plain = st.builds(lambda tag, attrs, inner: f"<{tag}{attrs}>{inner}</{tag}>", st.sampled_from(_TAGS), _attrs, kids)
    # table cells exist only inside tables: the parser drops a stray <td>
    cell = st.builds(lambda tag, attrs, inner: f"<{tag}{attrs}>{inner}</{tag}>", st.sampled_from(["td", "th"]), _attrs, kids)
    table = st.lists(st.lists(cell, min_size=1, max_size=3), min_size=1, max_size=3).map(
        lambda rows: "<table>" + "".join(f"<tr>{''.join(r)}</tr>" for r in rows) + "</table>"
    )
    return plain | table


nested = st.recursive(st.sampled_from(_TEXTS), _element, max_leaves=40).map(str.encode)


@settings(max_examples=400, deadline=None)
@given(markup())
def test_random_markup(body):
    same(body)


@settings(max_examples=400, deadline=None)
@given(nested)
def test_random_nested_markup(body):
    same(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(body):
    same(body, None)
