"""The supervisor API: live agents and queues, status changes, clears, logouts, an audit trail.

Routes under `/switchboard/instances/{InstanceId}/...` for a signed-in supervisor (the
CallCenterManager or Admin security profile) of that very instance (DESIGN §3.12, §9). Reads are
two pure views of the engine's state and its real-time projection, `agent_rows` and
`metric_rows`, which live push (`api/push.py`) sends as they change. Each action (set a status,
clear a stuck slot, force a logout, alone or in bulk) needs a reason, runs as an engine command
with the supervisor's username as its actor, and is written to the catalog's audit trail.

Service level today is the one figure the real-time projection lacks: `ServiceLevelToday`
follows each engine's events from the first time it is read (finished contacts of the day
before that are read back from the instance's published records).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem, SignedIn, Supervisor
from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.errors import DomainError
from switchboard.domain.intervals import IntervalLength, align
from switchboard.domain.model import (
    CHANNELS,
    Agent,
    AgentId,
    AgentStatusDef,
    Channel,
    ContactId,
    Millis,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.engine.engine import Engine
from switchboard.engine.metrics import RealTimeMetrics
from switchboard.formats.timestamps import iso_ms
from switchboard.storage.catalog import AuditEntry

__all__ = [
    "SERVICE_LEVEL_THRESHOLD_S",
    "AgentFilters",
    "MetricFilters",
    "ServiceLevelToday",
    "agent_filters",
    "agent_rows",
    "metric_filters",
    "metric_rows",
    "own_instance",
    "router",
    "service_level_today",
]

SERVICE_LEVEL_THRESHOLD_S = 20
"""The dashboard's service level: contacts answered within this many seconds of being queued."""

MAX_AUDIT_LIMIT = 1000
MAX_BULK_USERS = 500


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentFilters:
    """Which agents the table shows: those serving a queue, those of a routing profile."""

    queue_id: QueueId | None = None
    routing_profile_id: RoutingProfileId | None = None


@dataclass(frozen=True, slots=True)
class MetricFilters:
    """Which queue/channel rows the metrics show."""

    queue_id: QueueId | None = None
    channel: Channel | None = None


def agent_filters(
    instance: Instance, queue_id: str | None, routing_profile_id: str | None
) -> AgentFilters:
    """Checked filters of the agent table; a 404 names an unknown queue or routing profile."""
    state = instance.engine.state
    if queue_id and QueueId(queue_id) not in state.queues:
        raise ApiProblem(404, "QueueNotFound", f"Queue {queue_id!r} is not in this instance")
    if routing_profile_id and RoutingProfileId(routing_profile_id) not in state.profiles:
        raise ApiProblem(
            404,
            "RoutingProfileNotFound",
            f"Routing profile {routing_profile_id!r} is not in this instance",
        )
    return AgentFilters(
        QueueId(queue_id) if queue_id else None,
        RoutingProfileId(routing_profile_id) if routing_profile_id else None,
    )


def metric_filters(instance: Instance, queue_id: str | None, channel: str | None) -> MetricFilters:
    """Checked filters of the metric rows; a 404 or 400 names what is wrong."""
    if queue_id and QueueId(queue_id) not in instance.engine.state.queues:
        raise ApiProblem(404, "QueueNotFound", f"Queue {queue_id!r} is not in this instance")
    picked: Channel | None = None
    if channel:
        try:
            picked = Channel(channel.upper())
        except ValueError:
            names = ", ".join(c.value for c in CHANNELS)
            raise ApiProblem(
                400, "InvalidChannel", f"Channel {channel!r} is not one of {names}"
            ) from None
    return MetricFilters(QueueId(queue_id) if queue_id else None, picked)


# --- the agent table -----------------------------------------------------------------------------


