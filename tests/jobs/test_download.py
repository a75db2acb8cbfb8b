"""Shard download helpers: multi-member gunzip, atomic files and safe tar extraction.

Each hostile archive is built here with tarfile; the assertion is both the refusal and that
nothing at all was written (validation happens before extraction).
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ccdump.cah.download import ArchiveLimits, gunzip_to, local_copy, safe_extract
from ccdump.cah.errors import ArchiveError, UnsafeArchiveError
from ccdump.jobs.client import TrackerClient

Builder = Callable[[tarfile.TarFile], None]


def build(path: Path, fill: Builder, mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        fill(tar)
    return path


def add_file(tar: tarfile.TarFile, name: str, data: bytes = b"data", size: int | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if size is None else size
    tar.addfile(info, io.BytesIO(data.ljust(info.size, b"\0")))


def add_link(tar: tarfile.TarFile, name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


def add_special(tar: tarfile.TarFile, name: str, kind: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    tar.addfile(info)


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_good_archive_is_extracted_whatever_the_compression(tmp_path: Path, mode: str) -> None:
    def fill(tar: tarfile.TarFile) -> None:
        add_file(tar, "000000.jpg", b"jpeg")
        add_file(tar, "./sub/000001.txt", b"caption")
        add_link(tar, "sub/alias.txt", "000001.txt")  # a link that stays inside is fine
        add_link(tar, "hard.jpg", "000000.jpg", tarfile.LNKTYPE)

    archive = build(tmp_path / "a.tar", fill, mode)
    dest = tmp_path / "images" / "nested"
    names = safe_extract(archive, dest)
    assert names == ["000000.jpg", "./sub/000001.txt", "sub/alias.txt", "hard.jpg"]
    assert (dest / "000000.jpg").read_bytes() == b"jpeg"
    assert (dest / "sub" / "alias.txt").read_bytes() == b"caption"
    assert (dest / "hard.jpg").read_bytes() == b"jpeg"


HOSTILE: dict[str, Builder] = {
    "absolute path": lambda t: add_file(t, "/tmp/evil"),
    "dot-dot": lambda t: add_file(t, "a/../../evil"),
    "symlink to absolute": lambda t: add_link(t, "etc", "/etc"),
    "symlink escaping": lambda t: add_link(t, "sub/up", "../../outside"),
    "hardlink escaping": lambda t: add_link(t, "h", "../outside", tarfile.LNKTYPE),
    "hardlink absolute": lambda t: add_link(t, "h", "/etc/passwd", tarfile.LNKTYPE),
    "write through a link": lambda t: (add_link(t, "d", "sub"), add_file(t, "d/evil")),
    "windows drive": lambda t: add_file(t, "C:evil"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archives_are_refused_before_writing(tmp_path: Path, case: str) -> None:
    def fill(tar: tarfile.TarFile) -> None:
        add_file(tar, "first-harmless.jpg")
        HOSTILE[case](tar)

    archive = build(tmp_path / "evil.tar.gz", fill)
    dest = tmp_path / "images"
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, dest)
    assert not dest.exists()  # not even the harmless member was written
    assert not (tmp_path / "outside").exists() and not (tmp_path / "evil").exists()


def test_size_limits(tmp_path: Path) -> None:
    archive = build(tmp_path / "big.tar.gz", lambda t: [add_file(t, f"{i}.bin", size=600) for i in range(4)])
    with pytest.raises(UnsafeArchiveError, match="exceeds"):
        safe_extract(archive, tmp_path / "a", ArchiveLimits(max_member_size=500))
    with pytest.raises(UnsafeArchiveError, match="more than 2000 bytes"):
        safe_extract(archive, tmp_path / "b", ArchiveLimits(max_total_size=2000))
    with pytest.raises(UnsafeArchiveError, match="more than 3 members"):
        safe_extract(archive, tmp_path / "c", ArchiveLimits(max_members=3))
    assert len(safe_extract(archive, tmp_path / "d", ArchiveLimits(max_member_size=600, max_total_size=2400))) == 4


def test_devices_and_fifos_are_skipped(tmp_path: Path) -> None:
    def fill(tar: tarfile.TarFile) -> None:
        add_special(tar, "dev", tarfile.CHRTYPE)
        add_special(tar, "fifo", tarfile.FIFOTYPE)
        add_file(tar, "ok.txt")

    dest = tmp_path / "out"
    assert safe_extract(build(tmp_path / "s.tar", fill), dest) == ["ok.txt"]
    assert sorted(os.listdir(dest)) == ["ok.txt"]


@pytest.mark.parametrize("content", [b"", b"not a tar at all" * 100, gzip.compress(b"plain text, gzipped")])
def test_unreadable_archives(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.tar").write_bytes(content)
    with pytest.raises(ArchiveError):
        safe_extract(tmp_path / "x.tar", tmp_path / "out")


def test_truncated_archive(tmp_path: Path) -> None:
    archive = build(tmp_path / "t.tar.gz", lambda t: add_file(t, "big.bin", os.urandom(200_000)))
    archive.write_bytes(archive.read_bytes()[:-5000])
    with pytest.raises(ArchiveError):
        safe_extract(archive, tmp_path / "out")


def test_gunzip_reads_every_member_and_replaces_atomically(tmp_path: Path) -> None:
    source = tmp_path / "s.warc.wat.gz"
    source.write_bytes(gzip.compress(b"first\n") + gzip.compress(b"second\n") + gzip.compress(b""))
    dest = tmp_path / "out" / "shard.wat"
    gunzip_to(source, dest)
    assert dest.read_bytes() == b"first\nsecond\n"
    plain = tmp_path / "plain.wat"
    plain.write_bytes(b"not compressed\n")
    gunzip_to(plain, dest)
    assert dest.read_bytes() == b"not compressed\n"
    assert sorted(os.listdir(dest.parent)) == ["shard.wat"]  # no temporary file left


def test_gunzip_failure_keeps_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "shard.wat"
    dest.write_bytes(b"previous")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b"x" * 10_000)[:-20])
    with pytest.raises(EOFError):
        gunzip_to(broken, dest)
    assert dest.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["broken.gz", "shard.wat"]


def test_local_copy_sources(tmp_path: Path) -> None:
    file = tmp_path / "f.gz"
    file.write_bytes(b"x")
    with TrackerClient("http://127.0.0.1:9/") as client:
        with local_copy(client, str(file), tmp_path) as p:
            assert p == file
        with local_copy(client, file.as_uri(), tmp_path) as p:
            assert p == file
        for bad in ["rsync 0a1b2c", "s3://bucket/key", str(tmp_path / "missing"), ""]:
            with pytest.raises(ValueError), local_copy(client, bad, tmp_path):
                pass
