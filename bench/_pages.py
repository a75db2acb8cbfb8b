"""Synthetic web pages for the benchmarks, calibrated against real pages.

``page()`` writes a news article the way real sites are built — navigation, share buttons, inline
JSON-LD and scripts, a sidebar, related cards and a footer around the article text — with the
words of its text drawn with their real frequencies from English prose (Python's own
documentation, ``pydoc_data.topics``, shipped with every CPython), so text compresses like text.

Why calibrate: deflate's speed depends on the data by a factor of three. The first benchmark
segment (28 distinct words, no links) deflated at 30 MB/s at level 6, real pages at 71–81 MB/s,
so it measured ``-gzip`` and WAT/WET against a workload no crawl has. ``python bench/pages.py``
prints the calibration beside the conformance corpus's real HTML (``CCDUMP_CONFORMANCE``); on
the machine of this writing:

================  ======  =======  =====  ========  ======  ====
pages             zlib-6  zlib-ng  ratio  links/KB  img/KB  text
================  ======  =======  =====  ========  ======  ====
these             76      170      0.145  3.8       0.46    0.27
conformance HTML  73      142      0.162  2.4       0.25    0.34
================  ======  =======  =====  ========  ======  ====

(MB/s of one thread at level 6 in 1 MiB members; text is body text per byte of HTML.)
(More links than the real pages: the WAT's per-link work is, if anything, overstated.)
"""

from __future__ import annotations

import collections
import itertools
import random
import re


def _vocabulary() -> tuple[list[str], list[int]]:
    """Words of English prose, most frequent first, with their cumulative counts."""
    from pydoc_data.topics import topics

    counts = collections.Counter(w.lower() for w in re.findall(r"[A-Za-z][a-z]+", " ".join(topics.values())))
    ranked = counts.most_common()
    return [w for w, _ in ranked], list(itertools.accumulate(c for _, c in ranked))


VOCABULARY, _CUMULATIVE = _vocabulary()
SECTIONS = ("World", "Politics", "Business", "Tech", "Science", "Health", "Sport", "Culture", "Travel", "Opinion", "Video", "Podcasts")
ICON = (
    '<svg class="icon icon--{0}" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 '
    '10 10 10 10-4.48 10-10S17.52 2 12 2z"></path></svg>'
)


def _w(rng: random.Random, a: int, b: int) -> str:
    """Between ``2a`` and ``2b`` words drawn with their frequency in real English prose."""
    return " ".join(rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=rng.randint(2 * a, 2 * b)))


def page(rng: random.Random, i: int, target: int = 20000, host: str | None = None) -> tuple[str, bytes]:
    """(URL, HTML) of one synthetic news article of about ``target`` bytes (on one of 50 hosts by default)."""
    host = host or f"www{i % 50:02d}.example.org"
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
    tags = "".join(f'<li class="c-tags__item"><a class="c-tag" href="/tag/{t}">{t}</a></li>' for t in rng.sample(VOCABULARY[20:220], 5))
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
