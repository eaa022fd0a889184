"""The agent event stream record (Amazon Connect's AgentEvent), encoded and decoded.

Wire format (DESIGN §5): compact UTF-8 JSON, keys ASCII-sorted at every level. A snapshot is
encoded once and its bytes reused as the next record's `PreviousAgentSnapshot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from switchboard.domain.model import InstanceSettings, Millis, StatusType
from switchboard.engine.engine import AgentStreamRecord, StreamEventType
from switchboard.engine.ids import IdSource
from switchboard.engine.views import AgentSnapshot, ConfigurationView
from switchboard.formats.arns import Arns
from switchboard.formats.malformed import MalformedRecord, required_timestamp, timestamp_field
from switchboard.formats.timestamps import iso_ms

_SORT = orjson.OPT_SORT_KEYS
_NULL = b"null"


class AgentEventEncoder:
    """Turns `AgentStreamRecord`s into Connect's JSON, one line each (no newline)."""

    def __init__(self, settings: InstanceSettings) -> None:
        self.arns = Arns(settings)
        self.ids = IdSource(settings.arn)
        self._head = b'{"AWSAccountId":' + orjson.dumps(settings.account) + b',"AgentARN":'
        self._tail = b',"InstanceARN":' + orjson.dumps(settings.arn) + b',"PreviousAgentSnapshot":'
        self._version = b',"Version":' + orjson.dumps(settings.aes_version) + b"}"
        self._configs: dict[int, tuple[ConfigurationView, dict[str, Any], dict[str, Any]]] = {}
        self._encoded: dict[str, tuple[AgentSnapshot, bytes]] = {}
        self._agent_arns: dict[str, bytes] = {}

    def encode(self, record: AgentStreamRecord) -> bytes:
        agent_arn = self._agent_arns.get(record.agent_id)
        if agent_arn is None:
            agent_arn = orjson.dumps(self.arns.agent(record.agent_id))
            self._agent_arns[record.agent_id] = agent_arn
        timestamp = iso_ms(record.at)
        event_id = record.event_id
        if event_id is None:
            event_id = self.ids.heartbeat(self.arns.agent(record.agent_id), timestamp)
        # previous first: it is usually the snapshot encoded for this agent's last record
        previous = self.snapshot_bytes(record.previous)
        current = self.snapshot_bytes(record.current)
        return b"".join(
            (
                self._head,
                agent_arn,
                b',"CurrentAgentSnapshot":',
                current,
                b',"EventId":"',
                event_id.encode(),
                b'","EventTimestamp":"',
                timestamp.encode(),
                b'","EventType":"',
                record.event_type.value.encode(),
                b'"',
                self._tail,
                previous,
                self._version,
            )
        )

    def snapshot_bytes(self, snapshot: AgentSnapshot | None) -> bytes:
        if snapshot is None:
            return _NULL
        cached = self._encoded.get(snapshot.agent_id)
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        encoded = orjson.dumps(self.snapshot_dict(snapshot), option=_SORT)
        self._encoded[snapshot.agent_id] = (snapshot, encoded)
        return encoded

    def snapshot_dict(self, snapshot: AgentSnapshot) -> dict[str, Any]:
        arns = self.arns
        status = snapshot.status
        configuration, profile = self._configuration(snapshot.configuration)
        profile = dict(profile)
        profile["Concurrency"] = [
            {"AvailableSlots": free, "Channel": channel.value, "MaximumSlots": maximum}
            for (channel, maximum), free in zip(
                snapshot.configuration.profile.maximum_slots, snapshot.available_slots, strict=True
            )
        ]
        configuration = dict(configuration)
        configuration["RoutingProfile"] = profile
        result: dict[str, Any] = {
            "AgentStatus": {
                "ARN": arns.status(status.id),
                "Name": status.name,
                "StartTimestamp": iso_ms(status.start),
                "Type": status.type.value,
            },
            "Configuration": configuration,
            "Contacts": [
                {
                    "Channel": c.channel.value,
                    "ConnectedToAgentTimestamp": (
                        iso_ms(c.connected_at) if c.connected_at is not None else None
                    ),
                    "ContactId": c.contact_id,
                    "InitialContactId": c.initial_id,
                    "InitiationMethod": c.method.value,
                    "Queue": {
                        "ARN": arns.queue(c.queue_id) if c.queue_id is not None else None,
                        "Name": c.queue_name,
                    },
                    "QueueTimestamp": iso_ms(c.queue_at) if c.queue_at is not None else None,
                    "State": c.state.value,
                    "StateStartTimestamp": iso_ms(c.state_start),
                }
                for c in snapshot.contacts
            ],
        }
        if snapshot.next_status is not None:
            nxt = snapshot.next_status
            result["NextAgentStatus"] = {
                "ARN": arns.status(nxt.id),
                "EnqueuedTimestamp": iso_ms(nxt.enqueued_at),
                "Name": nxt.name,
            }
        return result

    def _configuration(self, view: ConfigurationView) -> tuple[dict[str, Any], dict[str, Any]]:
        cached = self._configs.get(id(view))
        if cached is not None and cached[0] is view:
            return cached[1], cached[2]
        arns = self.arns
        profile = view.profile
        outbound = profile.default_outbound_queue
        profile_dict: dict[str, Any] = {
            "ARN": arns.routing_profile(profile.id),
            "DefaultOutboundQueue": (
                {
                    "ARN": arns.queue(outbound.id) if outbound.id is not None else None,
                    "Channels": [c.value for c in outbound.channels],
                    "Name": outbound.name,
                }
                if outbound is not None
                else None
            ),
            "InboundQueues": [
                {
                    "ARN": (
                        arns.agent_queue(q.agent_id)
                        if q.agent_id is not None
                        else arns.queue(q.id or "")
                    ),
                    "Channels": [c.value for c in q.channels],
                    "Name": q.name,
                }
                for q in profile.inbound_queues
            ],
            "Name": profile.name,
        }
        configuration: dict[str, Any] = {
            "AgentHierarchyGroups": None,
            "FirstName": view.first_name,
            "LastName": view.last_name,
            "Username": view.username,
        }
        self._configs[id(view)] = (view, configuration, profile_dict)
        return configuration, profile_dict


