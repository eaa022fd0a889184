"""Contacts pages: search the instance's contact records, and one contact's summary and timeline.

The data shaping is pure (`search`, `summary_fields`, `timeline`): it takes decoded contact
records and agent events (what `api.history.History` gives back) and returns rows a template
writes as they are. A contact that never reached an agent shows Amazon Connect's own words,
`formats.summary.NO_AGENT`, beside its disconnect reason and "no recording".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from switchboard.api.history import History
from switchboard.api.server import Server
from switchboard.domain.model import Millis
from switchboard.formats.aes import DecodedAgentEvent, DecodedContact, DecodedSnapshot
from switchboard.formats.ctr import DecodedContactRecord
from switchboard.formats.summary import NO_AGENT, contact_summary
from switchboard.formats.timestamps import iso_s
from switchboard.web.shell import SupervisorViewer, page_router, render

__all__ = [
    "ContactRow",
    "Field",
    "Step",
    "contact_window",
    "router",
    "search",
    "summary_fields",
    "timeline",
]

_DAY_MS = 86_400_000
_SEARCH_LIMIT = 500
"""The most rows one search shows (newest first); narrow the time range to see older ones."""
_COMMON_REASONS = ("AGENT_DISCONNECT", "CUSTOMER_DISCONNECT", "OTHER", "API", "EXPIRED")


# --- search --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One finished contact in the search results."""

    contact_id: str
    channel: str
    initiation_method: str
    initiated_at: Millis | None
    disconnect_at: Millis | None
    queue: str | None
    agent: str | None
    """The connected agent's username; None when no agent was connected."""
    disconnect_reason: str | None
    queue_s: int | None


def _row(record: DecodedContactRecord) -> ContactRow:
    agent = record.agent
    connected = agent is not None and agent.connected_at is not None
    return ContactRow(
        contact_id=record.contact_id,
        channel=record.channel,
        initiation_method=record.initiation_method or "",
        initiated_at=record.initiated_at,
        disconnect_at=record.disconnect_at,
        queue=record.queue_name,
        agent=agent.username if connected and agent is not None else None,
        disconnect_reason=record.disconnect_reason,
        queue_s=record.queue_s,
    )


def search(
    records: Iterable[DecodedContactRecord],
    *,
    queue: str | None = None,
    agent: str | None = None,
    disconnect_reason: str | None = None,
    limit: int = _SEARCH_LIMIT,
) -> list[ContactRow]:
    """Finished contacts matching every filter given, newest disconnect first.

    `queue` is a queue name, `agent` a username (both compared without case); an empty filter
    matches everything. `agent` matches only contacts that agent was connected to.
    """
    queue_key = (queue or "").casefold()
    agent_key = (agent or "").casefold()
    rows = []
    for record in records:
        row = _row(record)
        if queue_key and (row.queue or "").casefold() != queue_key:
            continue
        if agent_key and (row.agent or "").casefold() != agent_key:
            continue
        if disconnect_reason and row.disconnect_reason != disconnect_reason:
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.disconnect_at or 0, r.contact_id), reverse=True)
    return rows[:limit]


# --- one contact ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One line of the contact summary's table: a label and the text shown."""

    label: str
    value: str
    at: Millis | None = None
    """For a time: the instant, which the page shows in the viewer's zone."""


def _when(at: Millis | None) -> str:
    return iso_s(at) if at is not None else "—"


def _secs(value: int | None) -> str:
    return "—" if value is None else f"{value} s"


def summary_fields(record: DecodedContactRecord) -> list[Field]:
    """The record's fields as a person reads them (the summary's table)."""
    summary = contact_summary(record)
    agent = record.agent
    connected = agent is not None and agent.connected_at is not None
    fields = [
        Field("Contact ID", record.contact_id),
        Field("Channel", record.channel),
        Field("Initiation method", record.initiation_method or "—"),
        Field("Initiation timestamp", _when(record.initiated_at), record.initiated_at),
        Field("Queue", record.queue_name or "—"),
        Field("Enqueue timestamp", _when(record.enqueue_at), record.enqueue_at),
        Field("Time in queue", _secs(record.queue_s)),
        Field("Agent", summary.agent if connected else NO_AGENT),
        Field("Agent connection attempts", str(record.attempts)),
        Field("Disconnect timestamp", _when(record.disconnect_at), record.disconnect_at),
        Field("Disconnect reason", record.disconnect_reason or "—"),
    ]
    if connected and agent is not None:
        fields += [
            Field("Connected to agent", _when(agent.connected_at), agent.connected_at),
            Field("Agent interaction", _secs(agent.interaction_s)),
            Field("Customer hold", _secs(agent.hold_s)),
            Field("Number of holds", "—" if agent.holds is None else str(agent.holds)),
            Field("After contact work", _secs(agent.acw_s)),
        ]
    fields.append(Field("Recording", summary.recording))
    return fields


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a contact's timeline."""

    at: Millis
    what: str
    agent: str | None = None
    """Whose step it is (an agent's username), if an agent's."""
    duration_ms: Millis | None = None
    """Time until the next step (None on the last)."""


