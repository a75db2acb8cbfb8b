"""Benchmark: WARC + WAT + WET + CDXJ together beside WARC alone, measured in one run (issue #5).

Usage: python bench/commoncrawl.py [--pages 2000] [--repeat 3] [--real-mb 0]

On synthetic but realistic pages (``page()``: ~18.6 KB of HTML, ~530 DOM nodes, ~95 links, ~3.2 KB of
text — a news article with navigation, share buttons, inline JSON-LD and scripts, a sidebar, related
cards and a footer; text is ~17 % of the HTML, in line with Common Crawl's WET/WARC size ratio):

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
Target (issue #5): ratio <= 1.6. Peak RSS is of this process (it holds the generated pages).

``--real-mb N`` also runs the real pipeline on the cached benchmark Nutch segment of ~N MB
(``bench/_segment.py``): ``ccdump.dump(out, segment, warc=True, gzip=True)`` without and with the
WAT, WET and CDXJ listeners of :func:`~ccdump.writers.commoncrawl.derived_listeners` (default: their
helper process; and all in one process, ``-D ccdump.derived.parallel=false``).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ccdump.writers.cdxj import CdxjWriter  # noqa: E402
from ccdump.writers.gzmember import GZIP_HEADER_JDK, GzipMemberWriter  # noqa: E402

try:
    from ccdump.writers.httpview import ParallelHtml
except ImportError:  # an older tree: mode (c) is left out
    ParallelHtml = None  # type: ignore[assignment,misc]
from ccdump.writers.record import WarcRecord, sha1_base32  # noqa: E402
from ccdump.writers.wat import WatWriter  # noqa: E402
from ccdump.writers.wet import WetWriter  # noqa: E402

WORDS = (  # noqa: SIM905 - a sentence reads better than a list of 60 strings
    "the of and to in is for on with as by at from that this are be or was it an have not which city council "
    "report energy market travel science history music river garden house project school archive record "
    "server crawl data image link page index weather sport football election budget"
).split()
SECTIONS = ("World", "Politics", "Business", "Tech", "Science", "Health", "Sport", "Culture", "Travel", "Opinion", "Video", "Podcasts")
ICON = (
    '<svg class="icon icon--{0}" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 '
    '10 10 10 10-4.48 10-10S17.52 2 12 2z"></path></svg>'
)


def _w(rng: random.Random, a: int, b: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(a, b)))


def page(rng: random.Random, i: int, target: int = 18500) -> tuple[str, bytes]:
    """(URL, HTML) of one synthetic news article of about ``target`` bytes."""
    host = f"www{i % 50:02d}.example.org"
    title = _w(rng, 4, 9).title()
    head = [
        '<!DOCTYPE html>\n<html lang="en" class="no-js">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{title} | Example News</title>\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta name="description" content="{_w(rng, 12, 20)}">\n',
        f'<meta property="og:title" content="{title}">\n<meta property="og:type" content="article">\n',
        f'<meta property="og:image" content="https://{host}/img/og-{i}.jpg">\n',
        '<meta name="twitter:card" content="summary_large_image">\n<meta name="robots" content="index, follow">\n',
        f'<link rel="canonical" href="https://{host}/articles/{i}.html">\n',
        '<link rel="stylesheet" href="/static/css/main.8f3a2c.css" type="text/css">\n'
        '<link rel="preload" href="/static/fonts/inter.woff2" as="font" crossorigin>\n',
        '<link rel="icon" href="/favicon.ico">\n<link rel="alternate" hreflang="de" href="/de/articles/x.html">\n',
        '<script src="/static/js/vendor.31c2.js"></script>\n'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-XYZ123"></script>\n',
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        'gtag("js",new Date());gtag("config","G-XYZ123",{"anonymize_ip":true});</script>\n',
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"'
        + title
        + '","datePublished":"2024-05-18T01:58:10Z","author":{"@type":"Person","name":"'
        + _w(rng, 2, 2).title()
        + '"},"publisher":{"@type":"Organization","name":"Example News","logo":{"@type":"ImageObject","url":"https://'
        + host
        + f'/static/img/logo.png"}}}},"image":["https://{host}/img/{i}/lead.jpg"]}}</script>\n',
        '<style>.hero{background:url("/static/img/hero.jpg") center/cover}@import url(/static/css/print.css);'
        ".c-nav__item{display:inline-block;padding:0 .5rem}.c-card{border:1px solid #eee;border-radius:4px}</style>\n",
        '</head>\n<body class="page page--article has-sidebar">\n<a class="skip-link" href="#content">Skip to content</a>\n',
        '<header class="c-header" role="banner"><div class="c-header__inner container"><div class="c-header__logo">'
        '<a href="/" class="c-logo" aria-label="Example News home"><img src="/static/img/logo.svg" alt="Example News" '
        'width="160" height="32"></a></div>\n<nav class="c-nav" aria-label="Main"><ul class="c-nav__list">\n',
    ]
    for s in SECTIONS:
        head.append(f'<li class="c-nav__item"><a class="c-nav__link" href="/{s.lower()}/" data-track="nav-{s.lower()}">{s}</a></li>\n')
    section = SECTIONS[i % 12]
    share = "".join(
        f'<a class="c-share__link c-share__link--{n}" href="https://{n}.example/share?u=https%3A%2F%2F{host}%2Farticles%2F{i}.html"'
        f' target="_blank" rel="noopener">{ICON.format(n)}</a>'
        for n in ("fb", "tw", "li")
    )
    head.append(
        '</ul></nav>\n<div class="c-header__tools"><form action="/search" method="get" class="c-search" role="search">'
        '<label for="q" class="visually-hidden">Search</label><input id="q" type="search" name="q" placeholder="Search">'
        f'<button type="submit" class="c-btn c-btn--icon" aria-label="Search">{ICON.format("search")}</button></form>'
        '<a class="c-btn c-btn--subscribe" href="/subscribe?ref=header">Subscribe</a></div></div></header>\n'
        '<div class="c-breadcrumbs container"><ol class="c-breadcrumbs__list"><li><a href="/">Home</a></li>'
        f'<li><a href="/{section.lower()}/">{section}</a></li><li aria-current="page">{title}</li></ol></div>\n'
        '<main id="content" class="l-main container"><div class="l-main__grid"><article class="c-article" itemscope '
        'itemtype="https://schema.org/NewsArticle">\n<header class="c-article__header">'
        f'<h1 class="c-article__title" itemprop="headline">{title}</h1>\n<div class="c-article__meta"><span class="c-byline">'
        f'By <a href="/authors/{rng.randint(1, 99)}" rel="author" class="c-byline__link">{_w(rng, 2, 2).title()}</a></span> '
        '<time class="c-article__date" datetime="2024-05-18T01:58:10Z">18 May 2024</time>'
        f'<div class="c-share">{share}</div></div></header>\n'
        f'<figure class="c-figure c-figure--lead"><img class="c-figure__img" src="/img/{i}/lead.jpg" '
        f'srcset="/img/{i}/lead-640.jpg 640w, /img/{i}/lead-1280.jpg 1280w" sizes="(max-width: 800px) 100vw, 800px" '
        f'alt="{_w(rng, 5, 10)}" width="800" height="450"><figcaption class="c-figure__caption">{_w(rng, 6, 12)}</figcaption>'
        '</figure>\n<div class="c-article__body" itemprop="articleBody">\n'
    )
    tags = "".join(f'<li class="c-tags__item"><a class="c-tag" href="/tag/{t}">{t}</a></li>' for t in rng.sample(WORDS[20:], 5))
    tail = [
        f'</div>\n<footer class="c-article__footer"><ul class="c-tags">{tags}</ul></footer>\n</article>\n'
        '<aside class="l-sidebar"><section class="c-widget c-widget--popular"><h2 class="c-widget__title">Most read</h2>'
        '<ol class="c-list">\n'
    ]
    for k in range(6):
        tail.append(
            f'<li class="c-list__item"><a class="c-list__link" href="/articles/{rng.randint(1, 10**6)}.html">'
            f'<span class="c-list__num">{k + 1}</span> {_w(rng, 5, 9)}</a></li>\n'
        )
    tail.append(
        '</ol></section>\n<div class="c-ad c-ad--mpu" data-ad-slot="sidebar-1" data-ad-sizes="300x250,300x600"></div>\n'
        '</aside></div>\n<section class="c-related"><h2 class="c-related__title">Related</h2><div class="c-related__grid">\n'
    )
    for _ in range(6):
        tail.append(
            f'<div class="c-card"><a class="c-card__link" href="/articles/{rng.randint(1, 10**6)}.html"><div class="c-card__media">'
            f'<img class="c-card__img" src="/thumbs/{rng.randint(1, 10**6)}.jpg" alt="{_w(rng, 3, 6)}" loading="lazy" width="320" '
            f'height="180"></div><div class="c-card__body"><h3 class="c-card__title">{_w(rng, 4, 9)}</h3></div></a></div>\n'
        )
    tail.append('</div></section></main>\n<footer class="c-footer" role="contentinfo"><div class="c-footer__inner container"><div class="c-footer__cols">\n')
    for col in range(4):
        items = "".join(f'<li class="c-footer__item"><a class="c-footer__link" href="/p/{col}/{k}">{_w(rng, 1, 3)}</a></li>' for k in range(6))
        tail.append(f'<div class="c-footer__col"><h4 class="c-footer__heading">{_w(rng, 1, 2).title()}</h4><ul class="c-footer__list">{items}</ul></div>\n')
    social = "".join(f'<a class="c-social c-social--{n}" href="https://{n}.example/examplenews" aria-label="{n}">{ICON.format(n)}</a>' for n in ("fb", "tw", "ig", "yt"))
    tail.append(
        f'</div><div class="c-footer__social">{social}</div><p class="c-footer__legal">&copy; 2024 Example News Ltd &middot; '
        '<a href="/privacy">Privacy</a> &middot; <a href="/terms">Terms</a> &middot; <a href="/cookies">Cookies</a></p></div></footer>\n'
        '<script src="/static/js/app.9a7b.js" defer></script>\n<script>(function(){var d=document,s=d.createElement("script");'
        f's.src="https://cdn.example-analytics.com/a.js?site={host}";s.async=true;d.head.appendChild(s);'
        'd.querySelectorAll("a[data-track]").forEach(function(a){a.addEventListener("click",function(){window.dataLayer.push('
        '{event:"nav",label:a.getAttribute("data-track")})})});window.__CONFIG__={"env":"prod","ads":{"enabled":true,'
        '"slots":["sidebar-1","inline-1","inline-2"]},"consent":{"version":3,"vendors":[1,2,3,4,5,6,7,8,9,10,11,12]}};})();'
        "</script>\n</body>\n</html>\n"
    )
    size = sum(map(len, head)) + sum(map(len, tail))
    body: list[str] = []
    n = 0
    while size < target:
        n += 1
        r = rng.random()
        if r < 0.1:
            chunk = f'<h2 class="c-article__subhead" id="s{n}">{_w(rng, 3, 7)}</h2>\n'
        elif r < 0.2:
            chunk = (
                f'<figure class="c-figure"><img class="c-figure__img" src="/img/{i}/{n}.jpg" alt="{_w(rng, 4, 8)}" loading="lazy" '
                f'width="800" height="450"><figcaption class="c-figure__caption">{_w(rng, 5, 10)}</figcaption></figure>\n'
            )
        elif r < 0.26:
            chunk = (
                f'<div class="c-ad c-ad--inline" data-ad-slot="inline-{n}" data-ad-sizes="728x90,300x250">'
                '<span class="c-ad__label">Advertisement</span></div>\n'
            )
        elif r < 0.32:
            chunk = f'<aside class="c-pullquote"><blockquote class="c-pullquote__text"><p>{_w(rng, 8, 16)}</p></blockquote></aside>\n'
        elif r < 0.38:
            items = "".join(f'<li class="c-list__item">{_w(rng, 3, 9)}</li>' for _ in range(rng.randint(3, 5)))
            chunk = f'<ul class="c-list c-list--bullets">{items}</ul>\n'
        else:
            parts = []
            for _ in range(rng.randint(1, 3)):
                q = rng.random()
                if q < 0.45:
                    parts.append(f'{_w(rng, 5, 14)} <a href="/articles/{rng.randint(1, 10**6)}.html" class="c-link">{_w(rng, 2, 4)}</a>')
                elif q < 0.6:
                    parts.append(f"{_w(rng, 5, 14)} <strong>{_w(rng, 1, 3)}</strong>")
                else:
                    parts.append(_w(rng, 6, 16) + ".")
            chunk = '<p class="c-article__para">' + " ".join(parts) + "</p>\n"
        body.append(chunk)
        size += len(chunk)
    return f"https://{host}/articles/{i:09d}.html", ("".join(head) + "".join(body) + "".join(tail)).encode()


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


def real_pipeline(mb: int) -> None:
    """``ccdump.dump(..., warc=True, gzip=True)`` with and without WAT/WET/CDXJ listeners."""
    try:
        import ccdump
        from bench._segment import WORK, segment_for
        from ccdump.writers.commoncrawl import DerivedOptions, derived_listeners
    except ImportError as exc:
        print(f"real pipeline: skipped ({exc})")
        return

    segment = segment_for(mb, "BLOCK")
    options = DerivedOptions(wat=True, wet=True, cdxj=True)
    modes = {
        "WARC alone": lambda: {},
        "WARC+WAT+WET+CDXJ": lambda: {"warc_listeners": derived_listeners(options)},
        "  same, in one process": lambda: {"warc_listeners": derived_listeners(options, parallel=False)},
    }
    results: dict[str, tuple[float, float]] = {}
    for _ in range(2):
        for label, kwargs in modes.items():
            out = tempfile.mkdtemp(prefix="ccbench-real-", dir=WORK)
            try:
                wall, cpu = time.perf_counter(), _cpu_with_children()
                stats = ccdump.dump(out, segment, warc=True, gzip=True, **kwargs())
                wall, cpu = time.perf_counter() - wall, _cpu_with_children() - cpu
            finally:
                shutil.rmtree(out)
            old = results.get(label, (float("inf"), float("inf")))
            results[label] = (min(old[0], wall), min(old[1], cpu))
    docs = getattr(stats, "documents", None)
    a, a_cpu = results["WARC alone"]
    print(f"real pipeline on {segment} ({mb} MB of content{f', {docs} documents' if docs else ''}), best of 2")
    print("  (CPU: this process and its helper processes: the WARC writer's gzip helper, the derived formats' helper)")
    for label, (wall, cpu) in results.items():
        print(f"  {label:<24}{wall:8.2f} s  {mb / wall:7.1f} MB/s   ratio {wall / a:.2f}   CPU {cpu:6.2f} s ({cpu / a_cpu:.2f})")


def _cpu_with_children() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--real-mb", type=int, default=0, help="also run the real pipeline on a ~N MB segment")
    args = parser.parse_args()
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
    print("target (issue #5): (b)/(a) <= 1.6; CPU of (c), (d) is this process only, the helper's is not counted")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.real_mb:
        real_pipeline(args.real_mb)


if __name__ == "__main__":
    main()
