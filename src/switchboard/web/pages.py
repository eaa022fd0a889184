"""The web pages' routers, in the order `switchboard serve` mounts them (cli `_web_routers`).

Each entry makes an `APIRouter` from the `Server`. Helpers every page uses (who is signed in, the
role check that answers a 403 page, templates, static files) are in `switchboard.web.shell`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from switchboard.api.server import Server
from switchboard.web import admin, ccp, contacts, dashboard, reports, shell

__all__ = ["routers"]


def routers() -> list[Callable[[Server], APIRouter]]:
    """Every page router; a new page module appends its `router` here."""
    return [
        shell.router,
        ccp.router,
        dashboard.router,
        contacts.router,
        reports.router,
        admin.router,
    ]