def agent_rows(
    instance: Instance,
    filters: AgentFilters = AgentFilters(),
    *,
    now: Millis,
    snapshot: RealTimeMetrics | None = None,
) -> list[dict[str, Any]]:
    """The live agent table, in the order agents were created (a pure view of the state).

    Times are ISO 8601 UTC with milliseconds; a client ticks the durations itself, so a row
    changes only when something happens to its agent. `snapshot` (the projection at `now`) may be
    passed in when the caller has it already.
    """
    state = instance.engine.state
    metrics = snapshot if snapshot is not None else instance.metrics.snapshot(now)
    activities = {row.agent_id: row for row in metrics.activities}
    rows = []
    for agent in state.agents.values():
        profile = state.profiles[agent.profile_id]
        if filters.routing_profile_id is not None and profile.id != filters.routing_profile_id:
            continue
        if filters.queue_id is not None and all(
            line.queue_id != filters.queue_id for line in profile.queues
        ):
            continue
        status = state.statuses[agent.status_id]
        activity = activities.get(agent.id)
        held: dict[Channel, int] = {}
        contacts = []
        for slot in agent.slots.values():
            contact = slot.contact
            held[contact.channel] = held.get(contact.channel, 0) + 1
            queue = state.queues.get(contact.queue_id) if contact.queue_id is not None else None
            contacts.append(
                {
                    "ContactId": contact.id,
                    "Channel": contact.channel.value,
                    "InitiationMethod": contact.method.value,
                    "QueueId": contact.queue_id,
                    "QueueName": queue.name if queue is not None else None,
                    "State": slot.state.value,
                    "StateSince": iso_ms(slot.state_start),
                }
            )
        next_status = None
        if agent.next_status_id is not None:
            upcoming = state.statuses[agent.next_status_id]
            next_status = {
                "Id": upcoming.id,
                "Name": upcoming.name,
                "Since": iso_ms(agent.next_status_at),
            }
        rows.append(
            {
                "UserId": agent.id,
                "Username": agent.username,
                "FirstName": agent.first_name,
                "LastName": agent.last_name,
                "LoggedIn": agent.logged_in,
                "RoutingProfile": {"Id": profile.id, "Name": profile.name},
                "Status": {
                    "Id": status.id,
                    "Name": status.name,
                    "Type": status.type.value,
                    "Since": iso_ms(agent.status_start),
                },
                "Activity": {
                    # Name: what Connect's report writes (a custom status shows its own name);
                    # Kind: the fixed activity behind it, which picks the colour (UI.md).
                    "Name": activity.activity_name if activity else status.name,
                    "Kind": activity.activity.value if activity else status.type.value,
                    "Since": iso_ms(activity.since if activity else agent.status_start),
                },
                "Contacts": contacts,
                "Slots": [
                    {"Channel": channel.value, "Total": total, "Busy": held.get(channel, 0)}
                    for channel in CHANNELS
                    if (total := profile.concurrency.get(channel, 0)) > 0
                ],
                "NextStatus": next_status,
            }
        )
    return rows


# --- service level today -------------------------------------------------------------------------


@dataclass(slots=True)
class _DayCounts:
    answered: int = 0
    answered_within: int = 0
    unanswered: int = 0
    """Left their queue without reaching an agent (abandoned, stopped)."""


