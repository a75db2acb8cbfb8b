"""HTML metadata, links and plain text, extracted as Common Crawl's WAT/WET generator does.

A port of ia-web-commons' ``ExtractingParseObserver`` (commoncrawl fork @39b5c22) driven by a
walk over selectolax's lexbor HTML5 DOM instead of the htmlparser lexer's tag events: each element
gives an "open" event, each non-void element a "close" event after its children, each text node a
"text" event. The observer's rules are kept as they are: which tags and attributes give ``Links``
entries and in what key order, ``A@/href`` entries emitted when ``</a>`` closes (so nested images
come first), ``Head`` created lazily with keys in first-appearance order, ``data:`` URLs trimmed,
CSS ``url()``/``@import`` in ``<style>`` text, the paragraph/space rules of the text extract.

A DOM is not a tag stream, so malformed HTML can differ where HTML5 tree building moves or
invents elements (an ``<a>`` that is never closed is emitted here, dropped by Common Crawl; a
``</p>`` without ``<p>`` adds an empty paragraph; text after ``</html>`` moves into ``<body>``;
``<template>`` contents and raw text inside ``<iframe>``/``<noembed>``/``<noframes>`` are
skipped). Attribute values and text arrive entity-decoded from lexbor (HTML5 rules), where the
original decodes them with jsoup; lengths are counted in code points, not UTF-16 units. Parsing
never fails: lexbor accepts any input.

Cost: walking the DOM from Python costs about a microsecond of bytecode per node (~0.9 ms for a
20 KB page of ~500 nodes, against ~0.1 ms of lexbor parsing), most of the cost of a WAT record.
The same walk is therefore also compiled (``_lexborwalk.c``, built by ``pip install`` when a C
compiler is present; it calls the lexbor that selectolax ships): ~0.17 ms per page, parse
included, with the same results (``tests/writers/test_native_walk.py`` compares the two on real
and random pages; :func:`_bind_native` checks them on :data:`_PROBE` before use). The Python walk
below is the reference and the fallback (``CCDUMP_NATIVE_HTML=0`` forces it). It does one
dictionary lookup per element and inlines the observer's common cases (see :func:`_walk`); the
results are those of the plain observer calls (``tests/writers/test_html_walk_oracle.py``).
Measured and not kept: regular expressions over lexbor's serialisation instead of the walk (no
faster in Python); a walk driven by ``traverse()``.
"""

from __future__ import annotations

import codecs
import html as _html
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import selectolax.lexbor
from selectolax.lexbor import LexborHTMLParser

log = logging.getLogger(__name__)

MAX_TEXT_LEN = 128
_CHARSET_SNIFF = 8192

_BLOCK = frozenset(  # noqa: SIM905 - the lists read as in the Java source
    [
        "ADDRESS",
        "ARTICLE",
        "ASIDE",
        "BLOCKQUOTE",
        "BODY",
        "BR",
        "BUTTON",
        "CANVAS",
        "CAPTION",
        "CENTER",
        "COL",
        "COLGROUP",
        "DD",
        "DIV",
        "DL",
        "DT",
        "EMBED",
        "FIELDSET",
        "FIGCAPTION",
        "FIGURE",
        "FOOTER",
        "FORM",
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "HEADER",
        "HGROUP",
        "HR",
        "LI",
        "MAP",
        "NOFRAMES",
        "NOSCRIPT",
        "OBJECT",
        "OL",
        "OUTPUT",
        "P",
        "PRE",
        "PROGRESS",
        "SECTION",
        "TABLE",
        "TBODY",
        "TEXTAREA",
        "TFOOT",
        "TH",
        "THEAD",
        "TITLE",
        "TR",
        "UL",
        "VIDEO",
    ]
)
_INLINE_SPACING = frozenset(  # noqa: SIM905
    [
        "ADDRESS",
        "CITE",
        "DETAILS",
        "DATALIST",
        "IFRAME",
        "IMG",
        "INPUT",
        "LABEL",
        "LEGEND",
        "OPTGROUP",
        "Q",
        "SELECT",
        "SUMMARY",
        "TBODY",
        "TD",
        "TIME",
    ]
)
_SPACING = _BLOCK | _INLINE_SPACING
_SPECIAL = frozenset(("HEAD", "TITLE", "PRE", "SVG", "BODY"))
#: closing these changes state; any other close only matters while a <title> is open
_CLOSE_EFFECT = _SPACING | {"A", "HEAD", "PRE", "SVG"}
#: elements without an end tag: the lexer never reports a close for them
_VOID = frozenset(  # noqa: SIM905
    [
        "AREA",
        "BASE",
        "BASEFONT",
        "BGSOUND",
        "BR",
        "COL",
        "EMBED",
        "FRAME",
        "HR",
        "IMAGE",
        "IMG",
        "INPUT",
        "KEYGEN",
        "LINK",
        "META",
        "PARAM",
        "SOURCE",
        "TRACK",
        "WBR",
    ]
)
#: children not walked: script text is ignored, style text is scanned for URLs, the rest is raw
#: text in HTML5 that the original lexer would have parsed as markup
_OPAQUE = frozenset(("SCRIPT", "STYLE", "IFRAME", "NOEMBED", "NOFRAMES", "TEMPLATE"))
_GLOBAL_HREF_ATTRS = frozenset(("background", "data-href", "data-uri"))
_GLOBAL_HREF_SELECTOR = "[background],[data-href],[data-uri]"

