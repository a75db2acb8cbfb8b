"""The CDXJ writer's shortcuts give exactly what the general code gives.

``surt_key`` canonicalises plain URLs itself instead of calling ``surt.surt``; the line's JSON is
assembled without ``json.JSONEncoder`` walking a dict; ``timestamp14`` reads plain dates without
``datetime``. Each is compared here with the general code on generated and real inputs.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest
import surt
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccdump.writers import cdxj
from ccdump.writers.cdxj import _ENCODER, _Pending, _plain_surt, surt_key, timestamp14
from ccdump.writers.derived import parse_warc_date
from ccdump.writers.warcreader import read_warc
from tests.conftest import conformance_oracles
from tests.writers.conftest import REF_NAME
from tests.writers.date_strategies import warc_date_like

# -- URLs ------------------------------------------------------------------------------------------

# each part is plain most of the time (the shortcut's case) and odd otherwise (the fallback's)
_PLAIN_LABEL = st.one_of(
    st.text("abcxyzABCXYZ0129-_", min_size=1, max_size=8),
    st.sampled_from(["www", "WWW", "www1", "www12", "wwwx", "xn--bcher-kva", "com", "org", "co", "uk"]),
)
_ODD_LABEL = st.sampled_from(
    ["", "é", "bücher", "日本", "%41", "%2e", "a b", "a:b", "a@b", "[::1]", "0x7f", "017"]
)
_HOSTS = st.one_of(
    st.lists(_PLAIN_LABEL, min_size=1, max_size=4).map(".".join),
    st.lists(_PLAIN_LABEL, min_size=1, max_size=4).map(".".join),
    st.lists(st.one_of(_PLAIN_LABEL, _ODD_LABEL), min_size=1, max_size=5).map(".".join),
    st.lists(st.integers(0, 300).map(str), min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda h: h[:1] != "0"),
    st.builds(
        lambda h, a, b: a + h + b,
        st.lists(_PLAIN_LABEL, min_size=1, max_size=3).map(".".join),
        st.sampled_from(["", ".", "..", "user@", "u:p@", "www."]),
        st.sampled_from(["", ".", "..", ":"]),
    ),
)
_PORTS = st.sampled_from(
    [
        "",
        "",
        "",
        "",
        "",
        ":",
        ":80",
        ":443",
        ":8080",
        ":0",
        ":080",
        ":65535",
        ":65536",
        ":99999",
        ":123456",
        ":x",
    ]
)
_PLAIN_SEGMENT = st.text("abcABC019-_.~!$&'()*+,;=:@\"<>[]^`{|}\\", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
_ODD_SEGMENT = st.sampled_from(
    [
        ".",
        "..",
        "",
        "%41",
        "%2F",
        "%25",
        "%",
        "%zz",
        "%2e%2e",
        "é",
        "a b",
        "a\tb",
        "x.aspx",
        "X.ASPX",
        "(S(abcdefghijklmnopqrstuvwx))",
        "(abcdefghijklmnopqrstuvwx)",
        "index.html",
        ".well-known",
        "?",
        "a?b",
        "aspx",
    ]
)
_PATHS = st.lists(st.one_of(_PLAIN_SEGMENT, _PLAIN_SEGMENT, _ODD_SEGMENT), max_size=5).map(
    lambda segs: "".join("/" + s for s in segs)
)
_PLAIN_ARG = st.builds(
    lambda k, v: k + v,
    st.text("abcABZ019_-.", max_size=5),
    st.sampled_from(["", "=", "=1", "=B", "==", "=a=b"]),
)
_ODD_ARG = st.sampled_from(
    [
        "jsessionid=0123456789abcdef0123456789ABCDEF",
        "PHPSESSID=0123456789abcdef0123456789abcdef",
        "sid=0123456789abcdef0123456789abcdef",
        "sid=short",
        "ASPSESSIONIDabcdefgh=abcdefghijklmnopqrstuvwx",
        "cfid=1&cftoken=2",
        "%41=%42",
        "a%26b=c",
        "é=1",
        "a b=c",
        "?",
        "x?y",
        "",
        "&",
    ]
)
_QUERIES = st.one_of(
    st.just(""),
    st.just("?"),
    st.lists(st.one_of(_PLAIN_ARG, _PLAIN_ARG, _ODD_ARG), min_size=1, max_size=5).map(
        lambda a: "?" + "&".join(a)
    ),
)
_FRAGMENTS = st.one_of(
    st.just(""),
    st.just(""),
    st.text(max_size=6).map(lambda t: "#" + t),
    st.sampled_from(["#a\nb ", "#é", "#"]),
)
_SCHEMES = st.sampled_from(
    ["http://", "https://"] * 4
    + [
        "HTTP://",
        "Https://",
        "ftp://",
        "",
        "http:",
        "http:///",
        "http://http://",
        "https://https://",
        "dns:",
        " http://",
        "\thttps://",
    ]
)
_ANY_URLS = st.builds(
    lambda *parts: "".join(parts),
    _SCHEMES,
    _HOSTS,
    _PORTS,
    _PATHS,
    _QUERIES,
    _FRAGMENTS,
    st.sampled_from(["", "", "", "", "", " ", "\n", "\r\n", "?"]),
)
# the parts of a URL the shortcut takes: (scheme, host, port, path, query, fragment)
_PLAIN_PARTS = st.tuples(
    st.sampled_from(["http://", "https://"]),
    st.lists(_PLAIN_LABEL, min_size=1, max_size=4).map(".".join).filter(lambda h: not h[-1].isdigit()),
    st.sampled_from(["", "", "", ":80", ":443", ":8080", ":65535"]),
    st.lists(_PLAIN_SEGMENT, max_size=5).map(lambda segs: "".join("/" + s for s in segs)),
    st.one_of(
        st.just(""),
        st.just("?"),
        st.lists(_PLAIN_ARG, min_size=1, max_size=5).map(lambda a: "?" + "&".join(a)),
    ),
    st.one_of(st.just(""), st.text(max_size=6).map(lambda t: "#" + t)),
)
_ODD_PARTS = (_SCHEMES, _HOSTS, _PORTS, _PATHS, _QUERIES, _FRAGMENTS)


@st.composite
def _nearly_plain_urls(draw) -> str:
    """A plain URL with one part swapped for any value of that part: the shortcut's borders."""
    parts = list(draw(_PLAIN_PARTS))
    which = draw(st.integers(0, len(parts) - 1))
    parts[which] = draw(_ODD_PARTS[which])
    return "".join(parts)


