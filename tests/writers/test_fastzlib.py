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


def _members(data: bytes) -> list[bytes]:
    """Each gzip member of a file, inflated on its own (one member per record)."""
    out, rest = [], data
    while rest:
        inflater = zlib.decompressobj(31)
        out.append(inflater.decompress(rest))
        assert inflater.eof, "a member ends inside the file"
        rest = inflater.unused_data
    return out


@pytest.mark.parametrize("spec", ["isal:0", "isal:3", "zlib:1", "zlib:6", "isal", "zlib"])
def test_either_engine_writes_members_the_standard_library_reads(spec):
    if spec.startswith("isal") and importlib.util.find_spec("isal") is None:
        pytest.skip("isal is not installed")
    data = b"".join(b'{"Envelope":{"WARC-Header-Length":"%d"}}\n' % i for i in range(3000))
    member = fastzlib.gzip_compressor(spec)(data)
    assert gzip.decompress(member) == data
    assert int.from_bytes(member[-8:-4], "little") == zlib.crc32(data)
    assert int.from_bytes(member[-4:], "little") == len(data)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("lz4", "expected zlib"), ("isal:4", "levels are 0 to 3"), ("zlib:10", "levels are 0 to 9"), ("zlib:x", "number")],
)
def test_bad_deflate_specs_are_refused(spec, message):
    from ccdump.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        fastzlib.parse_deflate(spec)


def test_derived_files_take_the_chosen_engine(tmp_path):
    """The WAT/WET writers' default engine, and ``deflate=`` overriding it: same records, other bytes."""
    from ccdump.writers.derived import DerivedWriter

    def write(deflate):
        writer = DerivedWriter(tmp_path / f"{deflate}.gz", "x.warc.gz", deflate=deflate, make_id=lambda: "<urn:x>")
        for i in range(50):
            writer.write_record([("WARC-Type", "conversion")], b"the text of page %d, " % i * 200)
        writer.close()
        return (tmp_path / f"{deflate}.gz").read_bytes()

    small, fast = write("zlib:6"), write("isal:1" if importlib.util.find_spec("isal") else "zlib:1")
    assert _members(small) == _members(fast) and len(_members(small)) == 50
    assert small != fast
    if importlib.util.find_spec("isal") is not None:
        assert fastzlib.DERIVED_DEFLATE == "isal:3"
        default = DerivedWriter(tmp_path / "d.gz", "x.warc.gz")
        assert default.deflate == "isal:3"
        default.abort()