@dataclass(slots=True)
class ServiceLevelToday:
    """Contacts answered within `SERVICE_LEVEL_THRESHOLD_S` since local midnight, per queue and
    channel, kept current from an engine's events.

    A contact counts on the day it leaves its queue: answered (an agent accepted it; its wait is
    the difference of whole-second enqueue and accept times, as in contact records) or
    unanswered (it ended without an agent: abandoned or stopped). A contact still waiting past the
    threshold has already missed it, so it counts as a miss at once; one waiting less is not
    counted yet. Service level = answered within / (answered + unanswered + waiting past).
    """

    engine: Engine
    day: Millis = -1
    counts: dict[tuple[QueueId, Channel], _DayCounts] = field(default_factory=dict)
    waiting: dict[ContactId, tuple[QueueId, Channel, Millis]] = field(default_factory=dict)
    """Contacts queued and not yet answered or ended: (queue, channel, enqueue time)."""

    @classmethod
    def attach(cls, instance: Instance, now: Millis) -> ServiceLevelToday:
        """Follow `instance`'s engine from now on, after counting what today already holds."""
        tally = cls(instance.engine)
        tally._roll(now)
        state = instance.engine.state
        live = set(state.contacts)
        for contact in state.contacts.values():
            if contact.enqueue_at is None or contact.queue_id is None:
                continue
            if contact.connected_at is None:
                tally.waiting[contact.id] = (contact.queue_id, contact.channel, contact.enqueue_at)
            elif contact.dequeue_at is not None and contact.dequeue_at >= tally.day:
                tally._answer(
                    contact.queue_id, contact.channel, contact.enqueue_at, contact.dequeue_at
                )
        _, records = instance.history.records(tally.day, now + 1)
        queues = {queue.name: queue.id for queue in state.queues.values()}
        for record in records:
            if record.contact_id in live or record.enqueue_at is None:
                continue
            queue_id = (
                QueueId(record.queue_arn.rpartition("/")[2])
                if record.queue_arn
                else queues.get(record.queue_name or "")
            )
            try:
                channel = Channel(record.channel)
            except ValueError:
                continue
            if queue_id is None:
                continue
            connected = record.agent.connected_at if record.agent is not None else None
            left = record.dequeue_at if record.dequeue_at is not None else record.disconnect_at
            if left is None or left < tally.day:
                continue
            if connected is not None:
                tally._answer(queue_id, channel, record.enqueue_at, left)
            else:
                tally._line(queue_id, channel).unanswered += 1
        instance.engine.on_event(tally.apply)
        return tally

    def _roll(self, at: Millis) -> None:
        day = align(at, IntervalLength.DAY, self.engine.state.settings.time_zone)
        if day != self.day:
            self.day = day
            self.counts.clear()

    def _line(self, queue_id: QueueId, channel: Channel) -> _DayCounts:
        line = self.counts.get((queue_id, channel))
        if line is None:
            line = self.counts[queue_id, channel] = _DayCounts()
        return line

    def _answer(self, queue_id: QueueId, channel: Channel, enqueued: Millis, at: Millis) -> None:
        line = self._line(queue_id, channel)
        line.answered += 1
        if at // 1000 - enqueued // 1000 <= SERVICE_LEVEL_THRESHOLD_S:
            line.answered_within += 1

    def apply(self, event: ev.Event) -> None:
        """Take one event that has just been applied to the engine's state."""
        contact_id: ContactId | None = getattr(event, "contact_id", None)
        if contact_id is None:
            return
        contact = self.engine.state.contacts.get(contact_id)
        if isinstance(event, ev.ContactAccepted):
            queued = self.waiting.pop(contact_id, None)
            if queued is not None:
                self._roll(event.at)
                self._answer(queued[0], queued[1], queued[2], event.at)
            return
        if contact is None:
            queued = self.waiting.pop(contact_id, None)
            if queued is not None:  # it ended without reaching an agent
                self._roll(event.at)
                self._line(queued[0], queued[1]).unanswered += 1
            return
        if (
            contact.connected_at is None
            and contact.enqueue_at is not None
            and contact.queue_id is not None
        ):
            self.waiting[contact_id] = (contact.queue_id, contact.channel, contact.enqueue_at)

    def figures(self, queue_id: QueueId, channel: Channel, now: Millis) -> dict[str, Any]:
        """The service level of one queue and channel today, with the counts behind it."""
        self._roll(now)
        line = self.counts.get((queue_id, channel)) or _DayCounts()
        late = sum(
            1
            for q, c, enqueued in self.waiting.values()
            if q == queue_id
            and c is channel
            and now // 1000 - enqueued // 1000 > SERVICE_LEVEL_THRESHOLD_S
        )
        total = line.answered + line.unanswered + late
        return {
            "ThresholdSeconds": SERVICE_LEVEL_THRESHOLD_S,
            "Percent": round(100 * line.answered_within / total, 2) if total else None,
            "AnsweredWithin": line.answered_within,
            "Answered": line.answered,
            "Unanswered": line.unanswered,
            "WaitingPast": late,
        }


