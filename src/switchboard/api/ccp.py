"""The CCP API: an agent's own panel (sign-in, status, contacts, dial, transfer), the phone line.

Sign-in (`/switchboard/login`, `logout`, `me`, `instances-for-login`) opens a browser session
(`api/session.py`). The CCP routes act only on the signed-in user's own agent, so their paths
carry no user id; each mutation needs the session's CSRF token, runs one engine command on the
event loop and answers the new CCP snapshot (`ccp_snapshot`, which the live push reuses). A
contact that is not on the user's own CCP is answered 404, whoever holds it.

The phone line (`/switchboard/instances/{InstanceId}/contacts/...`) stands in for the telephone
network: calls arriving, customers answering and hanging up. It is signed like the SDK's calls
(SigV4) with an admin's key (`api/signed.py`).

The rules themselves (who may accept, hold, transfer...) are the engine's: a refusal is the domain
error it raises, answered by `install_problem_handlers`.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchboard.api.auth import SESSION_SECONDS, Principal, Role, roles_of_profiles
from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.api.session import COOKIE, ApiProblem, SignedIn, current, require_csrf
from switchboard.api.signed import SignedCaller
from switchboard.domain import commands as cmd
from switchboard.domain.activity import activity_name, activity_of
from switchboard.domain.model import (
    CHANNELS,
    TRANSFERABLE_STATES,
    Agent,
    AgentId,
    Channel,
    ContactId,
    ContactState,
    Millis,
    QueueId,
    Slot,
    StatusId,
)
from switchboard.domain.transitions import Move, allowed

__all__ = ["ccp_snapshot", "router"]

Me = Annotated[SignedIn, Depends(current)]
Acting = Annotated[SignedIn, Depends(require_csrf)]

M = TypeVar("M", bound=BaseModel)
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_CONTACT_ID = Path(min_length=1, max_length=256)


# --------------------------------------------------------------------------- request bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Body):
    """Sign in to one instance with a username and password (as made by CreateUser)."""

    Username: str = Field(min_length=1, max_length=100)
    Password: str = Field(min_length=1, max_length=256)
    InstanceId: str | None = Field(
        default=None,
        max_length=100,
        description="The instance id or alias; optional when the server has one instance.",
    )


class StatusRequest(_Body):
    """Choose an agent status; a custom status or Offline chosen while on contacts becomes the
    next status (DESIGN §3.9)."""

    AgentStatusId: str = Field(min_length=1, max_length=256)


class DialRequest(_Body):
    """Call a customer (any status, Offline included, if a voice slot is free)."""

    PhoneNumber: str = Field(description="E.164, e.g. +14155550100", max_length=16)
    QueueId: str | None = Field(
        default=None,
        max_length=256,
        description="The outbound queue; the routing profile's default when absent.",
    )


class TransferRequest(_Body):
    """Send a connected contact to a queue: it goes to ACW here and a new contact waits there."""

    QueueId: str = Field(min_length=1, max_length=256)


class InboundRequest(_Body):
    """A customer reaches the contact center: a new contact enters a queue."""

    Channel: Literal["VOICE", "CHAT", "TASK"] = "VOICE"
    QueueId: str = Field(min_length=1, max_length=256)
    CustomerEndpoint: str | None = Field(
        default=None, max_length=256, description="The caller's number (shown on the CCP)."
    )
    Attributes: dict[str, str] = Field(default_factory=dict, max_length=100)


# --------------------------------------------------------------------------- the snapshot


def _actions(slot: Slot) -> list[str]:
    """What the agent may do with this contact now, from the transition table."""
    state, outbound = slot.state, slot.is_outbound
    actions = []
    if allowed(state, Move.ACCEPT, outbound=outbound):
        actions.append("accept")
    if allowed(state, Move.REJECT, outbound=outbound):
        actions.append("reject")
    if slot.channel is Channel.VOICE and allowed(state, Move.HOLD, outbound=outbound):
        actions.append("hold")
    if allowed(state, Move.RESUME, outbound=outbound):
        actions.append("resume")
    if allowed(state, Move.END, outbound=outbound):
        actions.append("end")
    if state in TRANSFERABLE_STATES:
        actions.append("transfer")
    if allowed(state, Move.CLEAR, outbound=outbound):
        actions.append("clear")
    return actions


def ccp_snapshot(instance: Instance, user_id: str, *, now: Millis | None = None) -> dict[str, Any]:
    """The CCP of one user: their status and activity, slots, contacts (newest first, each with
    the actions it allows now), the statuses they may choose and the queues to transfer to.

    Pure and cheap (O(the agent's slots + statuses + queues)); `now` is `ServerTime`, the
    engine's clock when not given. Raises `KeyError` for an unknown user.
    """
    engine = instance.engine
    state = engine.state
    agent = state.agents[AgentId(user_id)]
    status = state.statuses[agent.status_id]
    profile = state.profiles[agent.profile_id]
    activity = activity_of(status.type, ((s.state, s.is_outbound) for s in agent.slots.values()))
    next_status = None
    if agent.next_status_id is not None:
        chosen = state.statuses[agent.next_status_id]
        next_status = {"Id": chosen.id, "Name": chosen.name}
    busy: dict[Channel, int] = {}
    for slot in agent.slots.values():
        busy[slot.channel] = busy.get(slot.channel, 0) + 1
    slots = [
        {"Channel": channel.value, "Total": total, "Busy": busy.get(channel, 0)}
        for channel in CHANNELS
        if (total := profile.concurrency.get(channel, 0)) > 0
    ]
    offer_ms = state.settings.offer_timeout_ms
    contacts = []
    for slot in reversed(agent.slots.values()):
        contact = slot.contact
        queue = state.queues.get(contact.queue_id) if contact.queue_id is not None else None
        card: dict[str, Any] = {
            "ContactId": contact.id,
            "Channel": contact.channel.value,
            "QueueId": contact.queue_id,
            "QueueName": queue.name if queue is not None else None,
            "State": slot.state.value,
            "StateSince": slot.state_start,
            "InitiationMethod": contact.method.value,
            "CustomerEndpoint": contact.customer_endpoint,
            "Attributes": dict(contact.attributes),
            "Actions": _actions(slot),
        }
        if slot.state is ContactState.CONNECTING and not slot.is_outbound:
            card["OfferExpiresAt"] = slot.state_start + offer_ms
        if slot.state is ContactState.ENDED:
            limit = agent.acw_timeout_ms.get(contact.channel, 0)
            if limit > 0:
                card["AcwExpiresAt"] = slot.state_start + limit
        contacts.append(card)
    statuses = sorted(
        (s for s in state.statuses.values() if s.enabled),
        key=lambda s: (s.display_order, s.name.casefold()),
    )
    queues = sorted(state.queues.values(), key=lambda q: (q.name.casefold(), q.id))
    return {
        "ServerTime": engine.clock.now() if now is None else now,
        "Agent": {
            "UserId": agent.id,
            "Username": agent.username,
            "LoggedIn": agent.logged_in,
            "Status": {
                "Id": status.id,
                "Name": status.name,
                "Type": status.type.value,
                "Since": agent.status_start,
            },
            "NextStatus": next_status,
            "Activity": {
                "Name": activity_name(activity, status.name),
                # The same instant the dashboard shows (one definition: the real-time metrics).
                "Since": instance.metrics.activity_since(agent.id) or agent.status_start,
            },
            "Slots": slots,
        },
        "Statuses": [{"Id": s.id, "Name": s.name, "Type": s.type.value} for s in statuses],
        "Queues": [
            {"Id": q.id, "Name": q.name, "Channels": [c.value for c in q.channels]} for q in queues
        ],
        "Contacts": contacts,
    }


# --------------------------------------------------------------------------- helpers


def _signed_in_answer(who: SignedIn) -> dict[str, Any]:
    roles = [role.value for role in Role if role in who.principal.roles]
    return {
        "Username": who.session.username,
        "UserId": who.session.user_id,
        "InstanceId": who.instance.id,
        "InstanceAlias": who.instance.alias,
        "Roles": roles,
        "CsrfToken": who.session.csrf,
    }


def _agent(who: SignedIn) -> Agent:
    """The signed-in user's agent (`current` checked that it exists)."""
    return who.instance.engine.state.agents[AgentId(who.user_id)]


def _own_slot(who: SignedIn, contact_id: str) -> ContactId:
    """The contact if it is on the user's own CCP; 404 otherwise (whoever else holds it)."""
    agent = _agent(who)
    if ContactId(contact_id) not in agent.slots:
        raise ApiProblem(
            404,
            "ContactNotFound",
            f"ContactId {contact_id!r} is not on your CCP ({who.session.username}); "
            "you can act only on your own contacts",
        )
    return ContactId(contact_id)


def _parse(model: type[M], body: bytes) -> M:
    """A request body checked against `model`; 400 that names each problem."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as error:
        problems = []
        for e in error.errors():
            where = ".".join(str(p) for p in e.get("loc", ())) or "body"
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        raise ApiProblem(400, "InvalidRequest", "; ".join(problems)) from None


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a body read by hand (after the signature check)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


# --------------------------------------------------------------------------- the routes


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    api = APIRouter(prefix="/switchboard")
    signed = SignedCaller(server)
    registry = server.registry

    def run(instance: Instance, command: cmd.Command) -> None:
        instance.engine.execute(command, at=server.clock.now())

    def snapshot(who: SignedIn) -> dict[str, Any]:
        return ccp_snapshot(who.instance, who.user_id, now=server.clock.now())

    # --- sign-in ---------------------------------------------------------------------------

    def login_instance(named: str | None) -> Instance:
        if named is None:
            instances = list(registry)
            if len(instances) == 1:
                return instances[0]
            raise ApiProblem(
                400,
                "InvalidRequest",
                f"InstanceId is required: this server has {len(instances)} instances "
                "(GET /switchboard/instances-for-login lists them)",
            )
        instance = registry.get(named) or registry.by_alias(named)
        if instance is None:
            raise ApiProblem(
                404,
                "InstanceNotFound",
                f"InstanceId {named!r} is neither the id nor the alias of an instance here",
            )
        return instance

    @api.get(
        "/instances-for-login",
        tags=["sign-in"],
        summary="The instances a user may sign in to (id and alias)",
    )
    async def instances_for_login() -> list[dict[str, str]]:
        return [
            {"InstanceId": i.id, "InstanceAlias": i.alias}
            for i in sorted(registry, key=lambda i: i.alias.casefold())
        ]

    @api.post("/login", tags=["sign-in"], summary="Sign in: sets the sb_session cookie")
    async def login(body: LoginRequest, request: Request, response: Response) -> dict[str, Any]:
        instance = login_instance(body.InstanceId)
        user_id = await asyncio.to_thread(
            server.accounts.check_password, instance.id, body.Username, body.Password
        )
        agent = instance.engine.state.agents.get(AgentId(user_id)) if user_id else None
        if agent is None:
            raise ApiProblem(401, "BadCredentials", "Wrong username or password")
        now_s = server.clock.now() // 1000
        token = server.accounts.open_session(instance.id, agent.id, agent.username, now_s)
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        session = server.accounts.session(token, now_s)
        assert session is not None  # just opened
        principal = Principal(
            username=agent.username,
            roles=roles_of_profiles(instance.profile_names(agent.id)),
            instance_id=instance.id,
            user_id=agent.id,
        )
        return _signed_in_answer(SignedIn(session=session, principal=principal, instance=instance))

    @api.post("/logout", tags=["sign-in"], summary="Sign out: ends the session")
    async def logout(who: Acting, request: Request, response: Response) -> dict[str, Any]:
        server.accounts.close_session(request.cookies.get(COOKIE, ""))
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return {"Username": who.session.username, "SignedOut": True}

    @api.get("/me", tags=["sign-in"], summary="Who is signed in (as /login answers)")
    async def me(who: Me) -> dict[str, Any]:
        return _signed_in_answer(who)

    # --- the agent's own CCP ---------------------------------------------------------------

    @api.get("/ccp", tags=["ccp"], summary="The signed-in agent's CCP snapshot")
    async def get_ccp(who: Me) -> dict[str, Any]:
        return snapshot(who)

    @api.post("/ccp/login", tags=["ccp"], summary="Log in to the CCP (LOGIN event)")
    async def ccp_login(who: Acting) -> dict[str, Any]:
        agent = _agent(who)
        if not agent.logged_in:  # a second tab or a reload finds the agent logged in already
            run(who.instance, cmd.Login(agent_id=agent.id))
        return snapshot(who)

    @api.post(
        "/ccp/logout",
        tags=["ccp"],
        summary="Log out of the CCP (Offline, then LOGOUT); refused while on a live contact",
    )
    async def ccp_logout(who: Acting) -> dict[str, Any]:
        agent = _agent(who)
        if agent.logged_in:
            run(who.instance, cmd.Logout(agent_id=agent.id, actor="agent"))
        return snapshot(who)

    @api.put("/ccp/status", tags=["ccp"], summary="Choose a status (or the next status)")
    async def put_status(body: StatusRequest, who: Acting) -> dict[str, Any]:
        run(
            who.instance,
            cmd.SetStatus(
                agent_id=_agent(who).id,
                status_id=StatusId(body.AgentStatusId),
                actor="agent",
            ),
        )
        return snapshot(who)

    contact_commands: dict[str, type[cmd.Command]] = {
        "accept": cmd.AcceptContact,
        "reject": cmd.RejectContact,
        "hold": cmd.HoldContact,
        "resume": cmd.ResumeContact,
        "end": cmd.EndContact,
        "clear": cmd.ClearContact,
    }

    def contact_route(action: str, command: type[cmd.Command]) -> None:
        async def act(ContactId: Annotated[str, _CONTACT_ID], who: Acting) -> dict[str, Any]:  # noqa: N803 -- Connect's name
            contact_id = _own_slot(who, ContactId)
            agent_id = _agent(who).id
            run(who.instance, command(agent_id=agent_id, contact_id=contact_id))  # type: ignore[call-arg]
            return snapshot(who)

        api.add_api_route(
            f"/ccp/contacts/{{ContactId}}/{action}",
            act,
            methods=["POST"],
            tags=["ccp"],
            summary=f"{action.title()} one of your contacts",
            name=f"ccp_{action}",
        )

    for action, command in contact_commands.items():
        contact_route(action, command)

    @api.post(
        "/ccp/contacts/{ContactId}/transfer",
        tags=["ccp"],
        summary="Transfer one of your connected contacts to a queue",
    )
    async def transfer(
        ContactId: Annotated[str, _CONTACT_ID],  # noqa: N803 -- Connect's name
        body: TransferRequest,
        who: Acting,
    ) -> dict[str, Any]:
        contact_id = _own_slot(who, ContactId)
        engine = who.instance.engine
        new_id = engine.new_contact_id()
        run(
            who.instance,
            cmd.TransferToQueue(
                agent_id=_agent(who).id,
                contact_id=contact_id,
                queue_id=QueueId(body.QueueId),
                new_contact_id=new_id,
            ),
        )
        return {"ContactId": new_id, "PreviousContactId": contact_id}

    @api.post("/ccp/dial", tags=["ccp"], summary="Call a customer from your CCP")
    async def dial(body: DialRequest, who: Acting) -> dict[str, Any]:
        if not _E164.fullmatch(body.PhoneNumber):
            raise ApiProblem(
                400,
                "InvalidRequest",
                f"PhoneNumber {body.PhoneNumber!r} is not in E.164 form (+ and 2 to 15 digits, "
                "e.g. +14155550100)",
            )
        instance = who.instance
        if not instance.outbound_calls:
            raise ApiProblem(
                403, "OutboundCallsDisabled", f"Outbound calls are off in instance {instance.alias}"
            )
        engine = instance.engine
        contact_id = engine.new_contact_id()
        run(
            instance,
            cmd.DialOut(
                agent_id=_agent(who).id,
                contact_id=contact_id,
                queue_id=QueueId(body.QueueId) if body.QueueId is not None else None,
                customer_endpoint=body.PhoneNumber,
            ),
        )
        return {"ContactId": contact_id}

    # --- the phone line --------------------------------------------------------------------

    async def line_instance(request: Request, instance_id: str, what: str) -> Instance:
        await signed.admin_of(request, instance_id, what=what)
        instance = registry.get(instance_id)
        if instance is None:
            raise ApiProblem(404, "InstanceNotFound", f"InstanceId {instance_id!r} does not exist")
        return instance

    def line_contact(instance: Instance, contact_id: str) -> ContactId:
        if ContactId(contact_id) not in instance.engine.state.contact_ids:
            raise ApiProblem(
                404,
                "ContactNotFound",
                f"ContactId {contact_id!r} does not exist in instance {instance.alias}",
            )
        return ContactId(contact_id)

    @api.post(
        "/instances/{InstanceId}/contacts/inbound",
        tags=["phone line"],
        summary="A customer calls (or starts a chat or task): a new contact enters a queue",
        description="Signed with SigV4 (service `connect`) by an admin's access key.",
        openapi_extra=_documented(InboundRequest),
    )
    async def inbound(InstanceId: str, request: Request) -> dict[str, Any]:  # noqa: N803
        instance = await line_instance(request, InstanceId, "place calls on the phone line")
        body = _parse(InboundRequest, await request.body())
        contact_id = instance.engine.new_contact_id()
        run(
            instance,
            cmd.StartInboundContact(
                contact_id=contact_id,
                channel=Channel(body.Channel),
                queue_id=QueueId(body.QueueId),
                customer_endpoint=body.CustomerEndpoint,
                attributes=tuple(sorted(body.Attributes.items())),
            ),
        )
        return {"ContactId": contact_id}

    def line_event(path: str, make: type[cmd.Command], summary: str, what: str) -> None:
        async def handle(InstanceId: str, ContactId: str, request: Request) -> dict[str, Any]:  # noqa: N803
            instance = await line_instance(request, InstanceId, what)
            contact_id = line_contact(instance, ContactId)
            run(instance, make(contact_id=contact_id))  # type: ignore[call-arg]
            return {"ContactId": contact_id}

        api.add_api_route(
            f"/instances/{{InstanceId}}/contacts/{{ContactId}}/{path}",
            handle,
            methods=["POST"],
            tags=["phone line"],
            summary=summary,
            description="Signed with SigV4 (service `connect`) by an admin's access key.",
            name=f"line_{path.replace('-', '_')}",
        )

    line_event(
        "customer-hangup",
        cmd.CustomerHangup,
        "The customer hangs up (queued, ringing or talking; after a transfer, the id of any "
        "contact of the call)",
        "hang up calls on the phone line",
    )
    line_event(
        "customer-answer",
        cmd.CustomerAnswered,
        "The customer picks up an agent's outbound call",
        "answer calls on the phone line",
    )
    return api