# --- decoding ----------------------------------------------------------------------------------


def status_type_of(name: str, declared: str | None) -> StatusType:
    """The status type a record declares; for records from before `AgentStatus.Type` existed,
    Connect's built-in names: Available is ROUTABLE, Offline is OFFLINE, any other CUSTOM."""
    if declared is not None and declared in StatusType.__members__:
        return StatusType(declared)
    folded = name.casefold()
    if folded == "available":
        return StatusType.ROUTABLE
    if folded == "offline":
        return StatusType.OFFLINE
    return StatusType.CUSTOM


@dataclass(frozen=True, slots=True)
class DecodedContact:
    contact_id: str
    channel: str
    initiation_method: str | None
    state: str
    state_start: Millis
    connected_at: Millis | None
    queue_at: Millis | None
    queue_name: str | None


@dataclass(frozen=True, slots=True)
class DecodedSnapshot:
    username: str | None
    first_name: str | None
    last_name: str | None
    status_name: str
    status_type: str | None
    """Absent in older records (before `Type` was added)."""
    status_start: Millis
    next_status_name: str | None
    routing_profile: str | None
    available_slots: dict[str, int]
    maximum_slots: dict[str, int]
    contacts: tuple[DecodedContact, ...]


@dataclass(frozen=True, slots=True)
class DecodedAgentEvent:
    event_id: str
    event_type: str
    at: Millis
    agent_arn: str
    instance_arn: str | None
    current: DecodedSnapshot | None
    previous: DecodedSnapshot | None


def _snapshot(raw: Any) -> DecodedSnapshot | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise MalformedRecord("an agent snapshot must be an object")
    status = raw.get("AgentStatus") or {}
    configuration = raw.get("Configuration") or {}
    profile = configuration.get("RoutingProfile") or {}
    concurrency = profile.get("Concurrency") or []
    nxt = raw.get("NextAgentStatus")
    start = timestamp_field(status, "StartTimestamp")
    if "Name" not in status or start is None:
        raise MalformedRecord("AgentStatus needs Name and StartTimestamp")
    contacts = []
    for c in raw.get("Contacts") or []:
        state_start = timestamp_field(c, "StateStartTimestamp")
        if "ContactId" not in c or "State" not in c or state_start is None:
            raise MalformedRecord("a contact needs ContactId, State and StateStartTimestamp")
        contacts.append(
            DecodedContact(
                contact_id=c["ContactId"],
                channel=c.get("Channel") or "VOICE",
                initiation_method=c.get("InitiationMethod"),
                state=c["State"],
                state_start=state_start,
                connected_at=timestamp_field(c, "ConnectedToAgentTimestamp"),
                queue_at=timestamp_field(c, "QueueTimestamp"),
                queue_name=(c.get("Queue") or {}).get("Name"),
            )
        )
    return DecodedSnapshot(
        username=configuration.get("Username"),
        first_name=configuration.get("FirstName"),
        last_name=configuration.get("LastName"),
        status_name=status["Name"],
        status_type=status.get("Type"),
        status_start=start,
        next_status_name=nxt.get("Name") if isinstance(nxt, dict) else None,
        routing_profile=profile.get("Name"),
        available_slots={c["Channel"]: c.get("AvailableSlots", 0) for c in concurrency},
        maximum_slots={c["Channel"]: c.get("MaximumSlots", 0) for c in concurrency},
        contacts=tuple(contacts),
    )


def decode_agent_event(raw: dict[str, Any]) -> DecodedAgentEvent:
    """One parsed AgentEvent object; unknown fields are ignored, missing required ones refused."""
    try:
        event_type = raw["EventType"]
        at = required_timestamp(raw, "EventTimestamp")
        if event_type not in StreamEventType.__members__:
            raise MalformedRecord(f"unknown EventType {event_type!r}")
        return DecodedAgentEvent(
            event_id=str(raw["EventId"]),
            event_type=event_type,
            at=at,
            agent_arn=str(raw["AgentARN"]),
            instance_arn=raw.get("InstanceARN"),
            current=_snapshot(raw.get("CurrentAgentSnapshot")),
            previous=_snapshot(raw.get("PreviousAgentSnapshot")),
        )
    except KeyError as missing:
        raise MalformedRecord(f"agent event lacks {missing.args[0]}") from None
    except (TypeError, AttributeError, ValueError) as bad:
        if isinstance(bad, MalformedRecord):
            raise
        raise MalformedRecord(f"agent event is malformed: {bad}") from None


def decode_agent_event_line(line: bytes | str) -> DecodedAgentEvent:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as bad:
        raise MalformedRecord(f"not JSON: {bad}") from None
    if not isinstance(raw, dict):
        raise MalformedRecord("an agent event must be a JSON object")
    return decode_agent_event(raw)


__all__ = [
    "AgentEventEncoder",
    "DecodedAgentEvent",
    "DecodedContact",
    "DecodedSnapshot",
    "MalformedRecord",
    "decode_agent_event",
    "decode_agent_event_line",
    "status_type_of",
]