# Java's Character.isWhitespace after the observer maps controls and U+00A0 to a space
_WS = " \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
_WS_SET = frozenset(_WS)
_JAVA_WS_CHARS = frozenset(_WS + "\t\n\x0b\f\r\x1c\x1d\x1e\x1f")
_WS_RUN = re.compile(f"([{_WS}])[{_WS}]+")
_TO_SPACE = {c: " " for c in [*range(0x20), 0x7F, 0xA0]}
#: what normalisation turns into a run of whitespace (``_TO_SPACE``, then ``_WS_RUN``)
_WS_MAPPED = _WS + "".join(chr(c) for c in _TO_SPACE)
_JAVA_TRIM = "".join(chr(c) for c in range(0x21))

_JAVA_WS = r"[ \t\n\x0b\f\r]"
_CSS_URL = re.compile(rf"url{_JAVA_WS}*\({_JAVA_WS}*([^) \t\n\x0b\f\r]{{1,8000}}?){_JAVA_WS}*\)")
_CSS_TRIM = re.compile(r"""^(?:\\?["'])+|(?:\\?["'])+$""")
_CSS_IMPORT = re.compile(
    rf"""@import{_JAVA_WS}+((?:'[^']+')|(?:"[^"]+")|(?:\('[^']+'\))|(?:\("[^"]+"\))|(?:\([^)]+\))|"""
    rf"""(?:[a-z0-9_.:/\\-]+)){_JAVA_WS}*;"""
)
_CSS_SCAN_LIMIT = 100000
_ONCLICK = (
    re.compile(
        r"""(?i)^(?:javascript:)?(?:(?:window|top|document|self|parent)\.)?location(?:\.href)?"""
        rf"""{_JAVA_WS}*={_JAVA_WS}*('|&#39;)([^'"]{{3,256}})\1$"""
    ),
    re.compile(r"""(?i)^(?:javascript:)?(?:window|parent)\.open\((['"]|&#39;)([^"']{3,256}?)\1[,)]"""),
)

_META_CT = re.compile(r"<\s*META((>)|(\s+[^>]*>))", re.IGNORECASE)
_ANY_ATTR = r"""(?:"[^">]*")|(?:'[^'>]*')|(?:\\"[^>\\]*\\")|"""
_META_CONTENT = re.compile(rf"\bcontent\s*=\s*({_ANY_ATTR})(?:\s|>)?", re.IGNORECASE)
_META_EQUIV = re.compile(rf"\bhttp-equiv\s*=\s*(Content-Type|{_ANY_ATTR})(?:\s|>)?", re.IGNORECASE)
_META_CHARSET5 = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)


@dataclass(slots=True)
class HtmlExtract:
    """``metadata``: the WAT's ``HTML-Metadata`` object; ``text``: the WET text, None when empty."""

    metadata: dict[str, Any]
    text: str | None


