"""-workers N: (segment, part) units in several processes give the output one process gives."""

from __future__ import annotations

import gzip
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

import ccdump
from tests.conftest import MANIFEST, leftovers, output_files


def segments(conformance: Path, *names: str) -> list[str]:
    return [str(conformance / "generated" / name / "segments") for name in names]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in output_files(root)}


def entries(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_cbor_files_same_tree_with_two_workers(conformance, tmp_path):
    inputs = segments(conformance, "i_two_parts")
    one = ccdump.dump(str(tmp_path / "one"), inputs, workers=1)
    two = ccdump.dump(str(tmp_path / "two"), inputs, workers=2)
    assert (one.units, one.workers, two.workers) == (2, 1, 2)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert one.written == two.written == len(tree(tmp_path / "one")) > 100
    assert one.type_counts == two.type_counts and list(one.type_counts) == list(two.type_counts)
    assert not leftovers(tmp_path)


def test_gzip_one_archive_joined_in_unit_order(conformance, tmp_path):
    """Two segments holding the same URLs: each name once, from the first segment, as Nutch keeps it."""
    first, second = segments(conformance, "c_block_default", "n_nutch_defaults")
    alone = ccdump.dump(str(tmp_path / "alone"), first, gzip=True, workers=1)
    stats = {w: ccdump.dump(str(tmp_path / str(w)), [first, second], gzip=True, workers=w) for w in (1, 2)}
    archives = {w: output_files(tmp_path / str(w)) for w in (1, 2)}
    assert all(len(a) == 1 and a[0].name.endswith(".tar.gz") for a in archives.values())
    (reference,) = output_files(tmp_path / "alone")
    for w in (1, 2):
        assert entries(archives[w][0]) == entries(reference)
        assert stats[w].written == alone.written and stats[w].collisions == alone.written
        listing = subprocess.run(["tar", "-tzf", str(archives[w][0])], capture_output=True, text=True, check=True)
        assert sorted(listing.stdout.split()) == sorted(entries(reference))
        with gzip.open(archives[w][0]) as f:  # several gzip members, one stream, ending in the zero blocks
            data = f.read()
        assert data.endswith(b"\0" * 1024) and len(data) % 512 == 0
    assert not leftovers(tmp_path), "the archive pieces are gone"


def test_stats_merged_in_unit_order(conformance, tmp_path):
    inputs = segments(conformance, "i_two_parts", "n_nutch_defaults")
    one = ccdump.dump(str(tmp_path / "1"), inputs, warc=True, gzip=True, workers=1)
    two = ccdump.dump(str(tmp_path / "2"), inputs, warc=True, gzip=True, workers=2)
    assert one.to_json()["total"] == two.to_json()["total"]
    assert (one.documents, one.units, one.segments) == (two.documents, 3, 2)
    assert len(one.outputs) == len(two.outputs) == 3


def test_workers_must_be_positive(conformance, tmp_path):
    from click.testing import CliRunner

    from ccdump.cli import cli

    result = CliRunner().invoke(cli, ["-segment", *segments(conformance, "i_two_parts"), "-outputDir", str(tmp_path), "-workers", "0"])
    assert result.exit_code == 2 and "-workers" in result.output


def test_manifest_records_every_unit(conformance, tmp_path):
    import json

    ccdump.dump(str(tmp_path), segments(conformance, "i_two_parts"), warc=True, gzip=True, workers=2)
    lines = [json.loads(line) for line in (tmp_path / MANIFEST).read_text().splitlines()]
    assert [e["kind"] for e in lines] == ["run", "unit", "unit", "done"]
    assert sorted(e["unit"].rsplit("/", 1)[1] for e in lines if e["kind"] == "unit") == ["part-r-00000", "part-r-00001"]
    assert sorted(lines[-1]["outputs"]) == sorted(str(p) for p in output_files(tmp_path))


@pytest.mark.parametrize("mode", [["-warc", "-gzip"], ["-gzip"], []], ids=["warc", "tar", "cbor"])
def test_finished_run_resumes_to_nothing(conformance, tmp_path, mode):
    from click.testing import CliRunner

    from ccdump.cli import cli

    args = ["-segment", *segments(conformance, "i_two_parts"), "-outputDir", str(tmp_path), *mode, "-quiet"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = tree(tmp_path)
    result = CliRunner().invoke(cli, [*args[:-1], "-resume"])
    assert result.exit_code == 0, result.output
    assert "Nothing to resume" in result.output
    assert tree(tmp_path) == before


def conversions(wet: Path) -> list[tuple[str, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    with wet.open("rb") as f:
        return [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                for r in ArchiveIterator(f) if r.rec_type == "conversion"]


def test_wat_and_wet_of_several_warc_files_on_two_workers(conformance, tmp_path):
    """``ccdump wat|wet -workers 2 A B C``: each file's derived file, the same as one process writes."""
    import gzip as gz
    import json

    from click.testing import CliRunner

    from ccdump.cli import cli

    warc = tmp_path / "warc"
    ccdump.dump(str(warc), segments(conformance, "i_two_parts", "n_nutch_defaults"), warc=True, gzip=True)
    files = [str(p) for p in output_files(warc)]
    assert len(files) == 3

    def payload_lines(path: Path) -> list[str]:
        """The JSON metadata lines of a WAT (ids and dates of the WAT records themselves left out)."""
        return [line for line in gz.decompress(path.read_bytes()).decode().splitlines() if line.startswith("{")]

    for command, suffix in (("wat", ".warc.wat.gz"), ("wet", ".warc.wet.gz")):
        outs = {}
        for workers in ("1", "2"):
            out = tmp_path / f"{command}{workers}"
            result = CliRunner().invoke(cli, [command, *files, "-o", str(out), "-workers", workers])
            assert result.exit_code == 0, result.output
            outs[workers] = sorted(output_files(out))
            assert [p.name for p in outs[workers]] == sorted(Path(f).name.replace(".warc.gz", suffix) for f in files)
        for one, two in zip(outs["1"], outs["2"], strict=True):
            if command == "wat":
                assert [json.loads(x) for x in payload_lines(one)] == [json.loads(x) for x in payload_lines(two)]
            else:
                assert conversions(one) == conversions(two) and len(conversions(one)) > 20


def test_gzip_level_is_configurable(conformance, tmp_path):
    """``-D ccdump.gzip.level=1``: the same entries, compressed faster (and larger) than Nutch's level 6."""
    from ccdump.config import NutchConfig

    inputs = segments(conformance, "i_two_parts")
    ccdump.dump(str(tmp_path / "6"), inputs, gzip=True)
    ccdump.dump(str(tmp_path / "1"), inputs, gzip=True, config=NutchConfig({"ccdump.gzip.level": "1"}))
    (six,), (one,) = output_files(tmp_path / "6"), output_files(tmp_path / "1")
    assert entries(six) == entries(one)
    assert one.stat().st_size > six.stat().st_size


def test_cbor_writer_threads_are_shared_out_among_workers(conformance, tmp_path):
    from ccdump.config import NutchConfig
    from ccdump.run import DumpOptions
    from ccdump.units import CBOR_THREADS, make_writer, plan_run, worker_options

    base = DumpOptions(str(tmp_path / "out"), segments(conformance, "i_two_parts"))
    plan = plan_run(base)

    def threads(options: DumpOptions) -> int:
        writer = make_writer(options, plan, plan.units[0])
        try:
            return writer._pool._max_workers  # type: ignore[attr-defined]
        finally:
            writer.close()

    assert threads(worker_options(base, workers=1, processes=1)) == CBOR_THREADS
    assert threads(worker_options(base, workers=2, processes=2)) == CBOR_THREADS // 2
    mine = replace(base, config=NutchConfig({"ccdump.cbor.threads": "3"}))
    assert threads(worker_options(mine, workers=2, processes=2)) == 3