_SERVICE_LEVELS: weakref.WeakKeyDictionary[Engine, ServiceLevelToday] = weakref.WeakKeyDictionary()
"""One tally per engine, made the first time it is read (an engine's projections live as long as
it does; the instance record has no room for this one)."""


def service_level_today(instance: Instance, now: Millis) -> ServiceLevelToday:
    """The instance's service-level tally, attached to its engine on first use."""
    tally = _SERVICE_LEVELS.get(instance.engine)
    if tally is None:
        tally = _SERVICE_LEVELS[instance.engine] = ServiceLevelToday.attach(instance, now)
    return tally


# --- the metric rows -----------------------------------------------------------------------------


def metric_rows(
    instance: Instance,
    filters: MetricFilters = MetricFilters(),
    *,
    now: Millis,
    snapshot: RealTimeMetrics | None = None,
) -> list[dict[str, Any]]:
    """One row per queue and channel (in the order queues were created): contacts waiting, the
    agents serving it by Amazon Connect's real-time definitions, and service level today.

    Agent counts come from the engine's `RealTimeProjection`; `AfterContactWork` counts
    *contacts* in ACW, as Connect's AGENTS_AFTER_CONTACT_WORK does. The oldest contact's age is
    in whole seconds at `now`, beside its enqueue time so that a client can tick it.
    """
    metrics = snapshot if snapshot is not None else instance.metrics.snapshot(now)
    levels = service_level_today(instance, now)
    rows = []
    for line in metrics.queues:
        if filters.queue_id is not None and line.queue_id != filters.queue_id:
            continue
        if filters.channel is not None and line.channel is not filters.channel:
            continue
        agents = line.agents
        oldest = line.oldest_contact_age_ms
        rows.append(
            {
                "QueueId": line.queue_id,
                "QueueName": line.queue_name,
                "Channel": line.channel.value,
                "ContactsInQueue": line.contacts_in_queue,
                "OldestContactAgeSeconds": None if oldest is None else oldest // 1000,
                "OldestContactSince": None if oldest is None else iso_ms(now - oldest),
                "AgentsOnline": agents.online,
                "AgentsAvailable": agents.available,
                "AgentsStaffed": agents.staffed,
                "AgentsOnContact": agents.on_contact,
                "AgentsNonProductive": agents.non_productive,
                "AfterContactWork": agents.after_contact_work,
                "AgentsError": agents.error,
                "SlotsAvailable": agents.slots_available,
                "SlotsActive": agents.slots_active,
                "ServiceLevel": levels.figures(line.queue_id, line.channel, now),
            }
        )
    return rows


# --- requests ------------------------------------------------------------------------------------

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    Field(description="Why: written to the audit trail (required, not blank)."),
]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusChange(_Request):
    """Set an agent's status as the CCP would (a live contact makes it the next status)."""

    AgentStatusId: Identifier
    Reason: Reason


class Reasoned(_Request):
    """An action that needs only a reason."""

    Reason: Reason


class BulkAction(_Request):
    """One action on several agents; each is tried, audited and answered on its own."""

    UserIds: list[Identifier] = Field(min_length=1, max_length=MAX_BULK_USERS)
    Action: Literal["SET_STATUS", "LOGOUT"]
    AgentStatusId: Identifier | None = None
    Reason: Reason

    @model_validator(mode="after")
    def _status_for_set_status(self) -> BulkAction:
        if self.Action == "SET_STATUS" and self.AgentStatusId is None:
            raise ValueError("AgentStatusId is required when Action is SET_STATUS")
        return self


