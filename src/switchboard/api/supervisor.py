"""The supervisor API: live agents and queues, status changes, clears, logouts, an audit trail."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.api.server import Server

__all__ = ["router"]


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    return APIRouter()
