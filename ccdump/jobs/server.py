"""The tracker's HTTP face: a Starlette app that maps Crawling@Home requests to storage calls.

Each endpoint validates its input (:mod:`ccdump.jobs.validate`), makes one
:class:`~ccdump.jobs.storage.JobStore` call in the thread pool and renders the result in the
protocol's format (plain ``success``/``True``/numbers, or JSON). Protocol outcomes are
:class:`~ccdump.errors.JobsError` exceptions carrying their status; one exception handler turns
them — and anything unexpected — into JSON errors, with v1.4.x codes under ``--legacy-503``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ccdump.errors import JobsError
from ccdump.jobs import pages, shards, validate
from ccdump.jobs.errors import BadRequest, NotFound, Unauthorized
from ccdump.jobs.middleware import BodyLimit
from ccdump.jobs.model import WorkerType
from ccdump.jobs.storage import JobStore

log = logging.getLogger("ccdump.jobs")
T = TypeVar("T")

MAX_API_BODY = 64 * 1024
MAX_ADMIN_BODY = 8 * 1024 * 1024


@dataclass
class ServerConfig:
    """Everything ``ccdump jobs serve`` can set, besides the storage."""

    admin_token: str
    legacy_503: bool = False
    #: seconds between idle sweeps (the idle timeout itself belongs to the store).
    sweep_interval: float = 60.0
    shards_dir: Path | None = None
    #: ``upload_address`` handed to workers, per type ("" when unset).
    upload_addresses: dict[WorkerType, str] = field(default_factory=dict)
    #: base URL put in front of shards served from ``shards_dir``; default: the URL the worker used.
    public_url: str | None = None
    refresh_seconds: float = 10.0
    max_body: int = MAX_API_BODY
    max_admin_body: int = MAX_ADMIN_BODY


# -- helpers -------------------------------------------------------------------------------


def _store(request: Request) -> JobStore:
    return request.app.state.store


def _config(request: Request) -> ServerConfig:
    return request.app.state.config


async def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking storage call off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def _body(request: Request) -> dict[str, Any]:
    return validate.json_object(await request.body())


def _query(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name}: given more than once")
    return values[0] if values else None


def _require_admin(request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    expected = _config(request).admin_token
    if scheme.lower() != "bearer" or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized()


def _base_url(request: Request) -> str:
    return _config(request).public_url or str(request.base_url)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.query_params.get("format") != "json"


def _success() -> PlainTextResponse:
    return PlainTextResponse("success")


# -- worker API ----------------------------------------------------------------------------


async def api_new(request: Request) -> Response:
    type_ = validate.worker_type(_query(request, "type"))
    nickname = validate.nickname(_query(request, "nickname"))
    reg = await _call(_store(request).register, type_, nickname)
    return JSONResponse(
        {
            "display_name": reg.display_name,
            "token": reg.token,
            "upload_address": _config(request).upload_addresses.get(type_, ""),
        }
    )


async def api_upload_address(request: Request) -> Response:
    raw = _query(request, "type")
    type_ = WorkerType.HYBRID if raw is None else validate.worker_type(raw)  # v1.4.0 sent no type
    return PlainTextResponse(_config(request).upload_addresses.get(type_, ""))


async def api_job_count(request: Request) -> Response:
    type_ = validate.worker_type(_query(request, "type"))
    return PlainTextResponse(str(await _call(_store(request).job_count, type_)))


async def api_new_job(request: Request) -> Response:
    body = await _body(request)
    type_ = validate.worker_type(body.get("type"))
    token = validate.token(body.get("token"))
    offer = await _call(_store(request).new_job, token, type_)
    url = offer.url if type_ is WorkerType.GPU else shards.public_url(offer.url, _base_url(request))
    return JSONResponse(
        {
            "url": url,
            "start_id": str(offer.start_id),
            "end_id": str(offer.end_id),
            "shard": offer.piece,
            "number": offer.number,
        }
    )


async def api_update_progress(request: Request) -> Response:
    body = await _body(request)
    type_ = validate.worker_type(body.get("type"))
    token = validate.token(body.get("token"))
    progress = validate.progress(body.get("progress"))
    await _call(_store(request).update_progress, token, type_, progress)
    return _success()


async def api_mark_as_done(request: Request) -> Response:
    # CPU: {"token","url","type"} (v1.4.1+) or also "start_id","end_id","shard" (v1.4.0); extra keys ignored.
    body = await _body(request)
    type_ = validate.worker_type(body.get("type"))
    token = validate.token(body.get("token"))
    if type_ is WorkerType.CPU:
        await _call(_store(request).complete, token, type_, url=validate.result_url(body.get("url")))
    else:
        await _call(_store(request).complete, token, type_, count=validate.count(body.get("count")))
    return _success()


async def api_validate_worker(request: Request) -> Response:
    body = await _body(request)
    type_ = validate.worker_type(body.get("type"))
    token = validate.token(body.get("token"))
    return PlainTextResponse(str(await _call(_store(request).validate, token, type_)))


async def api_gpu_invalid_download(request: Request) -> Response:
    body = await _body(request)
    if validate.worker_type(body.get("type", "GPU")) is not WorkerType.GPU:
        raise BadRequest("only GPU workers can flag a download as invalid")
    await _call(_store(request).invalid_url, validate.token(body.get("token")))
    return _success()


async def api_bye(request: Request) -> Response:
    body = await _body(request)
    type_ = validate.worker_type(body.get("type"))
    await _call(_store(request).bye, validate.token(body.get("token")), type_)
    return _success()


async def api_is_completed(request: Request) -> Response:
    body = await _body(request)
    addresses = validate.string_list(body.get("addresses"), "addresses", max_items=validate.MAX_ADDRESSES)
    return JSONResponse(await _call(_store(request).completed_addresses, addresses))


# -- admin ---------------------------------------------------------------------------------


async def admin_add_shards(request: Request) -> Response:
    _require_admin(request)
    body = await _body(request)
    refs = validate.string_list(body.get("shards"), "shards", max_items=validate.MAX_SHARDS_PER_REQUEST)
    shards_dir = _config(request).shards_dir
    stored = [shards.normalise(ref, shards_dir) for ref in refs]
    chunks = await _call(_store(request).add_shards, stored)
    base = _base_url(request)
    return JSONResponse(
        {"chunks": [{**c.as_dict(), "public_url": shards.public_url(c.url, base)} for c in chunks]}
    )


async def admin_ban_shard(request: Request) -> Response:
    _require_admin(request)
    shard = validate.shard_ref((await _body(request)).get("shard"))
    return JSONResponse({"shard": shard, "jobs": await _call(_store(request).ban_shard, shard)})


async def admin_reset_shard(request: Request) -> Response:
    _require_admin(request)
    shard = validate.shard_ref((await _body(request)).get("shard"))
    return JSONResponse({"shard": shard, "jobs": await _call(_store(request).reset_shard, shard)})


# -- shards, dashboard ---------------------------------------------------------------------


async def serve_shard(request: Request) -> Response:
    root = _config(request).shards_dir
    path = None if root is None else shards.contained(root, request.path_params["path"])
    if path is None:
        raise NotFound("no such shard file")
    return FileResponse(path, media_type="application/octet-stream")


async def data(request: Request) -> Response:
    return JSONResponse(await _call(_store(request).stats))


def _page(request: Request, template: str, payload: Any, data_url: str) -> HTMLResponse:
    html = pages.render(
        template,
        data=payload,
        data_url=data_url,
        refresh_seconds=_config(request).refresh_seconds,
        static_url=request.url_for("static", path="").path,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def dashboard(request: Request) -> Response:
    stats = await _call(_store(request).stats)
    return _page(request, "index.html", stats, request.url_for("data").path)


async def leaderboard(request: Request) -> Response:
    if _wants_html(request):
        return await dashboard(request)
    stats = await _call(_store(request).stats)
    return JSONResponse({"leaderboard": stats["leaderboard"], "cpu_leaderboard": stats["cpu_leaderboard"]})


async def _worker(request: Request) -> dict[str, Any]:
    type_ = validate.worker_type(request.path_params["type"])
    name = validate.text(request.path_params["display_name"], "display_name", max_len=64)
    info = await _call(_store(request).worker_info, type_, name)
    if info is None:
        raise NotFound("no such worker (it may have timed out)")
    return info


async def worker_page(request: Request) -> Response:
    info = await _worker(request)
    data_url = request.url_for(
        "worker_data", type=request.path_params["type"], display_name=info["display_name"]
    )
    return _page(request, "worker.html", info, data_url.path)


async def worker_data(request: Request) -> Response:
    return JSONResponse(await _worker(request))


# -- errors, lifespan, app -----------------------------------------------------------------


async def jobs_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JobsError)
    legacy = _config(request).legacy_503
    status = getattr(exc, "legacy_status", exc.status) if legacy else exc.status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": str(exc), "status": status}, status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"error": str(exc.detail), "status": exc.status_code},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal server error", "status": 500}, status_code=500)


async def _sweep_forever(store: JobStore, interval: float) -> None:
    """Expire idle workers every ``interval`` seconds, in the server process itself."""
    while True:
        try:
            expired = await run_in_threadpool(store.expire_idle)
            if expired:
                log.info("expired %d idle worker(s)", expired)
        except Exception:  # keep sweeping; the next round may succeed (database restarting …)
            log.exception("idle sweep failed")
        await asyncio.sleep(interval)


def create_app(store: JobStore, config: ServerConfig) -> Starlette:
    """The tracker ASGI app over ``store``. The caller owns (and closes) the store."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweep_forever(store, config.sweep_interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    routes = [
        Route("/", dashboard, methods=["GET"]),
        Route("/data", data, methods=["GET"], name="data"),
        Route("/leaderboard", leaderboard, methods=["GET"]),
        Route("/worker/{type}/{display_name}", worker_page, methods=["GET"]),
        Route("/worker/{type}/{display_name}/data", worker_data, methods=["GET"], name="worker_data"),
        Route("/api/new", api_new, methods=["GET"]),
        Route("/api/getUploadAddress", api_upload_address, methods=["GET"]),
        Route("/api/jobCount", api_job_count, methods=["GET"]),
        Route("/api/newJob", api_new_job, methods=["POST"]),
        Route("/api/updateProgress", api_update_progress, methods=["POST"]),
        Route("/api/markAsDone", api_mark_as_done, methods=["POST"]),
        Route("/api/validateWorker", api_validate_worker, methods=["POST"]),
        Route("/api/gpuInvalidDownload", api_gpu_invalid_download, methods=["POST"]),
        Route("/api/bye", api_bye, methods=["POST"]),
        Route("/api/isCompleted", api_is_completed, methods=["POST"]),
        Route("/admin/shards", admin_add_shards, methods=["POST"]),
        Route("/admin/ban-shard", admin_ban_shard, methods=["POST"]),
        Route("/admin/reset-shard", admin_reset_shard, methods=["POST"]),
        Route(f"/{shards.SHARDS_ROUTE}/{{path:path}}", serve_shard, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=str(pages.STATIC)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(BodyLimit, default=config.max_body, limits={"/admin/": config.max_admin_body})
        ],
        exception_handlers={JobsError: jobs_error, HTTPException: http_error, Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.config = config
    return app
