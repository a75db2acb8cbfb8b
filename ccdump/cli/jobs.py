"""``ccdump jobs``: run the Crawling@Home job tracker and feed it WAT shards.

Each command is options → one library call → output. Failures are raised as
:class:`~ccdump.errors.JobsError` and printed as one line by the top-level group.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx

from ccdump.errors import JobsError

SERVER_OPTION = click.option(
    "--server",
    envvar="CCDUMP_JOBS_SERVER",
    required=True,
    metavar="URL",
    help="Tracker base URL, e.g. http://127.0.0.1:8080/ (env CCDUMP_JOBS_SERVER).",
)
TOKEN_OPTION = click.option(
    "--token",
    envvar="CCDUMP_JOBS_ADMIN_TOKEN",
    required=True,
    metavar="TOKEN",
    help="The tracker's admin token (env CCDUMP_JOBS_ADMIN_TOKEN).",
)
BATCH = 1000
#: Interactive commands give up sooner than workers do (spec default: 5 attempts from 1 s).
CLI_ATTEMPTS, CLI_BACKOFF = 3, 0.5


@contextmanager
def _tracker(server: str) -> Iterator:
    """A TrackerClient whose connection failures become one-line JobsErrors."""
    from ccdump.jobs.client import RetryPolicy, TrackerClient

    try:
        with TrackerClient(server, retry=RetryPolicy(CLI_ATTEMPTS, CLI_BACKOFF, 5.0)) as client:
            yield client
    except httpx.HTTPError as exc:
        raise JobsError(f"cannot reach the tracker at {server}: {exc or type(exc).__name__}") from exc


def _upload_addresses(values: tuple[str, ...]) -> dict:
    from ccdump.jobs.model import WorkerType

    addresses = {}
    for value in values:
        kind, sep, address = value.partition("=")
        try:
            addresses[WorkerType(kind.strip().upper())] = address
        except ValueError:
            raise click.BadParameter(
                f"{value!r}: expected TYPE=ADDRESS with TYPE one of HYBRID, CPU, GPU"
            ) from None
        if not sep:
            raise click.BadParameter(f"{value!r}: expected TYPE=ADDRESS")
    return addresses


@click.group("jobs", context_settings={"help_option_names": ["--help"]})
def jobs_group() -> None:
    """Crawling@Home job tracker: serve it, add WAT shards, administer it.

    \b
    Examples:
      ccdump jobs serve --db sqlite:///jobs.db --port 8080 --shards-dir out/wat
      ccdump jobs add --server http://127.0.0.1:8080/ --token "$T" out/wat/*.warc.wat.gz
      ccdump jobs status --server http://127.0.0.1:8080/
    """


@jobs_group.command("serve")
@click.option(
    "--db",
    default="sqlite:///jobs.db",
    show_default=True,
    envvar="CCDUMP_JOBS_DB",
    help="sqlite:///FILE (WAL, one machine) or postgresql://user:pw@host/db (env CCDUMP_JOBS_DB).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--shards-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve WAT files under this directory at /shards/… (read-only).",
)
@click.option(
    "--legacy-503", is_flag=True, help="v1.4.x status codes: 503 for no job, 500 for unknown worker."
)
@click.option(
    "--idle-timeout",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds of silence after which a worker is dropped and its job reopens.",
)
@click.option(
    "--sweep-interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between idle-worker sweeps.",
)
@click.option(
    "--admin-token",
    envvar="CCDUMP_JOBS_ADMIN_TOKEN",
    help="Token for adding, banning and resetting shards (env CCDUMP_JOBS_ADMIN_TOKEN); random if unset.",
)
@click.option(
    "--upload-address",
    multiple=True,
    metavar="TYPE=ADDRESS",
    help="upload_address handed to workers of TYPE (repeatable), e.g. CPU=rsync://host/staging.",
)
@click.option(
    "--public-url", metavar="URL", help="Base URL workers reach this server at (default: as requested)."
)
@click.option(
    "--pool-size", default=10, show_default=True, type=click.IntRange(1, 200), help="PostgreSQL connections."
)
@click.option(
    "--refresh", default=10.0, show_default=True, type=click.FloatRange(min=0.2), help="Dashboard refresh, s."
)
@click.option("--access-log", is_flag=True, help="Log every request.")
def serve_command(
    db: str,
    host: str,
    port: int,
    shards_dir: Path | None,
    legacy_503: bool,
    idle_timeout: float,
    sweep_interval: float,
    admin_token: str | None,
    upload_address: tuple[str, ...],
    public_url: str | None,
    pool_size: int,
    refresh: float,
    access_log: bool,
) -> None:
    """Run the tracker (HTTP API, dashboard at /, shards at /shards/).

    \b
    Examples:
      ccdump jobs serve --db sqlite:///jobs.db --host 0.0.0.0 --port 8080 --shards-dir out/wat
      ccdump jobs serve --db postgresql://cah:secret@db/cah --legacy-503 --idle-timeout 7200
    """
    import uvicorn

    from ccdump.jobs.server import ServerConfig, create_app
    from ccdump.jobs.storage import open_store

    if not admin_token:
        admin_token = secrets.token_urlsafe(32)
        click.echo(f"ccdump jobs: admin token for this run: {admin_token}", err=True)
    config = ServerConfig(
        admin_token=admin_token,
        legacy_503=legacy_503,
        sweep_interval=sweep_interval,
        shards_dir=shards_dir.resolve() if shards_dir else None,
        upload_addresses=_upload_addresses(upload_address),
        public_url=public_url,
        refresh_seconds=refresh,
    )
    store = open_store(db, idle_timeout=idle_timeout, pool_size=pool_size)
    try:
        uvicorn.run(
            create_app(store, config),
            host=host,
            port=port,
            log_level="info" if access_log else "warning",
            access_log=access_log,
            timeout_graceful_shutdown=5,
        )
    finally:
        store.close()


def _read_manifest(path: str) -> list[str]:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        return [line.strip() for line in stream if line.strip() and not line.lstrip().startswith("#")]
    finally:
        if stream is not sys.stdin:
            stream.close()


@jobs_group.command("add")
@SERVER_OPTION
@TOKEN_OPTION
@click.option(
    "--from-file",
    "manifest",
    metavar="FILE",
    help="Also read shards from FILE, one path or URL per line (like wat.paths); '-' for stdin.",
)
@click.argument("shards", nargs=-1)
def add_command(server: str, token: str, manifest: str | None, shards: tuple[str, ...]) -> None:
    """Add WAT shards in order: each becomes two jobs sharing a 1,000,000-id range.

    A SHARD is an http(s) URL workers download directly, or a file inside the server's
    --shards-dir (absolute, or relative to that directory), which the tracker serves itself.
    Adding a shard twice is harmless.

    \b
    Examples:
      ccdump jobs add --server http://127.0.0.1:8080/ --token "$T" out/wat/*.warc.wat.gz
      ccdump jobs add --server http://127.0.0.1:8080/ --token "$T" --from-file wat.paths
    """
    refs = list(shards) + (_read_manifest(manifest) if manifest else [])
    if not refs:
        raise JobsError("no shards given")
    with _tracker(server) as client:
        for start in range(0, len(refs), BATCH):
            for chunk in client.add_shards(token, refs[start : start + BATCH]):
                first, second = chunk["jobs"]
                state = "added" if chunk["created"] else "already present"
                click.echo(
                    f"chunk {chunk['chunk']} (jobs {first}, {second}): {chunk['public_url']} [{state}]"
                )


@jobs_group.command("ban")
@SERVER_OPTION
@TOKEN_OPTION
@click.argument("shard")
def ban_command(server: str, token: str, shard: str) -> None:
    """Take a shard's jobs out of circulation (SHARD: chunk number, or URL/path as added).

    \b
    Example:
      ccdump jobs ban --server http://127.0.0.1:8080/ --token "$T" 17
    """
    with _tracker(server) as client:
        jobs = client.ban_shard(token, shard)
    click.echo(f"banned {jobs} job(s) of shard {shard}")


@jobs_group.command("reset")
@SERVER_OPTION
@TOKEN_OPTION
@click.argument("shard")
def reset_command(server: str, token: str, shard: str) -> None:
    """Reopen a shard's jobs from the start (CPU stage), e.g. after bad results or a ban.

    \b
    Example:
      ccdump jobs reset --server http://127.0.0.1:8080/ --token "$T" 17
    """
    with _tracker(server) as client:
        jobs = client.reset_shard(token, shard)
    click.echo(f"reset {jobs} job(s) of shard {shard}")


@jobs_group.command("status")
@SERVER_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the full /data document.")
def status_command(server: str, as_json: bool) -> None:
    """Show totals, stage counts and workers.

    \b
    Example:
      ccdump jobs status --server http://127.0.0.1:8080/
    """
    with _tracker(server) as client:
        stats = client.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    stages = stats["stages"]
    click.echo(f"shards: {stats['total_chunks']}  jobs: {stats['total_jobs']}  {stats['completion_str']}")
    click.echo(
        f"cpu: {stages['cpu']['open']} open, {stages['cpu']['pending']} in progress;  "
        f"gpu: {stages['gpu']['open']} open, {stages['gpu']['pending']} in progress;  "
        f"done: {stages['done']}  banned: {stages['banned']}"
    )
    workers = ", ".join(f"{k} {v}" for k, v in stats["workers"].items())
    click.echo(
        f"workers: {stats['total_connected_workers']} ({workers})  pairs: {stats['total_pairs_scraped']}"
    )
    click.echo(f"eta: {stats['eta']}")