def trim_data_url(url: str) -> str:
    """Drop the data of a ``data:`` URL, as ``ExtractingParseObserver.trimDataUrl``.

    >>> trim_data_url("data:image/png;base64,AAAA")
    'data:image/png;base64,'
    >>> trim_data_url("https://example.com/a.png")
    'https://example.com/a.png'
    """
    if url.startswith("data:"):
        comma = url.find(",", 5)
        if comma == -1:
            return url[:128]
        if comma > 128:
            return url[:128]
        if comma == 6:
            return "data:,"
        if comma > 6:
            return url[: comma + 1]
    return url


def _decode(value: str) -> str:
    return _html.unescape(value) if "&" in value else value


def _jtrim(text: str) -> str:
    return text.strip(_JAVA_TRIM)


class _Observer:
    """State of one page: the ``HTML-Metadata`` object being built and the text extract."""

    __slots__ = (
        "meta",
        "head",
        "parts",
        "anchors",
        "anchor_texts",
        "title",
        "in_head",
        "in_title",
        "in_pre",
        "in_svg",
        "global_attrs",
        "onclick",
        "links",
    )

    def __init__(self, global_attrs: bool) -> None:
        self.meta: dict[str, Any] = {}
        self.head: dict[str, Any] | None = None
        self.parts: list[str] = []
        self.anchors: list[dict[str, str] | None] = []
        self.anchor_texts: list[str] = []
        self.title: str | None = None
        self.in_head = self.in_title = self.in_pre = self.in_svg = False
        self.global_attrs = global_attrs
        self.onclick = True
        self.links: list[dict[str, str]] | None = None  # meta["Links"], created with the first entry

    # -- HTMLMetaData ---------------------------------------------------------------------
    def get_head(self) -> dict[str, Any]:
        if self.head is None:
            self.head = {}
            self.meta["Head"] = self.head
        return self.head

    def add_href(self, pairs: list[tuple[str, str]]) -> None:
        self.add_link(dict(pairs))

    def add_link(self, link: dict[str, str]) -> None:
        links = self.links
        if links is None:  # "Links" takes its place among the keys of meta now, as setdefault would
            links = self.links = self.meta.setdefault("Links", [])
        links.append(link)

    def add_head_list(self, key: str, pairs: list[tuple[str, str]]) -> None:
        self.get_head().setdefault(key, []).append(dict(pairs))

    def set_head_value(self, key: str, value: str | None) -> None:
        head = self.get_head()
        if value is None:
            head.pop(key, None)
        else:
            head[key] = value

    # -- text buffer -------------------------------------------------------------------------
    def paragraph(self) -> None:
        parts = self.parts
        while parts:
            last = parts[-1]
            if last[-1] != " ":
                break
            stripped = last.rstrip(" ")
            if stripped:
                parts[-1] = stripped
                break
            parts.pop()
        if parts and parts[-1][-1] != "\n":
            parts.append("\n")

    def space(self) -> None:
        if self.parts and self.parts[-1][-1] not in " \n":
            self.parts.append(" ")

    # -- events ------------------------------------------------------------------------------
    def open_special(self, name: str) -> bool:
        """State changes of HEAD/TITLE/PRE/SVG/BODY; True for TITLE, whose open does nothing else."""
        if name == "HEAD":
            self.in_head = True
        elif name == "TITLE":
            self.in_title = True
            return True
        elif name == "PRE":
            self.in_pre = True
        elif name == "SVG":
            self.in_svg = True
        elif name == "BODY":
            self.in_head = False
        return False

    def open(self, name: str, attrs: dict[str, str | None] | None) -> None:
        """A start tag (reference version of the inlined logic in :func:`_walk`)."""
        if name in _SPECIAL and self.open_special(name):
            return
        if name in _BLOCK:
            self.paragraph()
        elif name in _INLINE_SPACING:
            self.space()
        if attrs is not None:
            self.extract(name, attrs)

    def extract(self, name: str, attrs: dict[str, str | None]) -> None:
        """Global href attributes, then the tag's own extractor."""
        if self.global_attrs:
            for attr, value in attrs.items():
                if value is not None and attr.lower() in _GLOBAL_HREF_ATTRS:
                    url = trim_data_url(_decode(value))
                    self.add_link({"path": f"{name}@/{attr.lower()}", "url": url})
        extractor = _EXTRACTORS.get(name)
        if extractor is not None:
            extractor(self, name, attrs)

    def close(self, name: str) -> None:
        if name not in _CLOSE_EFFECT and not self.in_title:
            return
        if self.in_title:
            self.in_title = False
            if not self.in_svg and (self.in_head or not (self.head is not None and "Title" in self.head)):
                self.set_head_value("Title", self.title)
            self.title = None
        if name in _SPACING:
            if name in _BLOCK:
                self.paragraph()
            else:
                self.space()
            texts = self.anchor_texts
            for i, s in enumerate(texts):
                if s and s[-1] not in " \n":
                    texts[i] = s + " "
        if name == "A":
            if self.anchors:
                link = self.anchors.pop()
                text = self.anchor_texts.pop()
                if link is not None:
                    trimmed = _jtrim(text)[:MAX_TEXT_LEN]
                    if trimmed:
                        link["text"] = trimmed
                    self.add_link(link)
        elif name == "HEAD":
            self.in_head = False
        elif name == "PRE":
            self.in_pre = False
        elif name == "SVG":
            self.in_svg = False

    def text_extra(self, t: str) -> None:
        """Feed a normalised text node to the open title or anchors."""
        t = t[:MAX_TEXT_LEN]
        if self.in_title:
            self.title = _jtrim(t)
            return
        texts = self.anchor_texts
        for i, s in enumerate(texts):
            if len(s) >= MAX_TEXT_LEN:
                break
            clipped = t if len(s) + len(t) < MAX_TEXT_LEN else t[: MAX_TEXT_LEN - len(s)]
            if clipped and (not s or s[-1] == " ") and clipped[0] == " ":
                clipped = clipped[1:]
            texts[i] = s + clipped

    def style(self, css: str) -> None:
        css = _decode(css)
        for pattern in (_CSS_URL, _CSS_IMPORT):
            end = 0
            for m in pattern.finditer(css):
                if end >= _CSS_SCAN_LIMIT:
                    break
                end = m.end()
                url = _CSS_TRIM.sub("", m.group(1))
                if url:
                    self.add_link({"path": "STYLE/#text", "href": trim_data_url(url)})