_STATE_WORDS = {
    "INCOMING": "Offered",
    "PENDING": "Offered",
    "CONNECTING": "Offered",
    "CONNECTED": "Connected",
    "CONNECTED_ONHOLD": "On hold",
    "PAUSED": "Paused",
    "MISSED": "Missed",
    "REJECTED": "Rejected",
    "ERROR": "Error",
    "ENDED": "After contact work",
}
_DIALLED = frozenset({"OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK"})


def _find(snapshot: DecodedSnapshot | None, contact_id: str) -> DecodedContact | None:
    if snapshot is None:
        return None
    return next((c for c in snapshot.contacts if c.contact_id == contact_id), None)


def _agent_words(state: str, before: str | None, method: str | None) -> str:
    if state == "CONNECTING" and method in _DIALLED:
        return "Dialling"
    if state == "CONNECTED" and before == "CONNECTED_ONHOLD":
        return "Resumed"
    if state == "CONNECTED" and before == "PAUSED":
        return "Resumed"
    return _STATE_WORDS.get(state, state.title())


def _agent_steps(contact_id: str, events: Iterable[DecodedAgentEvent]) -> list[Step]:
    """The contact's states on each agent, from the agent event stream: a step at each change,
    and "Cleared" when the contact leaves an agent's snapshot."""
    steps: list[Step] = []
    last: dict[str, str] = {}
    names: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.at):
        snapshot = event.current
        if snapshot is None:
            continue
        arn = event.agent_arn
        names[arn] = snapshot.username or names.get(arn) or arn.rsplit("/", 1)[-1]
        found = _find(snapshot, contact_id)
        before = last.get(arn)
        if found is None:
            if before is None:
                continue
            del last[arn]
            steps.append(Step(event.at, "Cleared", names[arn]))
            continue
        if found.state == before:
            continue
        last[arn] = found.state
        words = _agent_words(found.state, before, found.initiation_method)
        steps.append(Step(max(event.at, found.state_start), words, names[arn]))
    return steps


def _record_steps(record: DecodedContactRecord, with_agent: bool) -> list[Step]:
    """What the record itself says: initiated, queued, disconnected; and, when the agent event
    stream is not at hand (`with_agent`), the agent's connection and ACW."""
    steps = []
    method = record.initiation_method or "contact"
    if record.initiated_at is not None:
        steps.append(Step(record.initiated_at, f"Initiated ({method})"))
    if record.enqueue_at is not None:
        steps.append(Step(record.enqueue_at, f"Queued in {record.queue_name or 'a queue'}"))
    agent = record.agent
    if with_agent and agent is not None and agent.connected_at is not None:
        steps.append(Step(agent.connected_at, "Connected", agent.username))
    if record.disconnect_at is not None:
        reason = record.disconnect_reason or "no reason given"
        steps.append(Step(record.disconnect_at, f"Disconnected ({reason})"))
    if with_agent and agent is not None:
        if agent.acw_start is not None:
            steps.append(Step(agent.acw_start, "After contact work", agent.username))
        if agent.acw_end is not None:
            steps.append(Step(agent.acw_end, "Cleared", agent.username))
    return steps