_URLS = st.one_of(_PLAIN_PARTS.map("".join), _nearly_plain_urls(), _ANY_URLS)

# hosts made of digits and dots go to surt.surt, which may resolve some of them with
# gethostbyname_ex: never asked here, since _plain_surt must turn down every host ending in a digit
_DIGITS_HOST = re.compile(r"https?://[0-9.]+(?:[:/?#]|$)")


def _check(url: str) -> bool:
    """Whether the shortcut took ``url``; if it did, its key is surt.surt's (escaped as surt_key does)."""
    key = _plain_surt(url)
    if key is None:
        return False
    assert not _DIGITS_HOST.match(url)
    try:
        expected = surt.surt(url)
    except Exception:
        expected = url
    expected = cdxj._UNSAFE_KEY.sub(lambda m: f"%{ord(m.group()):02x}", expected)
    assert key == expected, url
    assert surt_key(url) == expected
    return True


def test_plain_surt_equals_surt_on_generated_urls():
    taken: list[bool] = []

    @settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_URLS)
    @example("https://an.wikipedia.org/wiki/Escopete")
    @example("http://www.Example.com:8080/A/b/?b=2&a=1&c")
    @example("http://a.b/c?a=&a")
    @example("http://www2.x.org:80/index.aspx?b&a")
    @example("https://x.org:443/a/?jsessionid=0123456789abcdef0123456789ABCDEF")
    def check(url: str) -> None:
        taken.append(_check(url))

    check()
    # the generated URLs reach the shortcut often enough for the comparison to mean something
    assert sum(taken) > len(taken) // 4, (sum(taken), len(taken))


def test_common_url_shapes_take_the_shortcut():
    """Ordinary crawled URLs are not sent to surt.surt (that is the point of the shortcut)."""
    rng = random.Random(5)
    for _ in range(500):
        host = ".".join(rng.choice(["www", "news", "en", "shop-1", "a_b"]) for _ in range(rng.randint(0, 2)))
        host = (host + "." if host else "") + rng.choice(["example.com", "Example.ORG", "bbc.co.uk"])
        path = "".join(
            "/" + rng.choice(["a", "B-2", "x.html", "2024", "c;d", "e=f", "~u", "p+q"])
            for _ in range(rng.randint(0, 4))
        )
        query = rng.choice(["", "?", "?q=1", "?b=2&a=1", "?page=3&sort=Desc"])
        url = f"{rng.choice(['http', 'https'])}://{host}{path}{rng.choice(['', '/'])}{query}"
        assert _check(url), url


def _real_urls(reference: Path | None) -> list[str]:
    """URLs of the reference WARC (targets and, from its WAT, links) and of the conformance corpus."""
    found: set[str] = set()
    pattern = re.compile(r"https?://[^\"\s<>]+")
    if reference is not None:
        for rec in read_warc(reference / f"{REF_NAME}.warc.gz"):
            if rec.target_uri:
                found.add(rec.target_uri)
        wat = gzip.decompress((reference / f"{REF_NAME}.warc.wat.gz").read_bytes()).decode("utf-8", "replace")
        found.update(pattern.findall(wat))
    for oracle, _ in conformance_oracles():
        for line in oracle.read_text(encoding="utf-8").splitlines():
            for value in _strings(json.loads(line)):
                found.update(pattern.findall(value))
    return sorted(found)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)


