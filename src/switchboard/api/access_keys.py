"""Users' access keys, issued by admins: create, list and delete the keys SDK clients sign with.

`/switchboard/instances/{InstanceId}/users/{UserId}/access-keys`: POST makes a key for the user
and answers its secret (shown this once, never stored in clear: `Accounts` keeps it encrypted),
GET lists the user's key ids, DELETE `.../{AccessKeyId}` revokes one at once (the verifier looks
each key up on every request). A key acts as its user, with their security profiles (DESIGN §9).

Two callers may manage keys: a signed-in browser session of an admin of that instance (with the
session's CSRF token), and a program signing with SigV4 as the server-wide admin (`switchboard
keys create --role admin`), verified by `api/signed.py` as Connect's calls are. Refusals are
`ApiProblem`s, JSON `{code, message}`: 401 for a missing or bad session or signature, 403 for a
caller who may not manage these keys, 404 for an unknown instance, user or key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from switchboard.api.auth import Principal, Role
from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem, current, require_csrf
from switchboard.api.signed import SignedCaller
from switchboard.domain.model import Agent, AgentId

__all__ = ["AccessKeyCreated", "AccessKeySummary", "router"]

PATH = "/switchboard/instances/{InstanceId}/users/{UserId}/access-keys"


class AccessKeyCreated(BaseModel):
    """A new key: its id and its secret, which is shown only in this answer."""

    AccessKeyId: str
    SecretAccessKey: str


class AccessKeySummary(BaseModel):
    """One of a user's keys (never its secret)."""

    AccessKeyId: str
    CreatedAt: datetime


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    signed = SignedCaller(server)
    accounts = server.accounts

    async def key_manager(request: Request, InstanceId: str) -> Principal:  # noqa: N803 -- the path's name
        """The caller, if they may manage the instance's keys (see the module doc)."""
        if "authorization" in request.headers:
            principal = await signed.principal(request)
            if not principal.is_server_admin:
                raise ApiProblem(
                    403,
                    "AccessDenied",
                    "Access keys are managed with the server-wide admin key "
                    "(switchboard keys create --role admin) or by a signed-in admin",
                )
            return principal
        who = await require_csrf(request, await current(request))
        if who.session.instance_id != InstanceId:
            raise ApiProblem(403, "AccessDenied", "You are signed in to another instance")
        if not who.principal.can(Role.ADMIN):
            raise ApiProblem(403, "AccessDenied", "This needs the Admin security profile")
        return who.principal

    def user_of(instance_id: str, user_id: str) -> tuple[Instance, Agent]:
        instance = server.registry.get(instance_id)
        if instance is None:
            raise ApiProblem(404, "ResourceNotFound", f"No instance {instance_id!r}")
        agent = instance.engine.state.agents.get(AgentId(user_id))
        if agent is None:
            raise ApiProblem(404, "ResourceNotFound", f"No user {user_id!r} in this instance")
        return instance, agent

    def keys_of(instance_id: str, user_id: str) -> list[AccessKeySummary]:
        mine = [
            (int(doc.get("created_at") or 0), key_id)
            for key_id, doc in accounts.catalog.items("access-key")
            if doc.get("instance_id") == instance_id and doc.get("user_id") == user_id
        ]
        return [
            AccessKeySummary(AccessKeyId=key_id, CreatedAt=datetime.fromtimestamp(created, UTC))
            for created, key_id in sorted(mine)
        ]

    # A router dependency, not an annotation: the handlers need no value from it, and FastAPI
    # resolves string annotations in module globals, where this closure is not.
    api = APIRouter(prefix=PATH, tags=["access keys"], dependencies=[Depends(key_manager)])

    @api.post(
        "",
        status_code=201,
        summary="Create an access key for a user (the secret is shown only in this answer)",
    )
    async def create_key(
        InstanceId: str,  # noqa: N803 -- the path's name
        UserId: str,  # noqa: N803 -- the path's name
    ) -> AccessKeyCreated:
        instance, agent = user_of(InstanceId, UserId)
        key = accounts.create_key(
            username=agent.username,
            instance_id=instance.id,
            user_id=agent.id,
            now_s=server.clock.now() // 1000,
        )
        return AccessKeyCreated(
            AccessKeyId=key.access_key_id, SecretAccessKey=key.secret_access_key
        )

    @api.get("", summary="A user's access keys (ids and creation times, never secrets)")
    async def list_keys(
        InstanceId: str,  # noqa: N803 -- the path's name
        UserId: str,  # noqa: N803 -- the path's name
    ) -> list[AccessKeySummary]:
        instance, agent = user_of(InstanceId, UserId)
        return keys_of(instance.id, agent.id)

    @api.delete(
        "/{AccessKeyId}",
        status_code=204,
        summary="Delete a user's access key (requests signed with it are refused at once)",
    )
    async def delete_key(
        InstanceId: str,  # noqa: N803 -- the path's name
        UserId: str,  # noqa: N803 -- the path's name
        AccessKeyId: str,  # noqa: N803 -- the path's name
    ) -> Response:
        instance, agent = user_of(InstanceId, UserId)
        owner = accounts.key_owner(AccessKeyId)
        if owner is None or (owner["instance_id"], owner["user_id"]) != (instance.id, agent.id):
            raise ApiProblem(
                404, "ResourceNotFound", f"User {UserId!r} has no access key {AccessKeyId!r}"
            )
        accounts.delete_key(AccessKeyId)
        return Response(status_code=204)

    return api
