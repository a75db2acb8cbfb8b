"""``.ccdump-manifest.jsonl``: which units of a run are finished, so ``-resume`` can skip them.

One JSON object per line, appended and flushed to disk as each unit finishes (so a line is either
whole or, after a crash in the middle of writing it, ignored):

* ``{"kind": "run", …}`` first: when the run started, a fingerprint of the options that shape the
  output, the number of units and the WARC serial base, so a resumed run writes the same names;
* ``{"kind": "unit", "unit": "<segment>/<part>", "index": i, "stats": {…}}`` per finished unit;
* ``{"kind": "done", "outputs": […]}`` when the whole run has finished.

``-resume`` also removes what the killed run left half-done: temporary files (every writer of
ccdump writes under a hidden temporary name and renames when complete) and the published files of
units that had not finished (their WARC serials, derived files and archive pieces), which are then
written again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ccdump.errors import CcdumpError

if TYPE_CHECKING:
    from ccdump.run import DumpOptions
    from ccdump.units import RunPlan, Unit

MANIFEST_NAME = ".ccdump-manifest.jsonl"

#: Temporary names of ccdump's writers: ``.NAME.ccdump-tmp-PID[-TID]``, ``.NAME.<12 hex>.tmp``, ``.NAME.tmp``.
TEMPORARY = re.compile(r"^\..+(?:\.ccdump-tmp-\d+(?:-\d+)?|\.[0-9a-f]{12}\.tmp|\.tmp)$")


class ManifestError(CcdumpError):
    """``-resume`` cannot continue the run recorded in the output folder."""


def fingerprint(options: DumpOptions) -> str:
    """A hash of everything that shapes the output: a resumed run must use the same options."""
    shaping = {
        "segments": [os.path.abspath(s) if "://" not in s else s for s in options.segments],
        "mode": mode_of(options),
        "gzip": options.gzip,
        "mime_types": sorted(options.mime_types or ()),
        "warc_size": options.warc_size,
        "warc_prefix": options.warc_prefix,
        "extension": options.extension,
        "epoch_filename": options.epoch_filename,
        "json_array": options.json_array,
        "key_prefix": options.key_prefix,
        "reverse_key": options.reverse_key,
        "simple_date_format": options.simple_date_format,
        "linkdb": options.linkdb,
        "cbor_format": options.cbor_format,
        "config": sorted(dict(options.config).items()),
        "derived": repr(options.derived),
        "extra": sorted((k, repr(v)) for k, v in options.extra.items() if not k.startswith("_")),
    }
    return hashlib.sha1(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()


def mode_of(options: DumpOptions) -> str:
    return "warc" if options.warc else "tar.gz" if options.gzip else "cbor"


@dataclass
class ManifestState:
    """What an earlier run recorded."""

    header: dict[str, Any] | None = None
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: bool = False


def read_manifest(path: str) -> ManifestState:
    state = ManifestState()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return state
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) or (number == len(lines) - 1 and not lines[-1]):
                continue  # the last line, cut short by a crash
            raise ManifestError(f"{path}: line {number} is not JSON") from None
        kind = entry.get("kind")
        if kind == "run":
            state = ManifestState(header=entry)
        elif kind == "unit":
            state.units[entry["unit"]] = entry
        elif kind == "done":
            state.finished = True
    return state


class Manifest:
    """The manifest of the current run, appended to as units finish."""

    def __init__(self, output_dir: str) -> None:
        self.path = os.path.join(output_dir, MANIFEST_NAME)
        self._file = None

    def start(self, header: dict[str, Any], keep: Iterable[dict[str, Any]] = ()) -> None:
        """Begin the manifest (anew, or carrying over the finished units of a resumed run)."""
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps({"kind": "run", **header}) + "\n")
            for entry in keep:
                f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def add(self, entry: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def remove_temporaries(roots: Iterable[str]) -> list[str]:
    """Delete every ccdump temporary file below ``roots``; the paths removed."""
    removed = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".ccdump-parts-")]
            for name in files:
                if name.startswith(".") and TEMPORARY.match(name):
                    path = os.path.join(folder, name)
                    os.unlink(path)
                    removed.append(path)
    return removed


def stripe_warcs(options: DumpOptions, plan: RunPlan, unfinished: Iterable[Unit], names: Iterable[str]) -> list[str]:
    """The WARC file names among ``names`` whose serial belongs to one of the ``unfinished`` units."""
    from ccdump.writers.warc import warc_prefix

    indexes = {u.index for u in unfinished}
    count = len(plan.units)
    pattern = re.compile(re.escape(warc_prefix(options)) + r"-\d{17}-(\d{5,})\.warc(?:\.gz)?$")
    found = []
    for name in names:
        m = pattern.match(name)
        if m and (serial := int(m.group(1)) - plan.warc_serial_base) >= 0 and serial % count in indexes:
            found.append(name)
    return sorted(found)


def outputs_of_unfinished(options: DumpOptions, plan: RunPlan, unfinished: Iterable[Unit], names: Iterable[str]) -> list[str]:
    """Names (among ``names``, the output folder's) of files published by units a killed run had not
    finished: their WARC files and the WAT, WET and CDX files beside them."""
    if not options.warc:
        return []
    from ccdump.writers.cdxj import cdxj_name
    from ccdump.writers.derived import derived_name

    names = set(names)
    found = []
    for name in stripe_warcs(options, plan, unfinished, names):
        found += [s for s in (name, derived_name(name, "wat"), derived_name(name, "wet"), cdxj_name(name)) if s in names]
    return found
