"""Request-body size limit as plain ASGI middleware.

Checked twice: a declared ``Content-Length`` above the limit is refused before the body is read,
and the bytes actually received are counted (chunked or lying clients), raising
:class:`~ccdump.jobs.errors.PayloadTooLarge` inside the endpoint's ``await request.body()`` so the
app's one exception handler answers 413.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccdump.jobs.errors import BadRequest, PayloadTooLarge


class BodyLimit:
    """Limit request bodies to ``default`` bytes, or ``limits[prefix]`` for paths under a prefix."""

    def __init__(self, app: ASGIApp, default: int, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            problem: Exception | None = None
            if not declared.isdigit() or len(declared) > 18:
                problem = BadRequest("invalid Content-Length")
            elif int(declared) > limit:
                problem = PayloadTooLarge(f"request body larger than {limit} bytes")
            if problem is not None:
                status = getattr(problem, "status", 400)
                response = JSONResponse({"error": str(problem), "status": status}, status_code=status)
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"request body larger than {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)