def test_plain_surt_equals_surt_on_real_urls(reference_dir):
    urls = _real_urls(reference_dir)
    if not conformance_oracles():
        pytest.skip("conformance corpus not found (set CCDUMP_CONFORMANCE)")
    assert len(urls) > 1000
    taken = sum(_check(url) for url in urls)
    assert taken > len(urls) // 2


# -- dates -----------------------------------------------------------------------------------------


def _general_timestamp14(value: str | None) -> str:
    """timestamp14 as it was before the shortcut: parse, then format or keep the digits."""
    parsed = parse_warc_date(value or "")
    if parsed is not None:
        return parsed.strftime("%Y%m%d%H%M%S")
    digits = re.sub(r"\D", "", value or "")
    return (digits + "0" * 14)[:14]


@settings(max_examples=800, deadline=None)
@given(warc_date_like(["", ".5", ".123", ".1234567", "."], ["Z", "", "+00:00", "+02:00", "Z ", "z"]))
@example("2024-05-18T01:58:10Z")
@example("2024-02-30T24:00:00Z")
@example("0999-05-18T01:58:10Z")
@example("٢٠٢٤-05-18T01:58:10Z")
def test_timestamp14_equals_the_general_parse(value):
    assert timestamp14(value) == _general_timestamp14(value)


@given(st.one_of(st.none(), st.text(max_size=30)))
def test_timestamp14_on_anything(value):
    assert timestamp14(value) == _general_timestamp14(value)


# -- JSON ------------------------------------------------------------------------------------------

_VALUES = st.one_of(st.text(max_size=12), st.sampled_from(["UTF-8", "eng,fra", 'a"b\\c', "\x7f\x00é😀"]))


@settings(max_examples=500, deadline=None)
@given(
    head=st.lists(
        st.tuples(st.sampled_from(["url", "mime", "status", "digest"]), _VALUES),
        min_size=1,
        max_size=4,
        unique_by=lambda kv: kv[0],
    ),
    charset=st.one_of(st.none(), _VALUES, st.integers(), st.floats(allow_nan=False)),
    languages=st.one_of(st.none(), _VALUES),
    tail=st.lists(
        st.tuples(st.sampled_from(["truncated", "redirect"]), _VALUES), max_size=2, unique_by=lambda kv: kv[0]
    ),
)
def test_line_json_equals_the_encoder(head, charset, languages, tail):
    pending = _Pending(
        "key",
        "20240518015810",
        ", ".join(cdxj._member(k, v) for k, v in head),
        "".join(", " + cdxj._member(k, v) for k, v in tail),
        None,
        None,
        charset,
        languages,
    )
    data = dict(head)
    if charset is not None:
        data["charset"] = charset
    if languages is not None:
        data["languages"] = languages
    data.update(tail)
    assert pending.line() == f"key 20240518015810 {_ENCODER.encode(data)}"


# -- the gzip file ---------------------------------------------------------------------------------


def _deflate_stream(path: Path) -> bytes:
    """The gzip file without its header (which names the random temporary file)."""
    data = path.read_bytes()
    assert data[3] & 8  # FNAME set
    return data[data.index(b"\0", 10) + 1 :]


@pytest.mark.parametrize("flush_bytes", [1, 100, 4096, 1 << 20])
def test_buffered_lines_give_the_same_gzip_file_as_one_write_per_line(tmp_path, flush_bytes):
    rng = random.Random(flush_bytes)
    lines = [
        f"org,example)/{rng.getrandbits(40):x} 20240518015810 "
        + json.dumps({"url": f"https://example.org/{i}", "é": "x" * rng.randint(0, 400)})
        for i in range(3000)
    ]
    out = cdxj._AtomicText(str(tmp_path / "buffered.cdx.gz"), flush_bytes=flush_bytes)
    for line in lines:
        out.write(line)
    size = out.close()
    reference = tmp_path / "per-line.cdx.gz"
    with open(reference, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        for line in lines:
            f.write(line.encode("utf-8") + b"\n")
    assert size == (tmp_path / "buffered.cdx.gz").stat().st_size
    assert _deflate_stream(tmp_path / "buffered.cdx.gz") == _deflate_stream(reference)


def test_unencodable_line_fails_where_it_is_written(tmp_path):
    out = cdxj._AtomicText(str(tmp_path / "x.cdx"))
    with pytest.raises(UnicodeEncodeError):
        out.write("key \ud800 {}")
    out.abort()
