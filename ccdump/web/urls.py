"""URL forms the dumper needs: commons-httpclient ``encodePath``, ``reverseUrl``, the host, names."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from ccdump.hadoop.writables import encode_java_utf

_PATH_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'():@&=$,;/")


def encode_path(url: str) -> str:
    """``URIUtil.encodePath``: keep path-safe bytes, %XX (upper case) everything else.

    >>> encode_path("http://a.org/x y?q=1%20")
    'http://a.org/x%20y%3Fq=1%2520'
    """
    out = []
    for b in url.encode("utf-8", "surrogatepass"):
        out.append(chr(b) if b in _PATH_SAFE else f"%{b:02X}")
    return "".join(out)


def host(url: str) -> str | None:
    """Lower-cased host as ``java.net.URL`` gives it; None for a malformed URL."""
    try:
        parts = urlsplit(url)
        if not parts.scheme or parts.netloc == "" and parts.scheme in ("http", "https"):
            return None
        h = parts.hostname
    except ValueError:
        return None
    if h is None:
        return None
    return h.lower()


def reverse_url(url: str) -> str | None:
    """``org/apache/nutch`` for ``http://nutch.apache.org/``; None for a malformed URL."""
    h = host(url)
    if h is None:
        return None
    return "/".join(reversed(h.split(".")))


def hadoop_md5(url: str) -> str:
    """``MD5Hash.digest(String)``: MD5 over Hadoop's UTF8 bytes (CESU-8 beyond the BMP)."""
    return hashlib.md5(encode_java_utf(url)).hexdigest()


def sha1_hex(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def base_and_extension(url: str) -> tuple[str, str]:
    """commons-io ``getBaseName``/``getExtension`` of a URL string (query string included)."""
    name = url[max(url.rfind("/"), url.rfind("\\")) + 1 :]
    dot = name.rfind(".")
    if dot < 0:
        return name, ""
    return name[:dot], name[dot + 1 :]