# --- routes --------------------------------------------------------------------------------------


def own_instance(who: SignedIn, instance_id: str) -> Instance:
    """The session's instance, which must be the one in the path (403 for any other)."""
    if who.instance.id != instance_id:
        raise ApiProblem(
            403,
            "AccessDenied",
            f"Your session is for instance {who.instance.id}; it cannot see, watch or change "
            f"instance {instance_id}",
        )
    return who.instance


def _agent(instance: Instance, user_id: str) -> Agent:
    agent = instance.engine.state.agents.get(AgentId(user_id))
    if agent is None:
        raise ApiProblem(404, "UserNotFound", f"User {user_id!r} is not in this instance")
    return agent


def _status(instance: Instance, status_id: str) -> AgentStatusDef:
    status = instance.engine.state.statuses.get(StatusId(status_id))
    if status is None:
        raise ApiProblem(
            404, "AgentStatusNotFound", f"Agent status {status_id!r} is not in this instance"
        )
    return status


InstancePath = Annotated[str, Path(alias="InstanceId", max_length=256)]
UserPath = Annotated[str, Path(alias="UserId", max_length=256)]


def router(server: Server) -> APIRouter:
    """The routes of this module, bound to `server`."""
    routes = APIRouter(prefix="/switchboard/instances/{InstanceId}", tags=["supervisor"])

    async def audit(
        who: SignedIn, action: str, agent: Agent, reason: str, detail: dict[str, Any]
    ) -> None:
        entry = AuditEntry(
            at=server.clock.now(),
            instance_id=who.instance.id,
            actor=who.principal.username,
            action=action,
            target=agent.id,
            reason=reason,
            detail={"Username": agent.username, **detail},
        )
        await asyncio.to_thread(server.backend.catalog.audit, entry)

    def run(instance: Instance, command: cmd.Command) -> None:
        instance.engine.execute(command, at=server.clock.now())

    def set_status(who: SignedIn, agent: Agent, status: AgentStatusDef) -> dict[str, Any]:
        run(
            who.instance,
            cmd.SetStatus(agent_id=agent.id, status_id=status.id, actor=who.principal.username),
        )
        became = "STATUS" if agent.status_id == status.id else "NEXT_STATUS"
        return {"AgentStatusId": status.id, "AgentStatusName": status.name, "Outcome": became}

    def logout(who: SignedIn, agent: Agent) -> dict[str, Any]:
        ended = [s.contact.id for s in agent.slots.values()]
        run(
            who.instance,
            cmd.Logout(agent_id=agent.id, actor=who.principal.username, forced=True),
        )
        return {"ClearedContacts": ended}

    def row(instance: Instance, agent: Agent) -> dict[str, Any]:
        rows = agent_rows(instance, now=server.clock.now())
        return next(r for r in rows if r["UserId"] == agent.id)

    @routes.get("/agents", summary="The live agent table")
    async def list_agents(
        who: Supervisor,
        instance_id: InstancePath,
        queue_id: Annotated[str | None, Query(alias="QueueId", max_length=256)] = None,
        profile_id: Annotated[str | None, Query(alias="RoutingProfileId", max_length=256)] = None,
    ) -> list[dict[str, Any]]:
        instance = own_instance(who, instance_id)
        filters = agent_filters(instance, queue_id, profile_id)
        return agent_rows(instance, filters, now=server.clock.now())

    @routes.get("/metrics/realtime", summary="Real-time metrics per queue and channel")
    async def realtime_metrics(
        who: Supervisor,
        instance_id: InstancePath,
        queue_id: Annotated[str | None, Query(alias="QueueId", max_length=256)] = None,
        channel: Annotated[str | None, Query(alias="Channel", max_length=16)] = None,
    ) -> list[dict[str, Any]]:
        instance = own_instance(who, instance_id)
        filters = metric_filters(instance, queue_id, channel)
        return metric_rows(instance, filters, now=server.clock.now())

    @routes.put("/agents/{UserId}/status", summary="Change an agent's status")
    async def change_status(
        who: Supervisor, instance_id: InstancePath, user_id: UserPath, body: StatusChange
    ) -> dict[str, Any]:
        instance = own_instance(who, instance_id)
        agent = _agent(instance, user_id)
        detail = set_status(who, agent, _status(instance, body.AgentStatusId))
        await audit(who, "SET_STATUS", agent, body.Reason, detail)
        return row(instance, agent)

    @routes.post(
        "/agents/{UserId}/contacts/{ContactId}/clear",
        summary="Clear a stuck slot (a contact in ACW, missed, rejected or error)",
    )
    async def clear_contact(
        who: Supervisor,
        instance_id: InstancePath,
        user_id: UserPath,
        contact_id: Annotated[str, Path(alias="ContactId", max_length=256)],
        body: Reasoned,
    ) -> dict[str, Any]:
        instance = own_instance(who, instance_id)
        agent = _agent(instance, user_id)
        slot = agent.slots.get(ContactId(contact_id))
        if slot is None:
            raise ApiProblem(
                404,
                "ContactNotFound",
                f"Contact {contact_id!r} is not on {agent.username}'s slots",
            )
        was = slot.state.value
        run(
            instance,
            cmd.ClearContact(
                agent_id=agent.id, contact_id=slot.contact.id, actor=who.principal.username
            ),
        )
        detail = {"ContactId": contact_id, "State": was}
        await audit(who, "CLEAR_CONTACT", agent, body.Reason, detail)
        return row(instance, agent)

    @routes.post("/agents/{UserId}/logout", summary="Log an agent out (forced)")
    async def force_logout(
        who: Supervisor, instance_id: InstancePath, user_id: UserPath, body: Reasoned
    ) -> dict[str, Any]:
        instance = own_instance(who, instance_id)
        agent = _agent(instance, user_id)
        detail = logout(who, agent)
        await audit(who, "LOGOUT", agent, body.Reason, detail)
        return row(instance, agent)

    @routes.post("/agents/bulk", summary="Set the status of, or log out, several agents")
    async def bulk(
        who: Supervisor, instance_id: InstancePath, body: BulkAction
    ) -> list[dict[str, Any]]:
        instance = own_instance(who, instance_id)
        status = _status(instance, body.AgentStatusId) if body.AgentStatusId else None
        results: list[dict[str, Any]] = []
        for user_id in dict.fromkeys(body.UserIds):
            try:
                agent = _agent(instance, user_id)
                if status is not None and body.Action == "SET_STATUS":
                    detail = set_status(who, agent, status)
                else:
                    detail = logout(who, agent)
            except (ApiProblem, DomainError) as error:
                results.append({"UserId": user_id, "Ok": False, "Message": error.message})
                continue
            await audit(who, body.Action, agent, body.Reason, detail)
            results.append({"UserId": user_id, "Ok": True})
        return results

    @routes.get("/audit", summary="The audit trail of supervisors' actions, newest first")
    async def audit_trail(
        who: Supervisor,
        instance_id: InstancePath,
        limit: Annotated[int, Query(alias="Limit", ge=1, le=MAX_AUDIT_LIMIT)] = 100,
    ) -> list[dict[str, Any]]:
        instance = own_instance(who, instance_id)
        entries = await asyncio.to_thread(server.backend.catalog.audit_trail, instance.id, limit)
        return [
            {
                "At": iso_ms(entry.at),
                "Actor": entry.actor,
                "Action": entry.action,
                "UserId": entry.target,
                "Reason": entry.reason,
                "Detail": entry.detail,
            }
            for entry in entries
        ]

    return routes
