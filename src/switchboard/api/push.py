"""Live push (Server-Sent Events): an agent's CCP snapshot, a dashboard's agents and metrics.

Each stream is one `text/event-stream` answer that stays open. It sends its views at once, then
again whenever their JSON differs from what it last sent: a connection waits on its own
`asyncio.Event`, which `Server.listeners` sets after every flush that wrote something (so it
costs nothing while nothing happens), and a comment line `: keepalive` goes out every 15 s
(proxies close silent connections; the session is checked again then). Bursts of flushes are
coalesced: a stream renders at most every `MIN_GAP_S`. The listener is removed when the client
goes away. A browser's `Origin`, when sent, must name this very host (DESIGN §9); the session
rules are those of the matching JSON routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from switchboard.api.auth import Role
from switchboard.api.ccp import ccp_snapshot
from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem, SignedIn, Supervisor, current
from switchboard.api.supervisor import (
    agent_filters,
    agent_rows,
    metric_filters,
    metric_rows,
    own_instance,
)

__all__ = [
    "CCP_VOLATILE",
    "KEEPALIVE_S",
    "MIN_GAP_S",
    "CcpSnapshot",
    "ccp_events_router",
    "event_stream",
    "router",
    "same_origin",
]

KEEPALIVE_S = 15.0
"""A comment line goes out after this long without an event."""

MIN_GAP_S = 0.02
"""The least time between two renders of one stream (flushes come in bursts under load)."""

CcpSnapshot = Callable[[Instance, str], dict[str, Any]]
"""An agent's CCP panel as JSON: `ccp_snapshot(instance, user_id)`."""

CCP_VOLATILE = frozenset({"ServerTime"})
"""The CCP snapshot's keys that change at every render: sent, but no reason to send."""

Views = Callable[[], Mapping[str, object]]
"""What a stream renders each time: the data of each of its events, by event name."""

_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def same_origin(request: Request) -> None:
    """403 when a browser's `Origin` names another site than this host (DESIGN §9)."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if not host or urlsplit(origin).netloc.casefold() != host.casefold():
        raise ApiProblem(
            403,
            "OriginMismatch",
            f"Origin {origin!r} is not this server ({host or 'no Host header'}); "
            "live updates are only for pages this server serves",
        )


def _frame(name: str, data: bytes) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


async def event_stream(
    server: Server,
    views: Views,
    still_allowed: Callable[[], Awaitable[bool]],
    *,
    volatile: frozenset[str] = frozenset(),
) -> AsyncIterator[bytes]:
    """The SSE frames of `views`: all at once, then each whenever its JSON changes.

    Top-level keys named in `volatile` (such as the CCP's `ServerTime`, which moves at every
    render) are sent but left out of the comparison, so they alone never cause a frame.

    Ends when `still_allowed` (asked at each keepalive) says no; the caller's client going away
    cancels it, and the listener goes with it.
    """
    wake = asyncio.Event()
    listener = wake.set
    server.listeners.append(listener)
    sent: dict[str, bytes] = {}
    rendered_at = 0.0
    try:
        while True:
            gap = MIN_GAP_S - (time.monotonic() - rendered_at)
            if gap > 0:
                await asyncio.sleep(gap)
            # Cleared before rendering: a flush during a later await sets it again.
            wake.clear()
            rendered_at = time.monotonic()
            frames = []
            for name, view in views().items():
                data = orjson.dumps(view)
                steady = data
                if volatile and isinstance(view, dict):
                    steady = orjson.dumps({k: v for k, v in view.items() if k not in volatile})
                if sent.get(name) != steady:
                    sent[name] = steady
                    frames.append(_frame(name, data))
            if frames:
                yield b"".join(frames)
            while not wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=KEEPALIVE_S)
                if not wake.is_set():
                    if not await still_allowed():
                        return
                    yield b": keepalive\n\n"
    finally:
        with contextlib.suppress(ValueError):
            server.listeners.remove(listener)


def _streaming(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream", headers=_HEADERS)


async def _signed_in_again(request: Request, who: SignedIn, role: Role | None) -> bool:
    """Whether the stream's user is still signed in (and still holds `role`)."""
    try:
        again = await current(request)
    except ApiProblem:
        return False
    return again.user_id == who.user_id and (role is None or again.principal.can(role))


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`: the dashboard's stream and the CCP's."""
    routes = APIRouter(tags=["push"], dependencies=[Depends(same_origin)])
    routes.include_router(ccp_events_router(server, ccp_snapshot))

    @routes.get(
        "/switchboard/instances/{InstanceId}/events",
        summary="Live agent table and metrics (Server-Sent Events: `agents`, `metrics`)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def instance_events(
        *,
        request: Request,
        who: Supervisor,
        instance_id: Annotated[str, Path(alias="InstanceId", max_length=256)],
        queue_id: Annotated[str | None, Query(alias="QueueId", max_length=256)] = None,
        profile_id: Annotated[str | None, Query(alias="RoutingProfileId", max_length=256)] = None,
        channel: Annotated[str | None, Query(alias="Channel", max_length=16)] = None,
    ) -> StreamingResponse:
        instance = own_instance(who, instance_id)
        agents = agent_filters(instance, queue_id, profile_id)
        lines = metric_filters(instance, queue_id, channel)

        def views() -> dict[str, object]:
            now = server.clock.now()
            snapshot = instance.metrics.snapshot(now)  # one snapshot serves both views
            return {
                "agents": agent_rows(instance, agents, now=now, snapshot=snapshot),
                "metrics": metric_rows(instance, lines, now=now, snapshot=snapshot),
            }

        return _streaming(
            event_stream(server, views, lambda: _signed_in_again(request, who, Role.SUPERVISOR))
        )

    return routes


def ccp_events_router(server: Server, snapshot: CcpSnapshot) -> APIRouter:
    """`GET /switchboard/ccp/events`: the signed-in agent's CCP as `snapshot` renders it."""
    routes = APIRouter(tags=["push"], dependencies=[Depends(same_origin)])

    @routes.get(
        "/switchboard/ccp/events",
        summary="The signed-in agent's CCP, live (Server-Sent Events: `ccp`)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def ccp_events(
        request: Request, who: Annotated[SignedIn, Depends(current)]
    ) -> StreamingResponse:
        instance = who.instance
        user_id = who.user_id

        def views() -> dict[str, object]:
            return {"ccp": snapshot(instance, user_id)}

        return _streaming(
            event_stream(
                server,
                views,
                lambda: _signed_in_again(request, who, None),
                volatile=CCP_VOLATILE,
            )
        )

    return routes