def timeline(record: DecodedContactRecord, events: Iterable[DecodedAgentEvent]) -> list[Step]:
    """The contact's timeline: queued → offered to X → missed → offered to Y → connected → hold
    → ended → ACW → cleared, with the time until the next step.

    Agent steps come from the agent event stream when it holds the contact; otherwise from the
    record's Agent block (connected, ACW start and end).
    """
    from_stream = _agent_steps(record.contact_id, events)
    steps = _record_steps(record, with_agent=not from_stream) + from_stream
    # The record's times are whole seconds, the stream's milliseconds: within one second the
    # steps go in the order a contact lives them (see `_phase`), then by time.
    steps.sort(key=lambda s: (s.at // 1000, _phase(s), s.at))
    return [
        Step(
            step.at,
            step.what,
            step.agent,
            max(0, steps[i + 1].at - step.at) if i + 1 < len(steps) else None,
        )
        for i, step in enumerate(steps)
    ]


def _phase(step: Step) -> int:
    """Initiated, queued, the agents' steps, disconnected, then ACW and clearing."""
    if step.agent is None:
        if step.what.startswith("Initiated"):
            return 0
        if step.what.startswith("Queued"):
            return 1
        return 3
    return 4 if step.what in {"After contact work", "Cleared"} else 2


def contact_window(record: DecodedContactRecord) -> tuple[Millis, Millis]:
    """The span of agent events that can concern the contact: initiation (or enqueue) to the
    record's last update (its ACW end), whole seconds widened to the next second."""
    times = [
        t
        for t in (
            record.initiated_at,
            record.enqueue_at,
            record.disconnect_at,
            record.last_update_at,
            record.agent.acw_end if record.agent else None,
        )
        if t is not None
    ]
    if not times:
        return 0, 0
    return min(times), max(times) + 1000


# --- pages ---------------------------------------------------------------------------------------


def parse_local(text: str | None, *, default: Millis) -> Millis:
    """A `datetime-local` field's text (with an optional offset; UTC without one) in ms."""
    if not text:
        return default
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return default
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _local_text(at: Millis) -> str:
    return datetime.fromtimestamp(at / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M")


def utc_text(at: Millis) -> str:
    """A time as the page writes it before its script shows it in the viewer's zone."""
    return datetime.fromtimestamp(at / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _reasons(records: Sequence[DecodedContactRecord]) -> list[str]:
    return sorted({r.disconnect_reason for r in records if r.disconnect_reason})


def router(server: Server) -> APIRouter:
    """`/contacts` (search) and `/contacts/{id}` (summary), for supervisors and admins."""
    routes = page_router()

    @routes.get("/contacts", response_class=HTMLResponse)
    async def contacts_page(
        request: Request,
        *,
        who: SupervisorViewer,
        start: Annotated[str | None, Query()] = None,
        end: Annotated[str | None, Query()] = None,
        queue: Annotated[str | None, Query()] = None,
        agent: Annotated[str | None, Query()] = None,
        reason: Annotated[str | None, Query()] = None,
    ) -> HTMLResponse:
        instance = who.instance
        now = server.clock.now()
        end_ms = parse_local(end, default=now + 60_000)
        start_ms = parse_local(start, default=end_ms - _DAY_MS)
        history: History = instance.history
        _, records = history.records(start_ms, end_ms)
        rows = search(records, queue=queue, agent=agent, disconnect_reason=reason)
        state = instance.engine.state
        return render(
            request,
            "contacts.html",
            who,
            title="Contacts",
            rows=rows,
            form={
                "start": _local_text(start_ms),
                "end": _local_text(end_ms),
                "queue": queue or "",
                "agent": agent or "",
                "reason": reason or "",
            },
            queues=sorted(q.name for q in state.queues.values()),
            agents=sorted(a.username for a in state.agents.values()),
            reasons=sorted({*_reasons(records), *_COMMON_REASONS}),
            limit=_SEARCH_LIMIT,
            no_agent=NO_AGENT,
            iso=utc_text,
        )

    @routes.get("/contacts/{contact_id}", response_class=HTMLResponse)
    async def contact_page(
        request: Request, who: SupervisorViewer, contact_id: str
    ) -> HTMLResponse:
        history: History = who.instance.history
        record = history.contact(contact_id)
        if record is None:
            return render(
                request,
                "contacts_missing.html",
                who,
                title="Contact not found",
                status_code=404,
                contact_id=contact_id,
            )
        start, end = contact_window(record)
        events, _ = history.records(start, end)
        connected = record.agent is not None and record.agent.connected_at is not None
        return render(
            request,
            "contacts_summary.html",
            who,
            title=f"Contact {contact_id}",
            record=record,
            fields=summary_fields(record),
            steps=timeline(record, events),
            connected=connected,
            no_agent=NO_AGENT,
            iso=utc_text,
        )

    return routes
