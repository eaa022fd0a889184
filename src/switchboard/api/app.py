"""The server's one ASGI app: Connect's API, Switchboard's own API, health, docs, durability.

Switchboard's own routes (`/healthz`, `/docs`, `/openapi.json`, `/switchboard/...`) come first;
every other path goes to the Connect API (`api/connect.py`), which answers unknown ones with
Connect's `UnknownOperationException`. `DurableResponses` wraps it all: no answer leaves before
the commands it reports are on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.api import access_keys, ccp, push, supervisor
from switchboard.api.authz import key_principal
from switchboard.api.connect import create_app as create_connect_app
from switchboard.api.connect import put_user_status_lean
from switchboard.api.limits import BodyLimit
from switchboard.api.server import DurableResponses, Server
from switchboard.api.session import install_problem_handlers
from switchboard.api.sigv4 import SigV4Verifier

__all__ = ["build_app"]

ExtraRouters = list[Callable[[Server], APIRouter]]
"""Routers that upper layers add (the web pages); each is made from the server."""


def build_app(server: Server, *, routers: ExtraRouters | None = None) -> ASGIApp:
    """The whole server as one ASGI app (see the module doc)."""
    registry = server.registry
    accounts = server.accounts

    verifier = SigV4Verifier(region=registry.region, lookup=accounts.secret)
    connect = create_connect_app(registry, verifier, server.clock)
    connect.state.principals = lambda key_id: key_principal(key_id, accounts, registry)

    async def set_password(instance_id: str, user_id: str, username: str, password: str) -> None:
        await asyncio.to_thread(accounts.set_password, instance_id, user_id, username, password)

    connect.state.set_password = set_password

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        server.start_sinks()
        timers = asyncio.create_task(server.run_timers(), name="switchboard-timers")
        tasks = [
            asyncio.create_task(run(), name="switchboard-background") for run in server.background
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timers
            await server.close()

    app = FastAPI(
        title="Switchboard",
        summary="An open-source contact-center engine that speaks Amazon Connect's API.",
        description=(
            "Switchboard's own API: health, the CCP and supervisor API under `/switchboard`. "
            "Amazon Connect's API (boto3's `connect` client) is served on the same port at "
            "Connect's own paths; its contract is botocore's `connect/2017-08-08/service-2.json`."
        ),
        lifespan=lifespan,
    )
    app.state.server = server
    install_problem_handlers(app)
    app.include_router(_health_router(server))
    for make in [ccp.router, supervisor.router, push.router, access_keys.router, *(routers or [])]:
        app.include_router(make(server))
    app.mount("/", connect)
    return BodyLimit(DurableResponses(ConnectFirst(app, connect), server))


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


class ConnectFirst:
    """Sends a request whose first path segment only Connect's API uses straight to it.

    Both apps would answer it the same (the app's own routes never match such a path and then
    the mount passes it on), but matching it against every page and Switchboard route first
    cost a quarter of a PutUserStatus (measured in-process with cProfile).
    """

    def __init__(self, app: FastAPI, connect: FastAPI) -> None:
        self.app = app
        self.connect = connect
        own = {_first_segment(str(c.path)) for c in iter_route_contexts(app.routes)}
        self.segments = (
            frozenset(
                _first_segment(str(c.path))
                for c in iter_route_contexts(connect.routes)
                if not str(c.path).startswith("/{")
            )
            - own
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _first_segment(scope["path"]) in self.segments:
            if scope["method"] == "PUT" and _is_status_path(scope["path"]):
                await put_user_status_lean(self.connect, scope, receive, send)
            else:
                await self.connect(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _is_status_path(path: str) -> bool:
    """`/users/{InstanceId}/{UserId}/status` with both ids non-empty."""
    parts = path.split("/")
    return len(parts) == 5 and parts[1] == "users" and parts[4] == "status" and all(parts[2:4])


def _health_router(server: Server) -> APIRouter:
    router = APIRouter(tags=["health"])
    started = time.monotonic()

    @router.get("/healthz", summary="Whether the server can take commands")
    async def healthz() -> dict[str, Any]:
        failed = server.failure is not None
        body: dict[str, Any] = {
            "status": "failed" if failed else "ok",
            "instances": len(server.registry),
            "uptime_s": round(time.monotonic() - started, 3),
        }
        if failed:
            return JSONResponse(body, status_code=503)  # type: ignore[return-value]
        return body

    return router
