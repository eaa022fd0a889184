"""The CCP API: an agent's own panel (sign-in, status, contacts, dial, transfer), the phone line."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.api.server import Server

__all__ = ["router"]


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    return APIRouter()
