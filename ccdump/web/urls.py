"""URL forms the dumper needs: commons-httpclient ``encodePath``, ``reverseUrl``, the host, names."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote_from_bytes, urlsplit

from ccdump.hadoop.writables import encode_java_utf

_PATH_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'():@&=$,;/")
#: urllib's quote always keeps letters, digits and ``_.-~``; these are the rest of _PATH_SAFE.
_QUOTE_SAFE = "!*'():@&=$,;/"
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9\-_.!~*'():@&=$,;/]")


def encode_path(url: str) -> str:
    """``URIUtil.encodePath``: keep path-safe bytes, %XX (upper case) everything else.

    >>> encode_path("http://a.org/x y?q=1%20")
    'http://a.org/x%20y%3Fq=1%2520'
    """
    if _NEEDS_QUOTING.search(url) is None:
        return url
    return quote_from_bytes(url.encode("utf-8", "surrogatepass"), _QUOTE_SAFE)


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
    if url.isascii():  # one byte per UTF-16 unit, as Hadoop writes them
        return hashlib.md5(url.encode("ascii")).hexdigest()
    if max(url) < "\U00010000":  # no surrogate pairs: per-unit encoding is UTF-8's
        return hashlib.md5(url.encode("utf-8", "surrogatepass")).hexdigest()
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
