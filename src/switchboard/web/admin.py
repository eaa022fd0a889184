"""Admin page: agent statuses, queues, routing profiles, users and their API access keys.

`/admin` (the Admin security profile only) lists the instance's configuration with a form for
each change; `static/admin.js` sends each form as JSON with the session's CSRF token to this
module's `/admin/api/...` routes, which run the same engine commands as the Connect API
(`domain/commands.py`). The rules are the domain's (`decide` refuses a duplicate name, a bad
display order, a limit out of range…; its refusals answer 400/404/409 with their message); the
request readers are the Connect API's own where it has them (routing profiles' body, PhoneConfig,
the password rule). Access keys go through `api/access_keys.py`'s routes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.api.auth import Role
from switchboard.api.connect import _PASSWORD as PASSWORD_RULE  # Connect's own password rule
from switchboard.api.connect import _phone_settings as phone_settings  # PhoneConfig's reader
from switchboard.api.connect import _profile_command as profile_command  # the profile body
from switchboard.api.registry import BASIC_HOURS, Instance, UserExtras
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem, SignedIn, require_csrf
from switchboard.api.wire import ApiError, Body
from switchboard.domain import commands as cmd
from switchboard.domain.model import (
    CHANNELS,
    AgentId,
    Channel,
    Millis,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.web.shell import AdminViewer, page_router, render

__all__ = ["UserLine", "router", "status_lines", "user_lines"]

PASSWORD_MESSAGE = (
    "Password must be 8 to 64 characters with an upper-case letter, a lower-case letter and a digit"
)


# --- what the page lists ------------------------------------------------------------------------


def status_lines(instance: Instance) -> list[dict[str, Any]]:
    """Every agent status in display order (disabled ones too: they can be enabled again)."""
    statuses = sorted(
        instance.engine.state.statuses.values(),
        key=lambda s: (s.display_order, s.name.casefold()),
    )
    return [
        {
            "id": s.id,
            "name": s.name,
            "type": s.type.value,
            "enabled": s.enabled,
            "order": s.display_order,
            "custom": s.type.value == "CUSTOM",
        }
        for s in statuses
    ]


@dataclass(frozen=True, slots=True)
class UserLine:
    """One user as the admin page lists them."""

    id: str
    username: str
    name: str
    routing_profile: str
    security_profiles: tuple[str, ...]
    acw_limit_s: int
    """Voice ACW time limit in seconds (0: no limit)."""
    auto_accept: bool
    """Voice auto-accept."""


def user_lines(instance: Instance) -> list[UserLine]:
    """Every user, by username."""
    state = instance.engine.state
    lines = []
    for agent in state.agents.values():
        profile = state.profiles.get(agent.profile_id)
        lines.append(
            UserLine(
                id=agent.id,
                username=agent.username,
                name=f"{agent.first_name} {agent.last_name}".strip(),
                routing_profile=profile.name if profile is not None else "—",
                security_profiles=tuple(instance.profile_names(agent.id)),
                acw_limit_s=agent.acw_timeout_ms.get(Channel.VOICE, 0) // 1000,
                auto_accept=agent.auto_accept.get(Channel.VOICE, False),
            )
        )
    return sorted(lines, key=lambda u: u.username.casefold())


def _profile_lines(instance: Instance) -> list[dict[str, Any]]:
    state = instance.engine.state
    out = []
    for profile in state.profiles.values():
        queues = sorted(
            {
                f"{state.queues[line.queue_id].name} ({line.channel.value.title()})"
                for line in profile.queues
                if line.queue_id in state.queues
            }
        )
        outbound = profile.default_outbound_queue_id
        out.append(
            {
                "id": profile.id,
                "name": profile.name,
                "description": instance.descriptions.get(profile.id, ""),
                "concurrency": " · ".join(
                    f"{c.value.title()} {n}"
                    for c in CHANNELS
                    if (n := profile.concurrency.get(c, 0))
                ),
                "queues": ", ".join(queues) or "—",
                "outbound": state.queues[outbound].name if outbound in state.queues else "—",
            }
        )
    return out


# --- requests -----------------------------------------------------------------------------------

NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=127)]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=250)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewStatus(_Request):
    Name: NameText
    Description: FreeText = ""
    Enabled: bool = True
    DisplayOrder: int | None = None


class StatusChange(_Request):
    Name: NameText | None = None
    Enabled: bool | None = None
    DisplayOrder: int | None = None


class NewQueue(_Request):
    Name: NameText
    Description: FreeText = ""


class PhoneSettings(_Request):
    AutoAccept: bool | None = None
    AfterContactWorkTimeLimit: int | None = None


class NewUser(_Request):
    Username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    FirstName: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    LastName: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    Password: str
    SecurityProfileIds: list[str] = Field(min_length=1)
    RoutingProfileId: str
    PhoneConfig: PhoneSettings = PhoneSettings()


class NewPassword(_Request):
    Password: str


class RoutingProfileChange(_Request):
    RoutingProfileId: str


async def admin_caller(who: Annotated[SignedIn, Depends(require_csrf)]) -> SignedIn:
    """A signed-in admin of the session's instance (with the CSRF token); 403 for anyone else."""
    if not who.principal.can(Role.ADMIN):
        raise ApiProblem(403, "AccessDenied", "This needs the Admin security profile")
    return who


