"""Browser sessions for Switchboard's own API: who is signed in, their roles, CSRF, errors.

A session is a random token in the `sb_session` cookie (`HttpOnly; SameSite=Strict`, DESIGN §9);
only its hash is stored (`Accounts`). Every mutating request also sends the session's CSRF token
in the `X-CSRF-Token` header. A signed-in user's roles come from their security profiles, read
at each request, so a change of profile takes effect at once.

Errors of Switchboard's own API are JSON `{"code": ..., "message": ...}` with a fitting status.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from switchboard.api.auth import Principal, Role, Session, roles_of_profiles
from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.domain.errors import DomainError, IllegalTransition

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "ApiProblem",
    "SignedIn",
    "Supervisor",
    "current",
    "install_problem_handlers",
    "require_csrf",
    "supervisor",
]

COOKIE = "sb_session"
CSRF_HEADER = "X-CSRF-Token"


class ApiProblem(Exception):
    """A refusal of Switchboard's own API: HTTP status, a code and a message for the caller."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in user of a request: session, principal (with current roles) and instance."""

    session: Session
    principal: Principal
    instance: Instance

    @property
    def user_id(self) -> str:
        return self.session.user_id


def server_of(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


async def current(request: Request) -> SignedIn:
    """The request's signed-in user; 401 without a live session."""
    server = server_of(request)
    token = request.cookies.get(COOKIE, "")
    session = server.accounts.session(token, server.clock.now() // 1000)
    if session is None:
        raise ApiProblem(401, "NotSignedIn", "Sign in first (POST /switchboard/login)")
    instance = server.registry.get(session.instance_id)
    if instance is None or session.user_id not in instance.engine.state.agents:
        raise ApiProblem(401, "NotSignedIn", "Your user no longer exists; sign in again")
    roles = roles_of_profiles(instance.profile_names(session.user_id))
    principal = Principal(
        username=session.username,
        roles=roles,
        instance_id=session.instance_id,
        user_id=session.user_id,
    )
    return SignedIn(session=session, principal=principal, instance=instance)


async def require_csrf(request: Request, who: Annotated[SignedIn, Depends(current)]) -> SignedIn:
    """`current`, and for a mutating method the session's CSRF token in `X-CSRF-Token`."""
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), who.session.csrf.encode()):
            raise ApiProblem(403, "BadCsrfToken", f"Send the session's CSRF token in {CSRF_HEADER}")
    return who


async def supervisor(who: Annotated[SignedIn, Depends(require_csrf)]) -> SignedIn:
    """A signed-in supervisor or admin; 403 for anyone else."""
    if not who.principal.can(Role.SUPERVISOR):
        raise ApiProblem(
            403, "AccessDenied", "This needs the CallCenterManager or Admin security profile"
        )
    return who


Supervisor = Annotated[SignedIn, Depends(supervisor)]


def problem_response(status: int, code: str, message: str) -> Response:
    """Switchboard's JSON refusal: `{"code": ..., "message": ...}`."""
    return Response(
        orjson.dumps({"code": code, "message": message}),
        status_code=status,
        media_type="application/json",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer `ApiProblem`, domain refusals and malformed requests as JSON, never a traceback."""

    async def problem(_: Request, error: Exception) -> Response:
        assert isinstance(error, ApiProblem)
        return problem_response(error.status, error.code, error.message)

    async def domain(_: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        # An illegal move is a conflict with the current state; a bad value is a bad request.
        status = 409 if isinstance(error, IllegalTransition) else 400
        status = {"ResourceNotFoundException": 404, "DuplicateResourceException": 409}.get(
            error.code, status
        )
        return problem_response(status, error.code, error.message)

    async def invalid(_: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in error.errors()
        ]
        return problem_response(422, "InvalidRequest", "; ".join(problems) or "invalid request")

    app.add_exception_handler(ApiProblem, problem)
    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(RequestValidationError, invalid)
