"""Historical metrics per interval, agent and queue, from agent events and contact records.

One code path for our own output and imported Amazon Connect exports: both arrive as decoded
records (`formats.aes.decode_agent_event`, `formats.ctr.decode_contact_record`), deduplicated by
the caller. Definitions: reference/amazon-connect.md §5.2; arithmetic: DESIGN §6.

* **Agent-activity-driven** metrics come from the agent event stream. Each agent's records are
  put in time order (EventTimestamp, then input order) and the state a record's
  `CurrentAgentSnapshot` shows holds until the agent's next record; time is counted only between
  the agent's first and last record, in milliseconds, split across the intervals it spans.
  LOGIN and LOGOUT carry no snapshot and leave the state as it was; time before an agent's first
  snapshot is not counted.
* **Contact-record-driven** metrics come from contact records and use their whole-second fields;
  a record counts, whole, in the interval holding its `DisconnectTimestamp`. Records without one
  are left out (`HistoricalMetrics.contact_records_ignored`).

`compute` returns a `HistoricalMetrics`; `to_json` gives the report's numbers and `acw_rows`,
`status_time_rows` and `agent_activity_rows` the rows of acw.csv, status-time.csv and
agent-activity.csv (with `ACW_HEADER`, `STATUS_TIME_HEADER`, `AGENT_ACTIVITY_HEADER`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import orjson

from switchboard.domain.activity import activity_name, activity_of
from switchboard.domain.intervals import IntervalGrid, IntervalLength
from switchboard.domain.model import ACTIVE_STATES, FAILED_STATES, ContactState, Millis, StatusType
from switchboard.formats.aes import (
    DecodedAgentEvent,
    DecodedContact,
    DecodedSnapshot,
    status_type_of,
)
from switchboard.formats.ctr import DecodedContactRecord
from switchboard.formats.timestamps import iso_ms

SERVICE_LEVEL_THRESHOLDS_S: tuple[int, ...] = (15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600)
"""Amazon Connect's preset "Service level X" thresholds, in seconds."""

ACW_HEADER = (
    "ContactId",
    "Username",
    "AgentARN",
    "AfterContactWorkStart",
    "AfterContactWorkEnd",
    "Seconds",
)
STATUS_TIME_HEADER = ("Agent", "Status", "Interval", "Seconds")
AGENT_ACTIVITY_HEADER = ("Agent", "Activity", "Interval", "Seconds")

AcwRow = tuple[str, str, str, str, str, float]
TimeRow = tuple[str, str, str, float]

