"""Nutch 0.8 data (SEQ3, UTF8 keys): CrawlDatum v4 metadata names its classes in UTF8."""

from __future__ import annotations

from ccdump.hadoop.writables import DataOutput
from ccdump.hadoop.writer import SequenceFileWriter
from ccdump.nutch.crawldatum import bits_from_float
from ccdump.nutch.mapwritable import UTF8, Writable, write_nutch_map
from ccdump.nutch.segment import PartFile, Segment


def test_seq3_utf8_keys_crawl_datum_v4_metadata(tmp_path):
    path = tmp_path / "crawl_fetch" / "part-00000"
    path.parent.mkdir()
    value = DataOutput().u8(4).u8(5).i64(1_000).u8(0).f32(30.0).i32(bits_from_float(1.0)).i64(0).u8(0).boolean(True)
    write_nutch_map(value, [(Writable(UTF8, "k\u00e9"), Writable(UTF8, "v"))], legacy_utf8=True)
    writer = SequenceFileWriter(str(path), "org.apache.hadoop.io.UTF8", "org.apache.nutch.crawl.CrawlDatum", version=3)
    writer.append_raw(DataOutput().utf8("http://a.example/").getvalue(), value.getvalue())
    writer.close()
    seg = Segment(str(tmp_path))
    [(rec, datum)] = list(seg.values(PartFile("crawl_fetch", "part-00000", str(path), False)))
    assert rec.key_str("org.apache.hadoop.io.UTF8") == "http://a.example/"
    assert datum.version == 4 and datum.status_name == "fetch_success"  # old code 5 → 0x21
    assert datum.fetch_interval == 30.0
    assert [(k.cls, k.value, v.value) for k, v in datum.metadata] == [(UTF8, "k\u00e9", "v")]
