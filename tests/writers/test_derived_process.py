"""The derived writers in a helper process (:class:`~ccdump.writers.commoncrawl.DerivedListeners`):
same files as in-process, errors raised in the WARC writer's process, clean abort, no process left."""

from __future__ import annotations

import gzip
import multiprocessing
import os
from pathlib import Path

import pytest

from ccdump.config import NutchConfig
from ccdump.errors import ConfigError, WriterError
from ccdump.writers.commoncrawl import DerivedListeners, DerivedOptions, derived_listeners
from ccdump.writers.warcreader import read_warc
from tests.writers.test_wat import block_fields, read_records
from tests.writers.warcgen import Capture, page, sample_captures, write_warc

NAME = "WEB-20240518015810000-00000.warc.gz"
ALL = DerivedOptions(wat=True, wet=True, cdxj=True)
RUN_SPECIFIC = {"WARC-Date", "WARC-Record-ID"}


@pytest.fixture(scope="module")
def warc(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("src") / NAME
    captures = sample_captures() * 2 + [
        Capture(f"https://p.example/{i}", page(f"P{i}", body=f"<p>x {i} <a href='/n{i}'>next</a></p>")) for i in range(20)
    ]
    write_warc(path, captures)
    return path


def feed(listener, warc: Path, out: Path, stop_after: int | None = None) -> None:
    """Give ``listener`` the records of ``warc`` as a WARC writer writing ``out/NAME`` would."""
    target = str(out / NAME)
    listener.on_file_open(target)
    for i, rec in enumerate(read_warc(warc)):
        if stop_after is not None and i == stop_after:
            return
        listener.add(rec)
    listener.on_file_closed(target)
    listener.close()


def comparable(path: Path):
    """WAT/WET records without what differs between runs (dates, ids; the warcinfo's extraction date)."""
    out = []
    for i, (headers, block) in enumerate(read_records(path)):
        fields = [(k, v) for k, v in headers if k not in RUN_SPECIFIC]
        if i == 0:
            block = [kv for kv in block_fields(block) if kv[0] != "Extracted-Date"]
        out.append((fields, block))
    return out


@pytest.mark.parametrize("parallel", [True, None])
def test_helper_process_writes_the_same_files(warc, tmp_path, parallel):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    local = DerivedListeners(ALL, parallel=False)
    feed(local, warc, here)
    remote = DerivedListeners(ALL, parallel=parallel)
    feed(remote, warc, there)
    assert not local.remote
    assert remote.remote is (parallel is True)  # auto: a run this small stays in this process
    names = sorted(os.listdir(here))
    assert names == sorted(os.listdir(there)) == sorted(
        [NAME.replace(".warc.gz", ".cdx.gz"), NAME.replace(".gz", ".wat.gz"), NAME.replace(".gz", ".wet.gz")]
    )
    for name in names:
        if name.endswith(".cdx.gz"):
            assert gzip.decompress((here / name).read_bytes()) == gzip.decompress((there / name).read_bytes())
        else:
            assert comparable(here / name) == comparable(there / name), name


def test_auto_starts_the_helper_after_enough_records(warc, tmp_path, monkeypatch):
    import ccdump.writers.commoncrawl as cc

    monkeypatch.setattr(cc, "HELPER_AFTER_BYTES", 2000)
    listener = DerivedListeners(ALL)
    if (os.cpu_count() or 1) < 2:
        pytest.skip("auto mode runs in-process on one core")
    feed(listener, warc, tmp_path)
    assert listener.remote
    assert len(os.listdir(tmp_path)) == 3


def test_an_error_in_the_helper_is_raised_here(warc, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    listener = DerivedListeners(ALL, parallel=True)
    with pytest.raises(WriterError, match="cannot create output file"):
        feed(listener, warc, blocker / "sub")
    assert listener._proc is None  # waited for: no zombie
    listener.abort()  # what the WARC writer does next: nothing left to do


def test_abort_leaves_no_file_and_ends_the_helper(warc, tmp_path):
    listener = DerivedListeners(ALL, parallel=True)
    feed(listener, warc, tmp_path, stop_after=10)
    proc = listener._proc
    assert proc is not None and proc.poll() is None
    listener.abort()
    assert proc.returncode == 0 and listener._proc is None
    assert os.listdir(tmp_path) == []  # not even a temporary file


def test_configuration_key():
    [listener] = derived_listeners(ALL)
    assert listener.parallel is None
    listener.configure(NutchConfig({"ccdump.derived.parallel": "false"}))
    assert listener.parallel is False
    listener.configure(NutchConfig({"ccdump.derived.parallel": "TRUE"}))
    assert listener.parallel is True
    listener.configure(NutchConfig({"ccdump.derived.parallel": "auto"}))
    assert listener.parallel is True  # auto keeps what the caller chose
    with pytest.raises(ConfigError):
        listener.configure(NutchConfig({"ccdump.derived.parallel": "sometimes"}))
    assert listener.options.deflate is None  # the writers' default
    listener.configure(NutchConfig({"ccdump.derived.deflate": "zlib:6"}))
    assert listener.options.deflate == "zlib:6"
    with pytest.raises(ConfigError, match="ccdump.derived.deflate: deflate 'gzip9'"):
        listener.configure(NutchConfig({"ccdump.derived.deflate": "gzip9"}))


def _in_worker(args: tuple[str, str]) -> list[str]:
    warc, out = args
    listener = DerivedListeners(ALL, parallel=True)
    feed(listener, Path(warc), Path(out))
    assert listener.remote
    return sorted(os.listdir(out))


def test_helper_from_a_daemonic_pool_worker(warc, tmp_path):
    """Pool workers are daemonic (no multiprocessing children): the helper is a plain subprocess."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        names = pool.map(_in_worker, [(str(warc), str(tmp_path))])[0]
    assert len(names) == 3


def test_pages_extracted_here_while_the_helper_is_behind(warc, tmp_path, monkeypatch):
    """A full pipe: this process makes queued WAT records (HTML parse included) itself and sends
    them along; the helper appends them. Same files."""
    import ccdump.writers.commoncrawl as cc

    monkeypatch.setattr(cc, "PIPE_BYTES", 4096)
    monkeypatch.setattr(cc, "BATCH_BYTES", 1024)
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    feed(DerivedListeners(ALL, parallel=False), warc, here)
    remote = DerivedListeners(ALL, parallel=True)
    feed(remote, warc, there)
    assert remote.remote and remote.local_pages > 0 and remote.local_wat > remote.local_pages
    for name in sorted(os.listdir(here)):
        if name.endswith(".cdx.gz"):
            assert gzip.decompress((here / name).read_bytes()) == gzip.decompress((there / name).read_bytes())
        else:
            assert comparable(here / name) == comparable(there / name), name


def test_pages_extracted_here_without_a_wat(warc, tmp_path, monkeypatch):
    """Without a WAT, a full pipe still moves the HTML extracts (for the WET) to this process."""
    import ccdump.writers.commoncrawl as cc

    monkeypatch.setattr(cc, "PIPE_BYTES", 4096)
    monkeypatch.setattr(cc, "BATCH_BYTES", 1024)
    options = DerivedOptions(wet=True, cdxj=True)
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    feed(DerivedListeners(options, parallel=False), warc, here)
    remote = DerivedListeners(options, parallel=True)
    feed(remote, warc, there)
    assert remote.remote and remote.local_pages > 0 and remote.local_wat == 0
    assert sorted(os.listdir(here)) == sorted(os.listdir(there))
    for name in sorted(os.listdir(here)):
        if name.endswith(".wet.gz"):
            assert comparable(here / name) == comparable(there / name)


def _warc_run(folder: Path, listeners: list, parallel: bool, max_size: int, shared: bool = True) -> list[Path]:
    from ccdump.warcmap import WarcMapper
    from ccdump.writers.warc import WarcWriter
    from tests.warc.test_writer import docs

    ids = iter(f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>" for i in range(10_000))
    mapper = WarcMapper(make_id=lambda: next(ids), now_ms=lambda: 1_700_000_000_000)
    writer = WarcWriter(str(folder), mapper, max_size=max_size, parallel=parallel, clock=lambda: 1_700_000_000.0,
                        listeners=listeners)
    for doc in docs(60, 1500):
        writer.write(doc)
    if parallel and shared:
        assert type(writer._helper).__name__ == "_SharedGzip"  # the WARC's compression went to that process
    elif parallel:  # with a WAT, the WARC writer compresses here and this process makes WAT records
        assert writer._helper is None and not writer.parallel and listeners[0].local_wat > 0
    return [Path(p) for p in writer.close()["outputs"]]


@pytest.mark.parametrize("options", [DerivedOptions(wet=True, cdxj=True), ALL], ids=["wet+cdxj", "wat+wet+cdxj"])
@pytest.mark.parametrize("max_size", [30_000, 10**9])
def test_the_warc_writer_compresses_in_the_derived_helper(tmp_path, monkeypatch, max_size, options):
    """The WARC writer's GzipHelper work served by the derived formats' process: same WARC files,
    same derived files as all in this process (with rotations, record ids are drawn in another
    order: then the compressed sizes, offsets and CRCs differ, the rest must not). With a WAT the
    WARC writer compresses in its own process instead, and makes WAT records for the helper while
    it is behind (a small pipe here, so that it is): the same files again."""
    import re

    import ccdump.writers.commoncrawl as cc
    import ccdump.writers.warc as warc_module
    from tests.warc.helpers import gzip_members

    monkeypatch.setattr(cc, "SHARE_GZIP_CPUS", 10**6)  # whatever this machine has
    monkeypatch.setattr(warc_module, "HELPER_AFTER_BYTES", 10_000)
    monkeypatch.setattr(warc_module, "HELPER_DEPTH", 1)  # captures go to the helper and stay here, mixed
    if options.wat:
        monkeypatch.setattr(cc, "PIPE_BYTES", 4096)
        monkeypatch.setattr(cc, "BATCH_BYTES", 1024)
    serial = _warc_run(tmp_path / "serial", [DerivedListeners(options, parallel=False)], False, max_size)
    shared = _warc_run(tmp_path / "shared", [DerivedListeners(options, parallel=True)], True, max_size, not options.wat)
    assert (len(serial) > 3 if max_size < 10**6 else len(serial) == 1) and [f.name for f in serial] == [f.name for f in shared]
    uuid = re.compile(rb"<urn:uuid:[0-9a-f-]{36}>")
    for a, b in zip(serial, shared, strict=True):
        ma, mb = gzip_members(a), gzip_members(b)
        assert [uuid.sub(b"<id>", m.data) for m in ma] == [uuid.sub(b"<id>", m.data) for m in mb], a.name
    names = sorted(os.listdir(tmp_path / "serial"))
    assert names == sorted(os.listdir(tmp_path / "shared")) and len(names) == (1 + options.wat + options.wet + options.cdxj) * len(serial)
    if len(serial) == 1:
        assert serial[0].read_bytes() == shared[0].read_bytes()
    run_specific = re.compile(rb'((WARC-Date|Extracted-Date|Content-Length): [^\r]*|<urn:uuid:[0-9a-f-]{36}>|"(length|offset)": "\d+"|'
                              rb'"(Offset|Deflate-Length|Inflated-CRC)":"-?\d+")')
    for name in names:
        here, there = (gzip.decompress((tmp_path / d / name).read_bytes()) for d in ("serial", "shared"))
        if not name.endswith(".warc.gz"):
            if len(serial) == 1 and name.endswith(".cdx.gz"):
                assert here == there
            assert run_specific.sub(b"", here) == run_specific.sub(b"", there), name
