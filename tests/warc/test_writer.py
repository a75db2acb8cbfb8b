"""WarcWriter behaviour: temporary names, abort, serials, listeners, uncompressed files, options."""

from __future__ import annotations

import os
import random
import zlib
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator

import ccdump
from ccdump.config import NutchConfig
from ccdump.run import DumpOptions
from ccdump.warcmap import WarcMapper
from ccdump.writers.warc import (
    CaptureFilter,
    PerFileListener,
    WarcWriter,
    make_dump_warc_writer,
    version_line,
)
from tests.conftest import conformance_oracles, output_files
from tests.warc.helpers import gzip_members, make_doc, read_records, tool

CLOCK = 1_732_181_540.5
SEGMENTS = {o.parent.name: s for o, s in conformance_oracles()}


def docs(n: int, size: int = 2000, seed: int = 1):
    rng = random.Random(seed)
    for i in range(n):
        body = b"<html><body>" + bytes(rng.getrandbits(8) for _ in range(size)) + b"</body></html>"
        yield make_doc(url=f"https://example.org/{i:04d}", payload=body, rs=10 + i,
                       meta=[("_ip_", ["192.0.2.1"]), ("Content-Type", ["text/html"])])


def hidden(path: Path) -> list[str]:
    return sorted(n for n in os.listdir(path) if n.startswith("."))


