"""The writers' deflate module: zlib-ng when installed, and its members read by the standard zlib."""

from __future__ import annotations

import gzip
import importlib.util
import zlib

import pytest

from ccdump import fastzlib
from ccdump.writers.tar import gzip_member
from ccdump.writers.warc import gzip_member as warc_gzip_member


def test_zlib_ng_is_used_when_installed():
    if importlib.util.find_spec("zlib_ng") is None:
        pytest.skip("zlib-ng is not installed")
    from zlib_ng import zlib_ng

    assert fastzlib.zlib is zlib_ng and fastzlib.IMPLEMENTATION == "zlib-ng"


@pytest.mark.parametrize("level", [1, 6, 9])
def test_members_read_back_with_the_standard_library(level):
    data = b"".join(b"<p class=\"lead\">record %d of the crawl</p>\n" % i for i in range(5000))
    member = gzip_member(data, level)
    assert gzip.decompress(member) == data
    warc_member, size, crc = warc_gzip_member((data[:1000], data[1000:]), level)
    assert size == len(data) and crc == zlib.crc32(data)
    assert zlib.decompressobj(31).decompress(bytes(warc_member)) == data
    assert fastzlib.crc32(data) == zlib.crc32(data)
