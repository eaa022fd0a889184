"""Supervisor dashboard page: queue tiles and the live agent table, kept current by SSE push.

The page carries its first view (the supervisor API's `agent_rows` and `metric_rows`, the same
JSON that live push sends) and what its controls need (`page_data`: enabled statuses in display
order, queues and routing profiles to filter by, the Offline status for bulk "Set Offline");
`static/dashboard.js` renders it, then follows `GET /switchboard/instances/{id}/events` and acts
through the supervisor API (status, clear, logout, bulk), each with a reason.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.api.supervisor import SERVICE_LEVEL_THRESHOLD_S, agent_rows, metric_rows
from switchboard.domain.model import Millis, StatusType
from switchboard.formats.timestamps import iso_ms
from switchboard.web.shell import SupervisorViewer, page_router, render

__all__ = [
    "OLDEST_AMBER_S",
    "OLDEST_RED_S",
    "initial_view",
    "page_data",
    "router",
    "status_choices",
]

OLDEST_AMBER_S = 60
"""The oldest waiting contact's tile turns amber past this many seconds…"""
OLDEST_RED_S = 180
"""…and red past this many."""


def status_choices(instance: Instance) -> list[dict[str, Any]]:
    """The statuses a supervisor may set: enabled ones, in display order (as the CCP lists them)."""
    statuses = sorted(
        (s for s in instance.engine.state.statuses.values() if s.enabled),
        key=lambda s: (s.display_order, s.name.casefold()),
    )
    return [{"Id": s.id, "Name": s.name, "Type": s.type.value} for s in statuses]


def page_data(instance: Instance) -> dict[str, Any]:
    """What the page's controls need besides the live rows."""
    state = instance.engine.state
    offline = next(
        (s for s in state.statuses.values() if s.type is StatusType.OFFLINE),
        None,
    )
    return {
        "InstanceId": instance.id,
        "Statuses": status_choices(instance),
        "OfflineStatusId": offline.id if offline is not None else None,
        "Queues": [{"Id": q.id, "Name": q.name} for q in state.queues.values()],
        "RoutingProfiles": [{"Id": p.id, "Name": p.name} for p in state.profiles.values()],
        "ServiceLevelSeconds": SERVICE_LEVEL_THRESHOLD_S,
        "OldestAmberSeconds": OLDEST_AMBER_S,
        "OldestRedSeconds": OLDEST_RED_S,
    }


def initial_view(instance: Instance, now: Millis) -> dict[str, Any]:
    """The page's first view: controls' data, agents and metrics at `now`, and the server time."""
    snapshot = instance.metrics.snapshot(now)
    return {
        **page_data(instance),
        "ServerTime": iso_ms(now),
        "Agents": agent_rows(instance, now=now, snapshot=snapshot),
        "Metrics": metric_rows(instance, now=now, snapshot=snapshot),
    }


def _script_json(value: Any) -> str:
    """JSON safe inside a `<script type="application/json">` element."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def router(server: Server) -> APIRouter:
    """`/dashboard`, for supervisors and admins (an agent gets the 403 page)."""
    routes = page_router()

    @routes.get("/dashboard", response_class=HTMLResponse)
    async def dashboard_page(request: Request, who: SupervisorViewer) -> HTMLResponse:
        view = initial_view(who.instance, server.clock.now())
        return render(
            request,
            "dashboard.html",
            who,
            title="Dashboard",
            body_class="page-dashboard",
            data=_script_json(view),
            queues=view["Queues"],
            profiles=view["RoutingProfiles"],
            statuses=view["Statuses"],
            threshold=SERVICE_LEVEL_THRESHOLD_S,
        )

    return routes
