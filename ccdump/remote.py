"""Output folders on any fsspec file system (``s3://``, ``gs://``, ``hdfs://``, ``memory://`` …).

Writers need a local file system: they rename temporary files, and WARC/WAT offsets come from
files they write. So a remote run writes into a local staging folder and uploads each unit's files
as soon as the unit is finished (then deletes the local copies, so the staging folder never holds
more than the units in flight), and the manifest after them. Object stores publish an object only
when its upload is complete, so readers never see half a file; on file systems with real folders
(HDFS, ``file://``) each file is uploaded under a hidden temporary name and then renamed.

Nutch's name-collision rule holds remotely too: a CBOR file whose name exists is not replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ccdump.hadoop.fs import is_url
from ccdump.manifest import MANIFEST_NAME

if TYPE_CHECKING:
    from ccdump.run import DumpOptions, DumpStats, Progress
    from ccdump.units import RunPlan, Unit


#: fsspec protocols whose writes appear all at once (no temporary name needed).
OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"}


def is_remote(path: str) -> bool:
    """True for URLs other than ``file://`` (those are written directly)."""
    return is_url(path)


@dataclass
class RemoteFolder:
    """An output folder given as a local path or an fsspec URL."""

    url: str

    def __post_init__(self) -> None:
        import fsspec.core

        self.url = self.url.rstrip("/") or "/"
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.root = self.root.rstrip("/") or "/"
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        self.object_store = bool(set(protocols) & OBJECT_STORES)

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def show(self, path: str) -> str:
        """A path of this file system as the user wrote the folder: a URL, or a plain local path."""
        return self.fs.unstrip_protocol(path) if "://" in self.url else path

    def relative(self, path: str) -> str:
        """``path`` relative to this folder when below it, else its full URL."""
        prefix = self.root.rstrip("/") + "/"
        return path[len(prefix):] if path.startswith(prefix) else self.fs.unstrip_protocol(path)

    def names(self) -> list[str]:
        try:
            return [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False)]
        except FileNotFoundError:
            return []

    def put(self, local: str, relative: str) -> str:
        """Upload a local file whole (replacing one of the same name): temporary name then rename, or one object."""
        return self.put_file(local, self.path(relative))

    def put_file(self, local: str, final: str) -> str:
        """:meth:`put` to a path of this file system (below :attr:`root` or not)."""
        parent = final.rsplit("/", 1)[0]
        with contextlib.suppress(Exception):
            self.fs.makedirs(parent, exist_ok=True)
        if self.object_store:
            self.fs.put_file(local, final)
            return final
        tmp = f"{parent}/.{final.rsplit('/', 1)[1]}.ccdump-tmp-{os.getpid()}"
        self.fs.put_file(local, tmp)
        self.fs.mv(tmp, final)
        return final

    def write_bytes(self, relative: str, data: bytes) -> str:
        """Write a small file whole: under a temporary name then renamed, or one object upload."""
        final = self.path(relative)
        if self.object_store:
            self.fs.pipe_file(final, data)
            return final
        tmp = self.path(f".{relative}.ccdump-tmp-{os.getpid()}")
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, final)
        return final


class RemoteOutput:
    """Uploads a staging folder's finished files to ``url``, keeping the same relative paths."""

    def __init__(self, url: str, staging: str, parquet_url: str | None = None, parquet_staging: str | None = None) -> None:
        self.folder = RemoteFolder(url)
        self.fs, self.root = self.folder.fs, self.folder.root
        self.staging = staging
        self.roots = [(staging, self.root)]
        if parquet_url and parquet_staging:
            self.roots.append((parquet_staging, RemoteFolder(parquet_url).root))
        self.collisions = 0
        self.uploaded: list[str] = []

    # --- what the run needs to know of the remote folder -----------------------------------------

    def names(self) -> list[str]:
        """File names directly in the remote folder (for WARC serials and leftovers)."""
        return self.folder.names()

    def fetch_manifest(self) -> None:
        """Bring the remote manifest into the staging folder (for ``-resume``)."""
        remote = f"{self.root}/{MANIFEST_NAME}"
        if self.fs.exists(remote):
            self.fs.get_file(remote, os.path.join(self.staging, MANIFEST_NAME))

    def remove(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(f"{self.root}/{name}")

    # --- uploads ------------------------------------------------------------------------------------

    def sync(self) -> None:
        """Upload every finished (non-temporary) file of the staging folders, then the manifest."""
        for local_root, remote_root in self.roots:
            for folder, dirs, files in os.walk(local_root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") or (folder == self.staging and name == MANIFEST_NAME):
                        continue
                    local = os.path.join(folder, name)
                    relative = os.path.relpath(local, local_root).replace(os.sep, "/")
                    self._upload(local, f"{remote_root}/{relative}", overwrite=False)
                    os.unlink(local)
        manifest = os.path.join(self.staging, MANIFEST_NAME)
        if os.path.exists(manifest):
            self._upload(manifest, f"{self.root}/{MANIFEST_NAME}", overwrite=True, listed=False)

    def _upload(self, local: str, remote: str, *, overwrite: bool, listed: bool = True) -> None:
        if not overwrite and self.fs.exists(remote):
            self.collisions += 1
            return
        self.folder.put_file(local, remote)
        if listed:
            self.uploaded.append(remote)


def run_remote(options: DumpOptions, progress: Progress | None = None) -> DumpStats:
    """Run into a local staging folder, uploading each finished unit to ``options.output_dir``."""
    from ccdump.orchestrate import run_local

    base = options.config.get_str("ccdump.staging.dir") or None
    staging = tempfile.mkdtemp(prefix="ccdump-staging-", dir=base)
    try:
        out = os.path.join(staging, "out")
        os.makedirs(out)
        parquet_url = options.derived.parquet_dir
        parquet_staging = None
        derived = options.derived
        if parquet_url and is_remote(parquet_url):
            parquet_staging = os.path.join(staging, "parquet")
            derived = replace(derived, parquet_dir=parquet_staging)
        remote = RemoteOutput(options.output_dir, out, parquet_url, parquet_staging)
        if options.resume:
            remote.fetch_manifest()
        local = replace(options, output_dir=out, derived=derived)
        stats = run_local(local, progress, remote=remote)
        remote.sync()
        stats.collisions += remote.collisions
        stats.written -= remote.collisions if not options.warc else 0
        stats.outputs = list(remote.uploaded)
        return stats
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def after_unit(remote: RemoteOutput | None, plan: RunPlan, unit: Unit, stats: DumpStats) -> Any:
    """Hook of :func:`ccdump.orchestrate.run_local`: upload what the finished unit wrote."""
    if remote is not None and not plan.parts_dir:
        remote.sync()