# Initiation methods, as texts so that newer ones in imported records decode and simply count
# in neither group. Chats and tasks started by the API come in through a queue (DESIGN §5).
_INCOMING_METHODS = frozenset({"INBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "WEBRTC_API"})
_OUTBOUND_METHODS = frozenset({"OUTBOUND", "EXTERNAL_OUTBOUND", "AGENT_REPLY"})
_DIALLED_METHODS = frozenset({"OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK"})
"""A CONNECTING contact with one of these methods is the agent's own call ringing out (S-RTM:
"Outbound contact/Outbound callback" is On contact); any other CONNECTING contact is an offer."""

_STATES: dict[str, ContactState] = {s.value: s for s in ContactState}
_NON_RESPONSE = frozenset({"MISSED", "REJECTED"})
_OFFER_STATES = frozenset({"INCOMING", "PENDING", "CONNECTING"})
_ANSWERED_STATES = frozenset({"CONNECTED", "CONNECTED_ONHOLD", "PAUSED", "ENDED"})


def _seconds(ms: int) -> float:
    return round(ms / 1000, 3)


def _ratio(part: float, whole: float, scale: float = 1.0, digits: int = 3) -> float | None:
    return round(part * scale / whole, digits) if whole else None


# --- contact-record-driven ------------------------------------------------------------------


@dataclass(slots=True)
class ContactMetrics:
    """Contact metrics for one interval and one scope (the instance, a queue or an agent).

    The sums come from contact records (whole seconds, bucketed by disconnect time). `routed`,
    `answered` and `agent_non_response` come from the agent event stream, counted in the
    interval the contact was offered (routed, answered) or missed (non-response). An agent's
    scope sees only the contacts that agent handled (so its queue figures are their waits).
    """

    contacts_queued: int = 0
    contacts_handled: int = 0
    contacts_handled_incoming: int = 0
    contacts_handled_outbound: int = 0
    contacts_abandoned: int = 0
    contacts_agent_hung_up_first: int = 0
    handle_time_s: int = 0
    """Talk + hold + ACW of handled contacts (AgentInteraction + CustomerHold + ACW durations)."""
    interaction_time_s: int = 0
    customer_hold_time_s: int = 0
    contacts_held: int = 0
    after_contact_work_time_s: int = 0
    contacts_with_acw: int = 0
    queue_answer_time_s: int = 0
    """Sum of `Queue.Duration` of handled contacts that were queued (ASA's numerator)."""
    contacts_answered_from_queue: int = 0
    abandon_time_s: int = 0
    max_queued_time_s: int | None = None
    removed_by_threshold: list[int] = field(
        default_factory=lambda: [0] * (len(SERVICE_LEVEL_THRESHOLDS_S) + 1)
    )
    """Queued contacts answered or abandoned, by the first threshold of
    `SERVICE_LEVEL_THRESHOLDS_S` they were removed within (last slot: beyond every threshold)."""
    routed: int = 0
    answered: int = 0
    agent_non_response: int = 0

    # --- derived ------------------------------------------------------------------------------

    @property
    def avg_handle_time_s(self) -> float | None:
        return _ratio(self.handle_time_s, self.contacts_handled)

    @property
    def avg_interaction_time_s(self) -> float | None:
        return _ratio(self.interaction_time_s, self.contacts_handled)

    @property
    def avg_customer_hold_time_s(self) -> float | None:
        """Over contacts that were held, as Amazon's AVG_HOLD_TIME."""
        return _ratio(self.customer_hold_time_s, self.contacts_held)

    @property
    def avg_after_contact_work_time_s(self) -> float | None:
        return _ratio(self.after_contact_work_time_s, self.contacts_with_acw)

    @property
    def avg_queue_answer_time_s(self) -> float | None:
        """ASA: mean `Queue.Duration` of contacts answered from a queue (includes whisper)."""
        return _ratio(self.queue_answer_time_s, self.contacts_answered_from_queue)

    @property
    def avg_abandon_time_s(self) -> float | None:
        return _ratio(self.abandon_time_s, self.contacts_abandoned)

    @property
    def answer_rate_pct(self) -> float | None:
        """Agent answer rate: answered / routed to an agent, in percent."""
        return _ratio(self.answered, self.routed, 100, 2)

    def service_level_pct(self, threshold_s: int) -> float | None:
        """Contacts removed from the queue (answered or abandoned) within X s / queued, in %."""
        return _ratio(self.removed_within(threshold_s), self.contacts_queued, 100, 2)

    def removed_within(self, threshold_s: int) -> int:
        """Queued contacts answered or abandoned within `threshold_s` (one of the presets)."""
        index = SERVICE_LEVEL_THRESHOLDS_S.index(threshold_s)
        return sum(self.removed_by_threshold[: index + 1])

    # --- building -----------------------------------------------------------------------------

    def add(self, facts: _RecordFacts) -> None:
        if facts.queued:
            self.contacts_queued += 1
            if facts.queue_s is not None:
                if self.max_queued_time_s is None or facts.queue_s > self.max_queued_time_s:
                    self.max_queued_time_s = facts.queue_s
                if facts.handled or facts.abandoned:
                    self.removed_by_threshold[facts.threshold_index] += 1
        if facts.abandoned:
            self.contacts_abandoned += 1
            self.abandon_time_s += facts.queue_s or 0
        if not facts.handled:
            return
        self.contacts_handled += 1
        self.contacts_handled_incoming += facts.incoming
        self.contacts_handled_outbound += facts.outbound
        self.contacts_agent_hung_up_first += facts.agent_hung_up
        self.handle_time_s += facts.interaction_s + facts.hold_s + facts.acw_s
        self.interaction_time_s += facts.interaction_s
        self.customer_hold_time_s += facts.hold_s
        self.contacts_held += facts.held
        if facts.has_acw:
            self.after_contact_work_time_s += facts.acw_s
            self.contacts_with_acw += 1
        if facts.queued and facts.queue_s is not None:
            self.queue_answer_time_s += facts.queue_s
            self.contacts_answered_from_queue += 1

    def merge(self, other: ContactMetrics) -> None:
        for name in _SUMMED_CONTACT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.max_queued_time_s is not None and (
            self.max_queued_time_s is None or other.max_queued_time_s > self.max_queued_time_s
        ):
            self.max_queued_time_s = other.max_queued_time_s
        self.removed_by_threshold = [
            a + b
            for a, b in zip(self.removed_by_threshold, other.removed_by_threshold, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "contacts_queued": self.contacts_queued,
            "contacts_handled": self.contacts_handled,
            "contacts_handled_incoming": self.contacts_handled_incoming,
            "contacts_handled_outbound": self.contacts_handled_outbound,
            "contacts_abandoned": self.contacts_abandoned,
            "contacts_agent_hung_up_first": self.contacts_agent_hung_up_first,
            "handle_time_s": self.handle_time_s,
            "avg_handle_time_s": self.avg_handle_time_s,
            "agent_interaction_time_s": self.interaction_time_s,
            "avg_agent_interaction_time_s": self.avg_interaction_time_s,
            "customer_hold_time_s": self.customer_hold_time_s,
            "contacts_held": self.contacts_held,
            "avg_customer_hold_time_s": self.avg_customer_hold_time_s,
            "after_contact_work_time_s": self.after_contact_work_time_s,
            "avg_after_contact_work_time_s": self.avg_after_contact_work_time_s,
            "avg_queue_answer_time_s": self.avg_queue_answer_time_s,
            "avg_queue_abandon_time_s": self.avg_abandon_time_s,
            "max_queued_time_s": self.max_queued_time_s,
            "service_level_pct": {
                str(x): self.service_level_pct(x) for x in SERVICE_LEVEL_THRESHOLDS_S
            },
            "contacts_routed": self.routed,
            "contacts_answered": self.answered,
            "agent_non_response": self.agent_non_response,
            "agent_answer_rate_pct": self.answer_rate_pct,
        }


_SUMMED_CONTACT_FIELDS = tuple(
    name
    for name in ContactMetrics.__dataclass_fields__
    if name not in {"max_queued_time_s", "removed_by_threshold"}
)


@dataclass(frozen=True, slots=True)
class _RecordFacts:
    """What one contact record contributes, worked out once for all its scopes."""

    queued: bool
    handled: bool
    abandoned: bool
    incoming: bool
    outbound: bool
    agent_hung_up: bool
    queue_s: int | None
    threshold_index: int
    """bisect of `queue_s` into `SERVICE_LEVEL_THRESHOLDS_S`: the first threshold it is within."""
    interaction_s: int
    hold_s: int
    held: bool
    acw_s: int
    has_acw: bool


def _facts(record: DecodedContactRecord) -> _RecordFacts:
    agent = record.agent
    handled = agent is not None and agent.connected_at is not None
    queued = record.enqueue_at is not None
    method = record.initiation_method or ""
    queue_s = record.queue_s
    if queue_s is None and record.enqueue_at is not None and record.dequeue_at is not None:
        queue_s = record.dequeue_at // 1000 - record.enqueue_at // 1000
    incoming = method in _INCOMING_METHODS or (method == "API" and record.channel != "VOICE")
    outbound = method in _OUTBOUND_METHODS or (method == "API" and record.channel == "VOICE")
    hold_s = (agent.hold_s or 0) if agent is not None else 0
    acw_s = agent.acw_s if agent is not None else None
    return _RecordFacts(
        queued=queued,
        handled=handled,
        abandoned=(
            queued
            and not handled
            and record.disconnect_reason == "CUSTOMER_DISCONNECT"
            and method != "CALLBACK"
        ),
        incoming=handled and incoming,
        outbound=handled and outbound,
        agent_hung_up=handled and record.disconnect_reason == "AGENT_DISCONNECT",
        queue_s=queue_s,
        threshold_index=bisect_left(SERVICE_LEVEL_THRESHOLDS_S, queue_s)
        if queue_s is not None
        else 0,
        interaction_s=(agent.interaction_s or 0) if agent is not None else 0,
        hold_s=hold_s,
        held=bool(agent is not None and ((agent.holds or 0) > 0 or hold_s > 0)),
        acw_s=acw_s or 0,
        has_acw=acw_s is not None,
    )


# --- agent-activity-driven ------------------------------------------------------------------


@dataclass(slots=True)
class ActivityTime:
    """Agent-activity-driven time (ms) for one interval and one agent, or summed over agents."""

    online_ms: int = 0
    """Status other than Offline, custom statuses included."""
    non_productive_ms: int = 0
    """Custom status, even while on contacts (NPT)."""
    idle_ms: int = 0
    """Available status with no contact, or only contacts in Missed/Rejected/Error; ringing
    (an inbound offer not yet answered) is not idle."""
    on_contact_ms: int = 0
    """≥1 contact connected, on hold, paused, in ACW or ringing out, while the status is
    Available (time in a custom or Offline status is left out)."""
    error_ms: int = 0
    """≥1 contact in Missed, Rejected or Error, whatever the status."""
    status_ms: dict[str, int] = field(default_factory=dict)
    """Time per agent status name (status-time.csv)."""
    activity_ms: dict[str, int] = field(default_factory=dict)
    """Time per Agent Activity, named as the real-time report names it (agent-activity.csv)."""

    @property
    def occupancy_pct(self) -> float | None:
        """On contact / (on contact + idle), wall clock, ignoring concurrency; in percent."""
        return _ratio(self.on_contact_ms, self.on_contact_ms + self.idle_ms, 100, 2)

    def merge(self, other: ActivityTime) -> None:
        self.online_ms += other.online_ms
        self.non_productive_ms += other.non_productive_ms
        self.idle_ms += other.idle_ms
        self.on_contact_ms += other.on_contact_ms
        self.error_ms += other.error_ms
        for name, ms in other.status_ms.items():
            self.status_ms[name] = self.status_ms.get(name, 0) + ms
        for name, ms in other.activity_ms.items():
            self.activity_ms[name] = self.activity_ms.get(name, 0) + ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "online_time_s": _seconds(self.online_ms),
            "non_productive_time_s": _seconds(self.non_productive_ms),
            "idle_time_s": _seconds(self.idle_ms),
            "on_contact_time_s": _seconds(self.on_contact_ms),
            "error_status_time_s": _seconds(self.error_ms),
            "occupancy_pct": self.occupancy_pct,
            "status_time_s": {k: _seconds(v) for k, v in sorted(self.status_ms.items())},
            "activity_time_s": {k: _seconds(v) for k, v in sorted(self.activity_ms.items())},
        }


@dataclass(slots=True)
class AgentMetrics:
    """One agent in one interval: activity from the stream, contacts from its contact records."""

    agent_arn: str
    username: str | None = None
    activity: ActivityTime = field(default_factory=ActivityTime)
    contacts: ContactMetrics = field(default_factory=ContactMetrics)

    def merge(self, other: AgentMetrics) -> None:
        self.activity.merge(other.activity)
        self.contacts.merge(other.contacts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            **self.activity.to_dict(),
            "contacts": self.contacts.to_dict(),
        }


@dataclass(slots=True)
class IntervalMetrics:
    """Everything in one interval `[start, end)`: the instance, its queues and its agents."""

    start: Millis
    end: Millis
    contacts: ContactMetrics = field(default_factory=ContactMetrics)
    activity: ActivityTime = field(default_factory=ActivityTime)
    """The agents' activity summed (occupancy of the whole center)."""
    queues: dict[str, ContactMetrics] = field(default_factory=dict)
    """By queue name (the queue ARN when a record has no name)."""
    agents: dict[str, AgentMetrics] = field(default_factory=dict)
    """By agent ARN."""

    def queue(self, name: str) -> ContactMetrics:
        found = self.queues.get(name)
        if found is None:
            found = self.queues[name] = ContactMetrics()
        return found

    def agent(self, arn: str) -> AgentMetrics:
        found = self.agents.get(arn)
        if found is None:
            found = self.agents[arn] = AgentMetrics(arn)
        return found

    def merge(self, other: IntervalMetrics) -> None:
        self.start = min(self.start, other.start)
        self.end = max(self.end, other.end)
        self.contacts.merge(other.contacts)
        self.activity.merge(other.activity)
        for name, metrics in other.queues.items():
            self.queue(name).merge(metrics)
        for arn, agent in other.agents.items():
            mine = self.agent(arn)
            mine.username = mine.username or agent.username
            mine.merge(agent)

    def to_dict(self, grid: IntervalGrid) -> dict[str, Any]:
        return {
            "start": grid.label(self.start),
            "end": grid.label(self.end),
            "contacts": self.contacts.to_dict(),
            "activity": self.activity.to_dict(),
            "queues": {name: self.queues[name].to_dict() for name in sorted(self.queues)},
            "agents": {arn: self.agents[arn].to_dict() for arn in sorted(self.agents)},
        }


@dataclass(frozen=True, slots=True)
class AcwRecord:
    """One contact's After Contact Work on one agent, by AWS's documented method (S-ACW)."""

    contact_id: str
    agent_arn: str
    username: str | None
    start: Millis
    """The ENDED contact's `StateStartTimestamp`."""
    end: Millis
    """`EventTimestamp` of the STATE_CHANGE whose current snapshot no longer holds the contact
    while its previous snapshot has it ENDED."""

    @property
    def seconds(self) -> float:
        return _seconds(self.end - self.start)


@dataclass(slots=True)
class HistoricalMetrics:
    """The result of `compute`: intervals in time order, ACW per contact, and the totals."""

    interval: IntervalLength
    time_zone: str
    grid: IntervalGrid
    intervals: dict[Millis, IntervalMetrics]
    """By interval start, in time order; only intervals with something in them."""
    total: IntervalMetrics
    """All intervals merged (start of the first to end of the last)."""
    acw: list[AcwRecord]
    usernames: dict[str, str]
    """Agent ARN to the latest username seen for it."""
    agent_events_used: int = 0
    contact_records_used: int = 0
    contact_records_ignored: int = 0
    """Contact records without a DisconnectTimestamp (not finished): left out."""

    def agent_label(self, arn: str) -> str:
        return self.usernames.get(arn) or arn

    def to_dict(self) -> dict[str, Any]:
        grid = self.grid
        return {
            "interval": self.interval.value,
            "time_zone": self.time_zone,
            "service_level_thresholds_s": list(SERVICE_LEVEL_THRESHOLDS_S),
            "agent_events": self.agent_events_used,
            "contact_records": self.contact_records_used,
            "contact_records_ignored": self.contact_records_ignored,
            "total": self.total.to_dict(grid) if self.intervals else None,
            "intervals": [m.to_dict(grid) for m in self.intervals.values()],
        }

    def to_json(self, *, indent: bool = False) -> bytes:
        """The report's numbers: keys in a fixed order, times in s (ms precision), rates in %."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 if indent else 0)

    def acw_rows(self) -> list[AcwRow]:
        """acw.csv: one row per contact whose ACW ended in the data, by ACW start."""
        return [
            (
                a.contact_id,
                a.username or "",
                a.agent_arn,
                iso_ms(a.start),
                iso_ms(a.end),
                a.seconds,
            )
            for a in sorted(self.acw, key=lambda a: (a.start, a.end, a.contact_id, a.agent_arn))
        ]

    def status_time_rows(self) -> list[TimeRow]:
        """status-time.csv: (agent, status name, interval start, seconds), by interval, agent."""
        return self._time_rows(attrgetter("status_ms"))

    def agent_activity_rows(self) -> list[TimeRow]:
        """agent-activity.csv: (agent, Agent Activity, interval start, seconds)."""
        return self._time_rows(attrgetter("activity_ms"))

    def _time_rows(self, pick: Callable[[ActivityTime], dict[str, int]]) -> list[TimeRow]:
        rows: list[TimeRow] = []
        for start, interval in self.intervals.items():
            label = self.grid.label(start)
            agents = sorted(interval.agents.values(), key=lambda a: self.agent_label(a.agent_arn))
            for agent in agents:
                name = self.agent_label(agent.agent_arn)
                for key, ms in sorted(pick(agent.activity).items()):
                    rows.append((name, key, label, _seconds(ms)))
        return rows


# --- the computation ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """What one agent snapshot means for the activity metrics, worked out once per record."""

    status: str
    activity: str
    online: bool
    non_productive: bool
    idle: bool
    on_contact: bool
    error: bool


def _status_type(snapshot: DecodedSnapshot) -> StatusType:
    return status_type_of(snapshot.status_name, snapshot.status_type)


def _profile(snapshot: DecodedSnapshot) -> _Profile:
    status_type = _status_type(snapshot)
    states: list[tuple[ContactState, bool]] = []
    working = failed = ringing = False
    for contact in snapshot.contacts:
        state = _STATES.get(contact.state)
        if state is None:  # a state newer than our enum: it counts for nothing
            continue
        dialled = contact.initiation_method in _DIALLED_METHODS
        states.append((state, dialled))
        if state in ACTIVE_STATES or (state is ContactState.CONNECTING and dialled):
            working = True
        elif state in FAILED_STATES:
            failed = True
        else:
            ringing = True
    routable = status_type is StatusType.ROUTABLE
    return _Profile(
        status=snapshot.status_name,
        activity=activity_name(activity_of(status_type, states), snapshot.status_name),
        online=status_type is not StatusType.OFFLINE,
        non_productive=status_type is StatusType.CUSTOM,
        idle=routable and not working and not ringing,
        on_contact=routable and working,
        error=failed,
    )


class _Builder:
    def __init__(self, grid: IntervalGrid) -> None:
        self.grid = grid
        self.intervals: dict[Millis, IntervalMetrics] = {}
        self.acw: list[AcwRecord] = []
        self.usernames: dict[str, str] = {}
        self._activity: dict[tuple[Millis, str], ActivityTime] = {}

    def interval(self, start: Millis) -> IntervalMetrics:
        found = self.intervals.get(start)
        if found is None:
            found = self.intervals[start] = IntervalMetrics(start, self.grid.bounds(start)[1])
        return found

    # --- contact records ----------------------------------------------------------------------

    def add_record(self, record: DecodedContactRecord) -> bool:
        if record.disconnect_at is None:
            return False
        facts = _facts(record)
        interval = self.interval(self.grid.start_of(record.disconnect_at))
        interval.contacts.add(facts)
        queue = record.queue_name or record.queue_arn
        if queue is not None:
            interval.queue(queue).add(facts)
        agent = record.agent
        if facts.handled and agent is not None:
            key = agent.arn or agent.username
            if key is not None:
                interval.agent(key).contacts.add(facts)
                if agent.username and key not in self.usernames:
                    self.usernames[key] = agent.username
        return True

    # --- agent event stream -------------------------------------------------------------------

    def add_agent(self, arn: str, events: list[DecodedAgentEvent]) -> None:
        events.sort(key=attrgetter("at"))  # stable: same-instant records keep their input order
        grid = self.grid
        profile: _Profile | None = None
        in_effect: DecodedSnapshot | None = None
        offers: dict[str, Millis] = {}  # contact id -> interval of its pending offer
        since = events[0].at
        activity = self._activity_of
        username: str | None = None
        for event in events:
            at = event.at
            if profile is not None and at > since:
                for begin, ms in grid.split(since, at):
                    self._add_time(activity(begin, arn), profile, ms)
            since = at
            current = event.current
            if current is None:  # LOGIN / LOGOUT: no snapshot, the state stays as it was
                continue
            username = current.username or username
            # AWS diffs a record's own two snapshots; after a LOGIN the previous one is null
            before = event.previous if event.previous is not None else in_effect
            self._transitions(arn, event, before, current, offers)
            in_effect = current
            profile = _profile(current)
        if username is not None:
            self.usernames[arn] = username

    def _activity_of(self, begin: Millis, arn: str) -> ActivityTime:
        found = self._activity.get((begin, arn))
        if found is None:
            found = self.interval(begin).agent(arn).activity
            self._activity[(begin, arn)] = found
        return found

    @staticmethod
    def _add_time(into: ActivityTime, profile: _Profile, ms: int) -> None:
        if profile.online:
            into.online_ms += ms
        if profile.non_productive:
            into.non_productive_ms += ms
        if profile.idle:
            into.idle_ms += ms
        if profile.on_contact:
            into.on_contact_ms += ms
        if profile.error:
            into.error_ms += ms
        into.status_ms[profile.status] = into.status_ms.get(profile.status, 0) + ms
        into.activity_ms[profile.activity] = into.activity_ms.get(profile.activity, 0) + ms

    def _transitions(
        self,
        arn: str,
        event: DecodedAgentEvent,
        before: DecodedSnapshot | None,
        current: DecodedSnapshot,
        offers: dict[str, Millis],
    ) -> None:
        at = event.at
        had: dict[str, DecodedContact] = (
            {c.contact_id: c for c in before.contacts} if before is not None else {}
        )
        now = {c.contact_id: c for c in current.contacts}
        if event.event_type == "STATE_CHANGE":
            for contact_id, contact in had.items():
                if contact.state == "ENDED" and contact_id not in now:
                    username = current.username or (before.username if before else None)
                    self.acw.append(AcwRecord(contact_id, arn, username, contact.state_start, at))
        for contact_id, contact in now.items():
            state = contact.state
            previous = had.get(contact_id)
            old = previous.state if previous is not None else None
            if state == old:
                continue
            if state in _NON_RESPONSE and old not in _NON_RESPONSE:
                offers.pop(contact_id, None)
                self._count(at, arn, contact, "agent_non_response")
            elif (
                state in _OFFER_STATES
                and old not in _OFFER_STATES
                and not (state == "CONNECTING" and contact.initiation_method in _DIALLED_METHODS)
            ):
                offers[contact_id] = self._count(at, arn, contact, "routed")
            elif contact_id in offers and state not in _OFFER_STATES:
                offered_in = offers.pop(contact_id)
                if state in _ANSWERED_STATES:
                    self._count(offered_in, arn, contact, "answered")
        for contact_id in [c for c in offers if c not in now]:
            del offers[contact_id]  # withdrawn or cleared without an answer

    def _count(self, at: Millis, arn: str, contact: DecodedContact, name: str) -> Millis:
        begin = self.grid.start_of(at)
        interval = self.interval(begin)
        scopes = [interval.contacts, interval.agent(arn).contacts]
        if contact.queue_name is not None:
            scopes.append(interval.queue(contact.queue_name))
        for scope in scopes:
            setattr(scope, name, getattr(scope, name) + 1)
        return begin

    # --- result -------------------------------------------------------------------------------

    def finish(
        self, length: IntervalLength, time_zone: str, events: int, used: int, ignored: int
    ) -> HistoricalMetrics:
        ordered = {start: self.intervals[start] for start in sorted(self.intervals)}
        for interval in ordered.values():
            for arn, agent in interval.agents.items():
                agent.username = self.usernames.get(arn)
                interval.activity.merge(agent.activity)
        total = IntervalMetrics(0, 0)
        if ordered:
            first = next(iter(ordered.values()))
            total = IntervalMetrics(first.start, first.end)
            for interval in ordered.values():
                total.merge(interval)
        return HistoricalMetrics(
            interval=length,
            time_zone=time_zone,
            grid=self.grid,
            intervals=ordered,
            total=total,
            acw=self.acw,
            usernames=dict(sorted(self.usernames.items())),
            agent_events_used=events,
            contact_records_used=used,
            contact_records_ignored=ignored,
        )


def compute(
    agent_events: Iterable[DecodedAgentEvent],
    contact_records: Iterable[DecodedContactRecord],
    *,
    interval: IntervalLength | str = IntervalLength.MINUTES_15,
    time_zone: str = "UTC",
) -> HistoricalMetrics:
    """Historical metrics of decoded agent events and contact records, per interval.

    Input may be in any order (each agent's records are sorted by EventTimestamp, keeping input
    order within one instant) and must already be deduplicated (EventId / ContactId). Intervals
    align on `time_zone`'s wall clock; an unknown zone or interval raises ValueError.
    """
    grid = IntervalGrid(interval, time_zone)
    builder = _Builder(grid)
    by_agent: dict[str, list[DecodedAgentEvent]] = {}
    count = 0
    for event in agent_events:
        count += 1
        found = by_agent.get(event.agent_arn)
        if found is None:
            by_agent[event.agent_arn] = [event]
        else:
            found.append(event)
    for arn in sorted(by_agent):
        builder.add_agent(arn, by_agent[arn])
    used = ignored = 0
    for record in contact_records:
        if builder.add_record(record):
            used += 1
        else:
            ignored += 1
    return builder.finish(grid.length, time_zone, count, used, ignored)


__all__ = [
    "ACW_HEADER",
    "AGENT_ACTIVITY_HEADER",
    "SERVICE_LEVEL_THRESHOLDS_S",
    "STATUS_TIME_HEADER",
    "ActivityTime",
    "AcwRecord",
    "AcwRow",
    "AgentMetrics",
    "ContactMetrics",
    "HistoricalMetrics",
    "IntervalMetrics",
    "TimeRow",
    "compute",
]
