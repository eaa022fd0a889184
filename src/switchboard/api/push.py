"""Live push (Server-Sent Events): an agent's CCP snapshot, a dashboard's agents and metrics."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.api.server import Server

__all__ = ["router"]


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    return APIRouter()
