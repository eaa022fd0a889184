"""The CCP page (`/ccp`): an agent's softphone panel, fed by the CCP API and its live push.

The page is a shell; `static/ccp.js` reads `GET /switchboard/ccp`, follows the snapshot pushed on
`/switchboard/ccp/events` and sends the agent's actions to the CCP API (`api/ccp.py`). Timers tick
in the browser from the snapshot's timestamps, corrected by its `ServerTime`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from switchboard.api.server import Server
from switchboard.web.shell import Viewer, page_router, render

__all__ = ["router"]


def router(server: Server) -> APIRouter:
    """`GET /ccp`, for anyone signed in (the CCP API refuses a user without a routing profile)."""
    routes = page_router()

    @routes.get("/ccp", response_class=HTMLResponse)
    async def ccp_page(request: Request, who: Viewer) -> Response:
        return render(request, "ccp.html", who, title="CCP", body_class="page-ccp")

    return routes