Admin = Annotated[SignedIn, Depends(admin_caller)]


def _wire(call: Any, *args: Any) -> Any:
    """Run one of the Connect API's readers; its refusal becomes this API's JSON problem."""
    try:
        return call(*args)
    except ApiError as error:
        raise ApiProblem(error.status, error.code, error.message) from None


def _check_password(password: str) -> None:
    if not PASSWORD_RULE.fullmatch(password):
        raise ApiProblem(400, "InvalidParameterException", PASSWORD_MESSAGE)


def router(server: Server) -> APIRouter:
    """`/admin` (the page) and `/admin/api/...` (its changes), for admins only."""
    pages = page_router()

    @pages.get("/admin", response_class=HTMLResponse)
    async def admin_page(request: Request, who: AdminViewer) -> HTMLResponse:
        instance = who.instance
        state = instance.engine.state
        return render(
            request,
            "admin.html",
            who,
            title="Admin",
            body_class="page-admin",
            instance_id=instance.id,
            statuses=status_lines(instance),
            queues=[
                {
                    "id": q.id,
                    "name": q.name,
                    "description": instance.descriptions.get(q.id, ""),
                    "channels": ", ".join(c.value.title() for c in q.channels),
                }
                for q in state.queues.values()
            ],
            profiles=_profile_lines(instance),
            users=user_lines(instance),
            security_profiles=[
                {"id": p.id, "name": p.name} for p in instance.security_profiles.values()
            ],
            channels=[c.value for c in CHANNELS],
        )

    api = APIRouter(prefix="/admin/api", tags=["admin"], include_in_schema=False)

    def run(instance: Instance, command: cmd.Command) -> Millis:
        at = server.clock.now()
        instance.engine.execute(command, at=at)
        return at

    @api.post("/statuses", status_code=201)
    async def create_status(who: Admin, body: NewStatus) -> dict[str, str]:
        instance = who.instance
        status_id = instance.new_id("agent-state", body.Name, instance.engine.state.statuses)
        at = run(
            instance,
            cmd.CreateAgentStatus(
                status_id=StatusId(status_id),
                name=body.Name,
                enabled=body.Enabled,
                display_order=body.DisplayOrder,
                description=body.Description,
            ),
        )
        instance.modified[status_id] = at
        return {"AgentStatusId": status_id}

    @api.post("/statuses/{status_id}")
    async def update_status(who: Admin, status_id: str, body: StatusChange) -> dict[str, str]:
        instance = who.instance
        at = run(
            instance,
            cmd.UpdateAgentStatus(
                status_id=StatusId(status_id),
                name=body.Name,
                enabled=body.Enabled,
                display_order=body.DisplayOrder,
            ),
        )
        instance.modified[status_id] = at
        return {"AgentStatusId": status_id}

    @api.post("/queues", status_code=201)
    async def create_queue(who: Admin, body: NewQueue) -> dict[str, str]:
        instance = who.instance
        queue_id = instance.new_id("queue", body.Name, instance.engine.state.queues)
        at = run(instance, cmd.CreateQueue(queue_id=QueueId(queue_id), name=body.Name))
        instance.modified[queue_id] = at
        instance.queue_hours[queue_id] = next(
            (h.id for h in instance.hours.values() if h.name == BASIC_HOURS),
            next(iter(instance.hours)),
        )
        if body.Description:
            instance.descriptions[queue_id] = body.Description
        return {"QueueId": queue_id}

    @api.post("/routing-profiles", status_code=201)
    async def create_routing_profile(who: Admin, request: Request) -> dict[str, str]:
        instance = who.instance
        raw = await request.json()
        if not isinstance(raw, dict):
            raise ApiProblem(400, "InvalidRequest", "Send a JSON object")
        body = Body(raw)
        description = _wire(body.need_str, "Description")
        command: cmd.CreateRoutingProfile = _wire(profile_command, instance, body)
        at = run(instance, command)
        instance.modified[command.profile_id] = at
        instance.descriptions[command.profile_id] = description
        return {"RoutingProfileId": command.profile_id}

    @api.post("/users", status_code=201)
    async def create_user(who: Admin, body: NewUser) -> dict[str, str]:
        instance = who.instance
        _check_password(body.Password)
        for profile_id in body.SecurityProfileIds:
            if profile_id not in instance.security_profiles:
                raise ApiProblem(
                    404, "ResourceNotFoundException", f"No security profile {profile_id!r}"
                )
        acw, auto, _ = _wire(phone_settings, Body(body.PhoneConfig.model_dump(exclude_none=True)))
        user_id = instance.new_id("agent", body.Username, instance.engine.state.agents)
        at = run(
            instance,
            cmd.CreateUser(
                agent_id=AgentId(user_id),
                username=body.Username,
                first_name=body.FirstName,
                last_name=body.LastName,
                profile_id=RoutingProfileId(body.RoutingProfileId),
                acw_timeout_ms=acw,
                auto_accept=auto,
            ),
        )
        instance.modified[user_id] = at
        instance.users[AgentId(user_id)] = UserExtras(
            security_profile_ids=tuple(dict.fromkeys(body.SecurityProfileIds))
        )
        await asyncio.to_thread(
            server.accounts.set_password, instance.id, user_id, body.Username, body.Password
        )
        return {"UserId": user_id}

    def user(instance: Instance, user_id: str) -> AgentId:
        if AgentId(user_id) not in instance.engine.state.agents:
            raise ApiProblem(404, "ResourceNotFoundException", f"No user {user_id!r}")
        return AgentId(user_id)

    @api.post("/users/{user_id}/password")
    async def reset_password(who: Admin, user_id: str, body: NewPassword) -> dict[str, str]:
        instance = who.instance
        agent = instance.engine.state.agents[user(instance, user_id)]
        _check_password(body.Password)
        await asyncio.to_thread(
            server.accounts.set_password, instance.id, agent.id, agent.username, body.Password
        )
        return {"UserId": agent.id}

    @api.post("/users/{user_id}/phone-config")
    async def update_phone_config(who: Admin, user_id: str, body: PhoneSettings) -> dict[str, str]:
        instance = who.instance
        agent_id = user(instance, user_id)
        acw, auto, _ = _wire(phone_settings, Body(body.model_dump(exclude_none=True)))
        at = run(
            instance,
            cmd.UpdateUserPhoneConfig(agent_id=agent_id, acw_timeout_ms=acw, auto_accept=auto),
        )
        instance.modified[agent_id] = at
        return {"UserId": agent_id}

    @api.post("/users/{user_id}/routing-profile")
    async def update_routing_profile(
        who: Admin, user_id: str, body: RoutingProfileChange
    ) -> dict[str, str]:
        instance = who.instance
        agent_id = user(instance, user_id)
        at = run(
            instance,
            cmd.UpdateUserRoutingProfile(
                agent_id=agent_id, profile_id=RoutingProfileId(body.RoutingProfileId)
            ),
        )
        instance.modified[agent_id] = at
        return {"UserId": agent_id}

    pages.include_router(api)
    return pages