class Spy:
    """A listener that records what it is told and what the folder holds meanwhile."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.events, self.records = folder, [], []

    def on_file_open(self, path: str) -> None:
        self.events.append(("open", os.path.basename(path), os.path.exists(path)))

    def add(self, record) -> None:
        self.records.append(record)
        visible = [n for n in os.listdir(self.folder) if not n.startswith(".")]
        self.events.append(("add", record.type, tuple(sorted(visible)), len(hidden(self.folder))))

    def on_file_closed(self, path: str) -> None:
        self.events.append(("closed", os.path.basename(path), os.path.exists(path)))


def test_final_name_appears_only_when_complete_and_listener_sees_every_record(tmp_path):
    spy = Spy(tmp_path)
    writer = WarcWriter(str(tmp_path), max_size=6000, listeners=[spy], clock=lambda: CLOCK)
    for doc in docs(5):
        assert writer.write(doc)
    stats = writer.close()
    files = [Path(p) for p in stats["outputs"]]
    assert len(files) >= 2 and stats["files"] == len(files) and stats["written"] == 5
    assert hidden(tmp_path) == []
    # while a file is being written, only the files closed before it are visible
    opened = [e for e in spy.events if e[0] == "open"]
    assert [e[1] for e in opened] == [f.name for f in files] and not any(e[2] for e in opened)
    closed = [e for e in spy.events if e[0] == "closed"]
    assert [e[1] for e in closed] == [f.name for f in files] and all(e[2] for e in closed)
    for event in spy.events:
        if event[0] == "add":
            assert event[3] == 1 and set(event[2]) <= {f.name for f in files}
    # the records handed over are the records in the files, at their members
    on_disk = [(f, m) for f in files for m in gzip_members(f)]
    assert len(spy.records) == len(on_disk) == stats["records"]
    for rec, (_f, member) in zip(spy.records, on_disk, strict=True):
        assert (rec.offset, rec.length) == (member.offset, member.length)
        assert rec.inflated_length == len(member.data) and rec.inflated_crc == zlib.crc32(member.data)
        parsed = read_records_from(member.data)
        assert rec.headers == parsed.headers and rec.block == parsed.block
        assert rec.get_header_length() == member.data.index(b"\r\n\r\n") + 4
    mains = [r for r in spy.records if r.type == "response"]
    assert all(r.segment == "20241121093000" and r.charset is None for r in mains)


def read_records_from(data: bytes):
    from tests.warc.helpers import parse_record

    return parse_record(data)[0]


def test_per_file_listener_opens_one_sink_per_warc(tmp_path):
    sinks = []

    class Sink:
        def __init__(self, path):
            self.path, self.types, self.state = path, [], "open"
            sinks.append(self)

        def add(self, record):
            self.types.append(record.type)

        def close(self):
            self.state = "closed"

        def abort(self):
            self.state = "aborted"

    writer = WarcWriter(str(tmp_path), max_size=6000, listeners=[PerFileListener(Sink)])
    for doc in docs(5):
        writer.write(doc)
    stats = writer.close()
    assert [s.path for s in sinks] == stats["outputs"]
    assert all(s.state == "closed" and s.types[0] == "warcinfo" for s in sinks)
    assert sum(len(s.types) for s in sinks) == stats["records"]


def test_abort_keeps_finished_files_and_drops_the_open_one(tmp_path):
    sinks = []
    factory = lambda path: sinks.append(type("S", (), {"add": lambda s, r: None, "close": lambda s: None,  # noqa: E731
                                                        "abort": lambda s: setattr(s, "aborted", True)})()) or sinks[-1]
    with pytest.raises(RuntimeError), WarcWriter(str(tmp_path), max_size=6000, listeners=[PerFileListener(factory)]) as w:
        for doc in docs(5):
            w.write(doc)
        raise RuntimeError("boom")
    left = sorted(tmp_path.iterdir())
    assert hidden(tmp_path) == []
    assert len(left) == len(sinks) - 1 >= 1
    assert getattr(sinks[-1], "aborted", False)
    result = tool("warcio", "check", *map(str, left))
    assert result.returncode == 0, result.stdout + result.stderr


def test_serial_continues_the_folders_series_and_never_reuses_a_name(tmp_path):
    (tmp_path / "WEB-20200101000000000-00041.warc.gz").write_bytes(b"")
    (tmp_path / "OTHER-20200101000000000-00099.warc.gz").write_bytes(b"")
    writer = WarcWriter(str(tmp_path), max_size=1, clock=lambda: CLOCK)
    first, second, third = docs(3)
    writer.write(first)
    taken = tmp_path / "WEB-20241121093220501-00043.warc.gz"  # appears meanwhile, under the next name
    taken.write_bytes(b"keep")
    writer.write(second)
    writer.write(third)
    names = [os.path.basename(p) for p in writer.close()["outputs"]]
    # one stamp per file, +1 ms when the clock has not moved; serials skip the name taken
    assert names == ["WEB-20241121093220500-00042.warc.gz", "WEB-20241121093220501-00044.warc.gz",
                     "WEB-20241121093220502-00045.warc.gz"]
    assert taken.read_bytes() == b"keep"


def test_uncompressed_warc_files(tmp_path):
    writer = WarcWriter(str(tmp_path), gzip=False, max_size=9000)
    for doc in docs(4):
        writer.write(doc)
    files = [Path(p) for p in writer.close()["outputs"]]
    assert len(files) >= 2 and all(f.name.endswith(".warc") for f in files)
    for f in files:
        assert f.stat().st_size <= 9000 or sum(r.type == "response" for r in read_records(f)) == 1
        assert tool("fastwarc", "check", "-p", "-q", str(f)).returncode == 0
        with f.open("rb") as stream:
            assert sum(1 for _ in FastIterator(stream, parse_http=True, auto_decode="all")) == len(read_records(f))
    result = tool("warcio", "check", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_capture_larger_than_the_limit_gets_its_own_file(tmp_path):
    writer = WarcWriter(str(tmp_path), max_size=20_000)
    small, big = list(docs(2, 500)), list(docs(1, 60_000, seed=2))[0]
    big.url = big.content.url = "https://example.org/big"  # type: ignore[union-attr]
    for doc in (small[0], big, small[1]):
        writer.write(doc)
    files = [Path(p) for p in writer.close()["outputs"]]
    uris = [[r.get("WARC-Target-URI") for r in read_records(f) if r.type == "response"] for f in files]
    assert uris == [["https://example.org/0000"], ["https://example.org/big"], ["https://example.org/0001"]]
    assert files[1].stat().st_size > 20_000 >= files[0].stat().st_size


def test_nothing_written_without_captures(tmp_path):
    writer = WarcWriter(str(tmp_path), capture_filter=CaptureFilter(require_fetch=True))
    assert not writer.write(make_doc(status=None))
    assert writer.close()["outputs"] == [] and list(tmp_path.iterdir()) == []
    assert writer.stats()["skipped"] == {"filtered: no crawl_fetch datum": 1}


def test_filters():
    f = CaptureFilter(only_successful=True)
    assert not f.rejects(make_doc(status=0x21)) and not f.rejects(make_doc(status=0x26))
    assert f.rejects(make_doc(status=0x24)) and f.rejects(make_doc(status=None))
    assert f.skipped == {"filtered: not successful (fetch_redir_perm)": 1, "filtered: no crawl_fetch datum": 1}
    assert not CaptureFilter().rejects(make_doc(status=None))


def test_dump_options_select_prefix_version_and_filter(tmp_path):
    config = NutchConfig({"warc.export.prefix": "CRAWL", "warc.export.version": "1.1",
                          "warc.exporter.only.successful.responses": "true"})
    writer = make_dump_warc_writer(DumpOptions(str(tmp_path), [], warc=True, gzip=True, config=config), 0.0)
    assert writer.prefix == "CRAWL" and writer.mapper.version == "WARC/1.1" and writer.filter.only_successful
    assert writer.max_size == 1 << 30
    options = DumpOptions(str(tmp_path), [], warc=True, warc_prefix="MINE", warc_size=5, config=config)
    writer = make_dump_warc_writer(options, 0.0)
    assert (writer.prefix, writer.max_size, writer.extension) == ("MINE", 5, ".warc")
    for value, parallel in (("false", False), ("true", True)):
        options = DumpOptions(str(tmp_path), [], warc=True, gzip=True, config=NutchConfig({"ccdump.warc.parallel": value}))
        assert make_dump_warc_writer(options, 0.0).parallel is parallel
    assert version_line("1.0") == "WARC/1.0"
    with pytest.raises(ValueError):
        version_line("0.9")


def test_warc_1_1_files_read_back(conformance, tmp_path):
    ccdump.dump(str(tmp_path), str(SEGMENTS["n_nutch_defaults"]), warc=True, gzip=True,
                config=NutchConfig({"warc.export.version": "1.1"}))
    [f] = output_files(tmp_path)
    records = read_records(f)
    assert {r.version for r in records} == {"WARC/1.1"}
    assert tool("warcio", "check", str(f)).returncode == 0
    assert tool("fastwarc", "check", "-p", "-q", str(f)).returncode == 0


def test_mapper_clock_and_ids_are_injectable(tmp_path):
    ids = iter(f"<urn:uuid:{i:08d}-0000-4000-8000-000000000000>" for i in range(100))
    writer = WarcWriter(str(tmp_path), WarcMapper(make_id=lambda: next(ids), now_ms=lambda: 0), clock=lambda: 1000.25)
    writer.write(make_doc(status=None))  # no fetch time anywhere: the capture gets the writer's clock
    [f] = [Path(p) for p in writer.close()["outputs"]]
    assert f.name == "WEB-19700101001640250-00000.warc.gz"
    records = read_records(f)
    assert [r.get("WARC-Record-ID") for r in records] == [f"<urn:uuid:{i:08d}-0000-4000-8000-000000000000>" for i in range(2)]
    assert [r.get("WARC-Date") for r in records] == ["1970-01-01T00:16:40Z"] * 2  # warcinfo: the file's creation


def _deterministic_run(folder: Path, parallel: bool) -> list[Path]:
    ids = iter(f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>" for i in range(10_000))
    mapper = WarcMapper(make_id=lambda: next(ids), now_ms=lambda: 1_700_000_000_000)
    writer = WarcWriter(str(folder), mapper, max_size=30_000, parallel=parallel, clock=lambda: 1_700_000_000.0)
    for doc in docs(60, 1500):
        writer.write(doc)
    return [Path(p) for p in writer.close()["outputs"]]


def test_helper_process_writes_the_same_files(tmp_path, monkeypatch):
    """Same files, same records (ids aside: a file opened later draws its warcinfo id later)."""
    import re

    import ccdump.writers.warc as warc_module

    monkeypatch.setattr(warc_module, "HELPER_AFTER_BYTES", 10_000)
    monkeypatch.setattr(warc_module, "HELPER_DEPTH", 1)  # captures go to the helper and stay here, mixed
    serial = _deterministic_run(tmp_path / "serial", parallel=False)
    parallel = _deterministic_run(tmp_path / "parallel", parallel=True)
    assert len(serial) > 3  # rotations happened while captures were queued in the helper
    assert [f.name for f in serial] == [f.name for f in parallel]
    uuid = re.compile(rb"<urn:uuid:[0-9a-f-]{36}>")
    for a, b in zip(serial, parallel, strict=True):
        ma, mb = gzip_members(a), gzip_members(b)
        assert [uuid.sub(b"<id>", m.data) for m in ma] == [uuid.sub(b"<id>", m.data) for m in mb], a.name
        assert [m.header for m in mb] == [warc_module.GZIP_HEADER_JDK] * len(mb)
    result = tool("warcio", "check", *map(str, parallel))
    assert result.returncode == 0, result.stdout + result.stderr


def test_abort_stops_the_helper_process(tmp_path, monkeypatch):
    import ccdump.writers.warc as warc_module

    monkeypatch.setattr(warc_module, "HELPER_AFTER_BYTES", 0)
    writer = WarcWriter(str(tmp_path), parallel=True)
    for doc in docs(5):
        writer.write(doc)
    helper = writer._helper
    assert helper is not None and helper.proc.poll() is None
    writer.abort()
    assert helper.proc.poll() is not None and list(tmp_path.iterdir()) == []


def test_falls_back_to_compressing_here_when_the_helper_cannot_start(tmp_path, monkeypatch):
    import ccdump.writers.warc as warc_module

    monkeypatch.setattr(warc_module, "HELPER_AFTER_BYTES", 0)
    monkeypatch.setattr(warc_module.sys, "executable", "/bin/false")
    writer = WarcWriter(str(tmp_path), parallel=True)
    for doc in docs(3):
        assert writer.write(doc)
    assert writer._helper is None and not writer.parallel
    [f] = [Path(p) for p in writer.close()["outputs"]]
    assert [r.type for r in read_records(f)] == ["warcinfo"] + ["response", "metadata"] * 3
