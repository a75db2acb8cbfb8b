"""Each dumper option, -conf/-D, the tar.gz layout and bad input, through the command line."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import cbor2
import pytest
from click.testing import CliRunner

from ccdump.cli import cli
from ccdump.nutch.segment import Segment
from ccdump.web.urls import sha1_hex
from tests.conftest import conformance_segments, leftovers, output_files


@pytest.fixture(scope="module")
def segment(conformance) -> Path:
    return next(s for s in conformance_segments() if "n_nutch_defaults" in str(s))


@pytest.fixture(scope="module")
def documents(segment):
    return {d.url: d for d in Segment(str(segment)).documents() if d.content is not None}


def run(*args: str, expect: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def records(out: Path) -> dict[str, dict]:
    found = {}
    for p in output_files(out):
        if not p.name.endswith((".json", ".gz")):
            rec = json.loads(cbor2.loads(p.read_bytes()))
            found[rec["url"]] = rec | {"_path": str(p.relative_to(out))}
    return found


def test_default_layout_and_extension(segment, documents, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path / "a"), "-quiet")
    paths = [p.relative_to(tmp_path / "a") for p in output_files(tmp_path / "a")]
    assert len(paths) == len(documents)
    assert all(re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}_.*", str(p)) for p in paths)
    run("-segment", str(segment), "-outputDir", str(tmp_path / "b"), "-extension", "cbor", "-quiet")
    assert all(p.suffix == ".cbor" for p in output_files(tmp_path / "b"))


def test_epoch_filename_layout(segment, documents, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-epochFilename", "-quiet")
    url = "http://blog.example.org/2024/11/11/post-1/"
    folder = tmp_path / "org" / "example" / "blog" / sha1_hex(url)
    (only,) = list(folder.iterdir())
    assert only.name == "1732181540000.html"  # Date: Thu, 21 Nov 2024 09:32:20 GMT


def test_record_options(segment, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-jsonArray", "-keyPrefix", "P",
        "-SimpleDateFormat", "-quiet")
    rec = next(r for r in records(tmp_path).values() if r["url"] == "http://blog.example.org/2024/11/11/post-1/")
    assert rec["key"] == "P-http://blog.example.org/2024/11/11/post-1/"
    assert rec["request"]["headers"][0] == ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
    assert ["Date", "1732181540000"] in rec["response"]["headers"]
    assert rec["imported"] == "1732181540000" and rec["timestamp"] == "1731598200000"


def test_reverse_key(segment, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-reverseKey", "-quiet")
    url = "http://blog.example.org/2024/11/11/post-1/"
    rec = next(r for r in records(tmp_path).values() if r["url"] == url)
    assert rec["key"] == f"org_example_blog_{sha1_hex(url)}_1732181540000"


def test_mimetype_filter_and_stats_json(segment, tmp_path):
    stats_file = tmp_path / "stats.json"
    result = run("-segment", str(segment), "-outputDir", str(tmp_path / "o"), "-mimetype", "application/pdf",
                 "image/jpeg", "-statsJson", str(stats_file))
    written = records(tmp_path / "o")
    assert len(written) == 4
    stats = json.loads(stats_file.read_text())
    assert {e["mimeType"]: e["count"] for e in stats["filtered"]} == {"application/pdf": 2, "image/jpeg": 2}
    assert sum(e["count"] for e in stats["total"]) == 115
    assert "FILTERED Stats:" in result.output and "Total filtered count: 4" in result.output


def test_conf_and_D(segment, tmp_path):
    conf = tmp_path / "nutch-site.xml"
    conf.write_text(
        "<?xml version='1.0'?><configuration>"
        "<property><name>http.agent.name</name><value>MyBot</value></property>"
        "<property><name>http.agent.email</name><value>bot@example.org</value></property>"
        "<property><name>http.robots.agents</name><value>mybot,*</value></property>"
        "</configuration>"
    )
    run("-segment", str(segment), "-outputDir", str(tmp_path / "o"), "-conf", str(conf),
        "-D", "http.agent.email=ops@example.org", "-D", "http.agent.version=Nutch-9", "-quiet")
    rec = next(iter(records(tmp_path / "o").values()))
    client = rec["request"]["client"]
    assert client["contact"] == {"name": "MyBot", "email": "ops@example.org"}
    assert client["software"] == "Nutch-9"
    assert rec["request"]["headers"]["User-Agent"] == "mybot,*"
    run("-segment", str(segment), "-outputDir", str(tmp_path / "p"), "-D", "novalue", expect=1)


def test_gzip_archive_layout(segment, documents, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-gzip", "-quiet")
    (archive,) = list(tmp_path.glob("*.tar.gz"))
    assert re.fullmatch(r"\d{12}\.tar\.gz", archive.name)
    listing = subprocess.run(["tar", "-tzf", str(archive)], check=True, capture_output=True, text=True).stdout.split()
    assert len(listing) == len(documents)
    assert all(re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}_.*", name) for name in listing)
    with tarfile.open(archive) as tar:
        member = tar.getmembers()[0]
        assert member.mode == 0o644 and member.uid == 0 and member.uname == ""
        rec = json.loads(cbor2.loads(tar.extractfile(member).read()))
        assert rec["url"] in {r.replace(" ", "%20") for r in documents} or rec["key"] in documents
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-gzip", "-quiet")
    assert len(list(tmp_path.glob("*.tar.gz"))) == 2, "a second run must not overwrite the first archive"
    assert not leftovers(tmp_path)


def test_native_cbor_is_lossless(segment, documents, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-cborFormat", "native", "-quiet")
    seen = 0
    for p in output_files(tmp_path):
        if p.is_file():
            rec = cbor2.loads(p.read_bytes())
            assert isinstance(rec["response"]["body"], bytes)
            assert rec["response"]["body"] == documents[rec["key"]].content.content
            seen += 1
    assert seen == len(documents)


def test_rerun_keeps_first_file_and_counts_collisions(segment, documents, tmp_path):
    run("-segment", str(segment), "-outputDir", str(tmp_path), "-quiet")
    some = output_files(tmp_path)[0]
    some.write_bytes(b"first")
    result = run("-segment", str(segment), "-outputDir", str(tmp_path))
    assert some.read_bytes() == b"first"
    assert f"Name collisions: {len(documents)}" in result.output


def test_missing_and_empty_segment_folder(tmp_path):
    result = run("-segment", str(tmp_path / "nope"), "-outputDir", str(tmp_path / "o"), expect=1)
    assert "no such file or directory" in result.output
    (tmp_path / "empty").mkdir()
    result = run("-segment", str(tmp_path / "empty"), "-outputDir", str(tmp_path / "o"), expect=1)
    assert "no Nutch segment found" in result.output


def test_usage_errors_and_help():
    assert run("-h").output.startswith("Usage:")
    result = CliRunner().invoke(cli, ["-outputDir", "x"])
    assert result.exit_code == 2 and "Usage:" in result.output


def test_unreadable_part_other_parts_still_dumped(conformance, tmp_path):
    src = next(s for s in conformance_segments() if "i_two_parts" in str(s))
    seg = tmp_path / "segments" / src.name
    shutil.copytree(src, seg)
    for p in seg.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    bad = seg / "content" / "part-r-00001" / "data"
    bad.write_bytes(bad.read_bytes()[:200])
    good_docs = [d for d in Segment(str(seg)).documents("part-r-00000") if d.content is not None]
    out = tmp_path / "out"
    result = run("-segment", str(seg), "-outputDir", str(out), "-gzip", expect=1)
    assert str(bad) in result.output and "truncated" in result.output
    (archive,) = list(out.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        assert len(tar.getnames()) == len(good_docs)
    assert not leftovers(out), "no temporary file left behind"


def test_linkdb_inlinks_equal_a_sequential_scan(tmp_path):
    """-linkdb adds each URL's inlinks; keyed lookups agree with a full scan of the linkdb."""
    from ccdump.hadoop.sequencefile import SequenceFileReader
    from ccdump.hadoop.writables import DataInput
    from ccdump.nutch.linkdb import read_inlinks

    sample = Path(__file__).resolve().parents[2] / "fixtures" / "sample"
    expected: dict[str, list[str]] = {}
    for data in (sample / "linkdb" / "current").glob("part-*/data"):
        for rec in SequenceFileReader(str(data)):
            expected[rec.key_str()] = list(dict.fromkeys(i.from_url for i in read_inlinks(DataInput(rec.value))))
    run("-segment", str(sample / "segments"), "-outputDir", str(tmp_path), "-linkdb", str(sample / "linkdb"), "-quiet")
    got = {r["key"]: r.get("inlinks") for r in records(tmp_path).values()}
    with_links = {k: v for k, v in got.items() if v}
    assert with_links, "the sample linkdb should give some documents inlinks"
    for key, links in got.items():
        assert links == expected.get(key), key