# -- tag extractors (ExtractingParseObserver.*TagExtractor) ---------------------------------------


def _attr(attrs: dict[str, str | None], name: str) -> str | None:
    return attrs.get(name)


def _basic(obs: _Observer, tag: str, attrs: dict[str, str | None], *names: str) -> None:
    for name in names:
        value = attrs.get(name)
        if value is not None:
            obs.add_link({"path": f"{tag}@/{name}", "url": trim_data_url(_decode(value))})


def _url_with(attrs: dict[str, str | None], tag: str, url_attr: str, *extra: str) -> dict[str, str] | None:
    """``{"path": "TAG@/attr", "url": …}`` plus the ``extra`` attributes present, in that order."""
    url = attrs.get(url_attr)
    if url is None:
        return None
    link = {"path": f"{tag}@/{url_attr}", "url": trim_data_url(_decode(url))}
    for name in extra:
        value = attrs.get(name)
        if value is not None:
            link[name] = _decode(value)
    return link


def _onclick_urls(onclick: str) -> list[str]:
    """The URLs an ``onclick`` handler navigates to (``location=…``, ``window.open(…)``)."""
    urls = []
    for pattern in _ONCLICK:
        m = pattern.search(onclick)
        if m is not None:
            urls.append(trim_data_url(m.group(2)))
    return urls


def _onclick(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    onclick = attrs.get("onclick")
    if onclick is None:
        return
    for url in _onclick_urls(onclick):
        obs.add_link({"path": f"{tag}@/onclick", "url": url})


def _x_anchor(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    """Open an anchor; its entry (None without ``href``) is emitted when it closes, with its text."""
    obs.anchors.append(_url_with(attrs, "A", "href", "target", "alt", "title", "rel", "hreflang", "type"))
    obs.anchor_texts.append("")


def _x_area(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    link = _url_with(attrs, "AREA", "href", "rel")
    if link is not None:
        obs.add_link(link)


def _x_base(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    url = attrs.get("href")
    if url is not None:
        obs.set_head_value("Base", _decode(url))


def _x_form(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    link = _url_with(attrs, "FORM", "action", "target", "method")
    if link is not None:
        obs.add_link(link)


def _x_html(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    for name in ("lang", "xml:lang"):
        value = attrs.get(name)
        if value is not None:
            obs.add_head_list("Metas", [("name", f"HTML@/{name}"), ("content", _decode(value))])


def _x_img(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    link = _url_with(attrs, tag, "src", "alt", "title")
    if link is not None:
        obs.add_link(link)
    if "longdesc" in attrs:
        _basic(obs, tag, attrs, "longdesc")


def _x_input(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    _basic(obs, tag, attrs, "src", "formaction")
    _onclick(obs, tag, attrs)


def _x_link(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    link = _url_with(attrs, tag, "href", "rel", "type")
    if link is not None:
        obs.get_head().setdefault("Link", []).append(link)


def _x_meta(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    pairs = []
    og_image = False
    for name in ("name", "rel", "content", "http-equiv", "property"):
        value = attrs.get(name)
        if value is not None:
            value = _decode(value)
            pairs.append((name, value))
            if name == "property" and value == "og:image":
                og_image = True
    if len(pairs) < 2:
        return  # a single attribute (e.g. schema.org itemprop/content) is dropped
    if og_image:
        pairs = [(k, trim_data_url(v) if k == "content" else v) for k, v in pairs]
    obs.add_head_list("Metas", pairs)


def _x_script(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
    link = _url_with(attrs, tag, "src", "type")
    if link is not None:
        obs.get_head().setdefault("Scripts", []).append(link)


def _basic_for(*names: str):
    def extract(obs: _Observer, tag: str, attrs: dict[str, str | None]) -> None:
        _basic(obs, tag, attrs, *names)

    return extract


_EXTRACTORS = {
    "A": _x_anchor,
    "APPLET": _basic_for("codebase", "cdata"),
    "AREA": _x_area,
    "BASE": _x_base,
    "DIV": _onclick,
    "EMBED": _basic_for("src"),
    "FORM": _x_form,
    "FRAME": _basic_for("src"),
    "IFRAME": _basic_for("src"),
    "IMG": _x_img,
    "INPUT": _x_input,
    "LINK": _x_link,
    "META": _x_meta,
    "OBJECT": _basic_for("codebase", "cdata", "data"),
    "SCRIPT": _x_script,
    "Q": _basic_for("cite"),
    "BLOCKQUOTE": _basic_for("cite"),
    "DEL": _basic_for("cite"),
    "INS": _basic_for("cite"),
    "BUTTON": _basic_for("formaction"),
    "MENUITEM": _basic_for("icon"),
    "VIDEO": _basic_for("src", "poster"),
    "AUDIO": _basic_for("src"),
    "TRACK": _basic_for("src"),
    "SOURCE": _basic_for("src"),
    "HTML": _x_html,
}

_EXTRACTORS_NO_ONCLICK = {k: v for k, v in _EXTRACTORS.items() if k != "DIV"}


#: what opening an element does to the text: 1 paragraph (block), 2 space (inline spacing)
_OPEN_SPACING = {name: 2 for name in _INLINE_SPACING} | {name: 1 for name in _BLOCK}
#: what closing a non-void element does while no title or anchor is open: 1 paragraph, 2 space,
#: 3 a state change (``_Observer.close``); 0 nothing
_CLOSE_KIND = {name: kind for name, kind in _OPEN_SPACING.items() if name not in _VOID} | {
    name: 3 for name in ("A", "HEAD", "PRE", "SVG")
}
#: (NAME, open kind, close kind or -1 for void elements, special, opaque, extractor or None)
_Info = tuple[str, int, int, bool, bool, Any]
_INFO: dict[bool, dict[str, _Info]] = {True: {}, False: {}}  # by "the page has div[onclick]"
#: custom element names are unbounded across a crawl; past this many, new ones are not cached
_INFO_MAX = 4096


def _tag_info(tag: str, onclick: bool) -> _Info:
    """Everything the walk needs to know about a tag name, computed once per name."""
    name = tag.upper()
    extractors = _EXTRACTORS if onclick else _EXTRACTORS_NO_ONCLICK
    info = (
        name,
        _OPEN_SPACING.get(name, 0),
        -1 if name in _VOID else _CLOSE_KIND.get(name, 0),
        name in _SPECIAL,
        name in _OPAQUE,
        extractors.get(name),
    )
    cache = _INFO[onclick]
    if len(cache) < _INFO_MAX:
        cache[tag] = info
    return info


def _walk(root: Any, obs: _Observer, keep_text: bool = True) -> None:
    """Depth-first walk giving open/close/text events in document order.

    This loop runs once per DOM node and dominates the cost of a WAT/WET record, so it does one
    dictionary lookup per element (:func:`_tag_info`) and inlines the observer's common cases:
    text normalisation, the paragraph and space rules on opening and closing block and
    inline-spacing elements (``_Observer.close`` is called only while a title or an anchor is
    open, or for the elements that change its state), direct extractor dispatch.
    ``tests/writers/test_html_walk_oracle.py`` checks that the results equal those of the plain
    observer calls (the module as it was before these were inlined).

    ``keep_text=False`` (the metadata alone): a text node that no open title or anchor reads only
    matters through the end of the text so far, which the paragraph and space rules and the next
    node's leading space look at. ``parts`` then gets the node itself when it ends with a visible
    character, else its last visible character and the whitespace its normalisation ends with —
    the same last characters, without normalising the whole text (isprintable scans, regular
    expressions on whitespace-only nodes) or joining it.
    """
    onclick = obs.onclick
    infos = _INFO[onclick]
    ws_set, java_ws = _WS_SET, _JAVA_WS_CHARS
    ws_run, to_space, ws_mapped = _WS_RUN, _TO_SPACE, _WS_MAPPED
    parts = obs.parts
    anchor_texts = obs.anchor_texts
    global_attrs = obs.global_attrs
    node = root
    depth = 0
    while True:
        tag = node.tag
        if tag == "-text":
            txt = node.text_content
            if not txt:
                pass
            elif not (keep_text or anchor_texts or obs.in_title):
                if obs.in_pre:
                    parts.append(txt)
                else:
                    r = txt.rstrip(ws_mapped)
                    if len(r) == len(txt):
                        parts.append(txt)
                    else:
                        c = txt[len(r)]
                        if ord(c) in to_space:
                            c = " "
                        if r:
                            parts.append(r[-1] + c)
                        elif parts and parts[-1][-1] not in java_ws:
                            parts.append(c)
            else:
                if obs.in_pre:
                    t = txt
                else:
                    t = (
                        txt
                        if txt.isprintable() and "  " not in txt
                        else ws_run.sub(r"\1", txt.translate(to_space))
                    )
                    if t[0] in ws_set and (not parts or parts[-1][-1] in java_ws):
                        t = t[1:]
                if t:
                    parts.append(t)
                if anchor_texts or obs.in_title:
                    obs.text_extra(t)
        elif tag and tag[0] not in "-_!#":  # None: a comment made of ``<?…>`` (lexbor's bogus comment)
            info = infos.get(tag) or _tag_info(tag, onclick)
            name, kind, close, special, opaque, extractor = info
            if special and obs.open_special(name):
                pass  # <title>: no other effect on open
            else:
                if kind and parts:
                    last = parts[-1][-1]
                    if kind == 1:
                        if last == " ":
                            obs.paragraph()
                        elif last != "\n":
                            parts.append("\n")
                    elif last != " " and last != "\n":
                        parts.append(" ")
                if global_attrs:
                    obs.extract(name, node.attributes)
                elif extractor is not None:
                    extractor(obs, name, node.attributes)
            if opaque:
                if name == "STYLE":
                    obs.style(node.text(deep=True))
                obs.close(name)
            else:
                child = node.first_child
                if child is not None:
                    node = child
                    depth += 1
                    continue
                if close >= 0:
                    if anchor_texts or obs.in_title:
                        obs.close(name)
                    elif close:
                        if close == 3:
                            obs.close(name)
                        elif parts:
                            last = parts[-1][-1]
                            if close == 1:
                                if last == " ":
                                    obs.paragraph()
                                elif last != "\n":
                                    parts.append("\n")
                            elif last != " " and last != "\n":
                                parts.append(" ")
        # climb until a sibling is found, closing the elements left behind
        while True:
            if depth == 0:
                return
            sibling = node.next
            if sibling is not None:
                node = sibling
                break
            node = node.parent
            depth -= 1
            tag = node.tag
            info = infos.get(tag) or _tag_info(tag, onclick)
            close = info[2]
            if close < 0:
                continue
            if anchor_texts or obs.in_title:
                obs.close(info[0])
            elif close:
                if close == 3:
                    obs.close(info[0])
                elif parts:
                    last = parts[-1][-1]
                    if close == 1:
                        if last == " ":
                            obs.paragraph()
                        elif last != "\n":
                            parts.append("\n")
                    elif last != " " and last != "\n":
                        parts.append(" ")


def _is_supported(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _map_charset(name: str) -> str:
    lower = name.lower()
    return "cp1252" if "iso8859-1" in lower or "iso-8859-1" in lower else name


def _charset_from_content_type(content_type: str) -> str | None:
    pos = content_type.upper().find("CHARSET=")
    if pos == -1:
        return None
    cs = content_type[pos + 8 :]
    for candidate in (cs, cs.replace(" ", "")):
        if candidate and _is_supported(candidate):
            return _map_charset(candidate)
    return None


def _trim_attr_value(value: str) -> str:
    if value and value[0] in "\"'":
        return value[1:-1]
    return value


def detect_charset(body: bytes, content_type: str | None) -> str:
    """The charset the generator decodes a page with (``StandardCharsetDetector``).

    HTTP ``Content-Type`` ``charset=``, then a ``<meta http-equiv="Content-Type">`` in the first
    8 KiB, then — where the original asks juniversalchardet — UTF-8 if the sample decodes as UTF-8,
    else an HTML5 ``<meta charset>``, else windows-1252. ISO-8859-1 is read as windows-1252.
    """
    if content_type:
        cs = _charset_from_content_type(content_type)
        if cs:
            return cs
    sample = body[:_CHARSET_SNIFF]
    text = sample.decode("utf-8", "replace")
    for tag in _META_CT.finditer(text):
        whole = tag.group()
        equiv = _META_EQUIV.search(whole)
        if equiv is None:
            continue
        if _trim_attr_value(equiv.group(1)).lower() == "content-type":
            content = _META_CONTENT.search(whole)
            if content is None:
                break
            cs = _charset_from_content_type(_trim_attr_value(content.group(1)))
            if cs:
                return cs
            break
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if len(body) > len(sample) and exc.start >= len(sample) - 3:
            return "utf-8"  # a character cut by the 8 KiB sample boundary
    m = _META_CHARSET5.search(sample)
    if m is not None and _is_supported(m.group(1).decode("ascii")):
        return _map_charset(m.group(1).decode("ascii"))
    return "cp1252"


def _url_value(value: str) -> str:
    """An attribute value as a ``Links`` URL: entity-decoded again, ``data:`` trimmed."""
    return trim_data_url(_decode(value))


def _style_links(css: str) -> list[dict[str, str]]:
    """The ``STYLE/#text`` entries of one ``<style>`` element's text."""
    obs = _Observer(global_attrs=False)
    obs.style(css)
    return obs.links or []


def _python_walk(page: str, text: bool) -> tuple[dict[str, Any], str | None]:
    obs = _Observer(global_attrs=False)
    tree = LexborHTMLParser(page)
    root = tree.root
    if root is not None:
        # one selector for both page-level checks; most pages match neither
        if tree.css_first(_GLOBAL_HREF_SELECTOR + ",div[onclick]") is None:
            obs.onclick = False
        else:
            obs.global_attrs = tree.css_first(_GLOBAL_HREF_SELECTOR) is not None
            obs.onclick = tree.css_first("div[onclick]") is not None
        _walk(root, obs, text)
    return obs.meta, ("".join(obs.parts) or None) if text else None


#: a page touching every rule of the walk: bind() checks the compiled walk against the Python one
_PROBE = (
    '<!DOCTYPE html><html lang="en"><head><title> Probe \u00e9 </title><base href="/b/">'
    '<meta name="description" content="d &amp;amp; e"><meta property="og:image" content="data:image/png;base64,AA">'
    '<link rel="stylesheet" href="/s.css" type="text/css"><script src="/j.js" type="module"></script>'
    "<style>body{background:url('/bg.png')} @import \"/i.css\";</style></head>"
    '<body background="/body.gif"><div onclick="window.open(\'/pop.html\')">x</div><p>Para\u2003 one\u00a0 two'
    '<a href="/a" title="t" rel="nofollow">anchor <img src="/i.png" alt="alt &amp; text" longdesc="/l">'
    "text</a></p><pre> keep\n  this </pre><svg><title>svg</title><a href='/svg'>s</a></svg>"
    '<ſcript>x</ſcript><form action="/f" method="post"><input src="/in.png" formaction="/fa"></form>'
    "<?php echo 1; ?><a>no href <b>bold</b></a><custom-el data-href='/c'>c</custom-el>"
    '<table><tr><td>1</td><td>2</td></tr></table><video src="/v.mp4" poster="/p.jpg"></video></body></html>'
)


def _bind_native() -> Callable[[bytes], tuple[dict[str, Any], str | None]] | None:
    """The compiled walk (``_lexborwalk``) when it is built and agrees with :func:`_walk`.

    ``CCDUMP_NATIVE_HTML=0`` keeps the Python walk. The compiled walk calls lexbor through the
    symbols selectolax's extension module exports; a selectolax build without them, or one
    whose results differ on :data:`_PROBE`, leaves the Python walk in place (logged).
    """
    if os.environ.get("CCDUMP_NATIVE_HTML", "1") == "0":
        return None
    try:
        from ccdump.writers import _lexborwalk
    except ImportError:
        log.debug("ccdump.writers._lexborwalk is not built; the HTML walk runs in Python")
        return None
    try:
        _lexborwalk.bind(
            selectolax.lexbor.__file__, _url_value, trim_data_url, _html.unescape, _style_links, _onclick_urls
        )
        native = _lexborwalk.extract(_PROBE.encode())
    except Exception as exc:  # whatever goes wrong here, the Python walk still works
        log.warning("compiled HTML walk unavailable (%s); the HTML walk runs in Python", exc)
        return None
    # compared as JSON: the order of keys is part of the result (the WAT writes them in order)
    if json.dumps(native) != json.dumps(_python_walk(_PROBE, True)):
        log.warning("compiled HTML walk disagrees with the Python walk on selectolax %s; not used",
                    getattr(selectolax, "__version__", "?"))
        return None
    return _lexborwalk.extract


_native = _bind_native()


def native_walk_in_use() -> bool:
    """True when pages are walked by the compiled walk rather than :func:`_walk`."""
    return _native is not None


def extract_html(
    body: bytes, content_type: str | None = None, *, charset: str | None = None, text: bool = True
) -> HtmlExtract:
    """Parse one HTML page; return its ``HTML-Metadata`` object and its text extract.

    ``text=False``: the metadata alone (``text`` None), for a page whose text comes from elsewhere
    (Nutch's parse text): the same metadata, about a third less work on text-heavy pages in the
    Python walk; the compiled walk always builds the text, at little cost.
    """
    if charset is None or not _is_supported(charset):
        charset = detect_charset(body, content_type)
    page = body.decode(charset, "replace")
    if not page:
        return HtmlExtract({}, None)
    if _native is not None:
        # as selectolax encodes a str before handing it to lexbor
        meta, joined = _native(page.encode("utf-8", "ignore"))
        return HtmlExtract(meta, joined if text else None)
    meta, joined = _python_walk(page, text)
    return HtmlExtract(meta, joined)
