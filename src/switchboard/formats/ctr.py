"""The contact record (Amazon Connect's ContactTraceRecord), encoded and decoded.

Timestamps are whole seconds; a duration is the difference of the floored timestamps, and a hold
total is the floor of its millisecond sum (DESIGN §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from switchboard.domain.model import Channel, InitiationMethod, InstanceSettings, Millis
from switchboard.engine.views import ContactRecordView
from switchboard.formats.arns import Arns
from switchboard.formats.malformed import MalformedRecord, timestamp_field
from switchboard.formats.timestamps import iso_s, whole_seconds

FORMAT_VERSION = "2017-03-10"
_MEDIA = {Channel.VOICE: "AUDIO", Channel.CHAT: "CHAT"}


def _s(at: Millis | None) -> str | None:
    return iso_s(at) if at is not None else None


def _duration(start: Millis | None, end: Millis | None) -> int | None:
    if start is None or end is None:
        return None
    return whole_seconds(end) - whole_seconds(start)


class ContactRecordEncoder:
    def __init__(self, settings: InstanceSettings) -> None:
        self.settings = settings
        self.arns = Arns(settings)

    def encode(self, record: ContactRecordView) -> bytes:
        return orjson.dumps(self.record_dict(record), option=orjson.OPT_SORT_KEYS)

    def record_dict(self, r: ContactRecordView) -> dict[str, Any]:
        arns = self.arns
        agent: dict[str, Any] | None = None
        recording: dict[str, Any] | None = None
        recordings: list[dict[str, Any]] = []
        if r.agent is not None:
            a = r.agent
            hold_s = a.hold_total_ms // 1000
            talk_end = r.disconnect_at if r.disconnect_at is not None else r.last_update_at
            interaction = _duration(a.connected_at, talk_end)
            agent = {
                "ARN": arns.agent(a.agent_id),
                "AfterContactWorkDuration": _duration(a.acw_start, a.acw_end),
                "AfterContactWorkEndTimestamp": _s(a.acw_end),
                "AfterContactWorkStartTimestamp": _s(a.acw_start),
                "AgentInteractionDuration": max(0, (interaction or 0) - hold_s),
                "AgentPauseDuration": 0 if r.channel is Channel.TASK else None,
                "ConnectedToAgentTimestamp": _s(a.connected_at),
                "CustomerHoldDuration": hold_s,
                "HierarchyGroups": None,
                "LongestHoldDuration": a.hold_longest_ms // 1000,
                "NumberOfHolds": a.hold_count,
                "RoutingProfile": {
                    "ARN": arns.routing_profile(a.profile_id),
                    "Name": a.profile_name,
                },
                "Username": a.username,
            }
            if r.channel is Channel.VOICE and r.system_connected_at is not None:
                location = (
                    f"switchboard-recordings/{self.settings.instance_id}/CallRecordings/"
                    f"{iso_s(a.connected_at)[:10].replace('-', '/')}/{r.contact_id}.wav"
                )
                recording = {
                    "DeletionReason": None,
                    "Location": location,
                    "Status": "AVAILABLE",
                    "Type": "AUDIO",
                }
                recordings = [
                    {
                        "DeletionReason": None,
                        "FragmentStartNumber": None,
                        "FragmentStopNumber": None,
                        "Location": location,
                        "MediaStreamType": "AUDIO",
                        "ParticipantType": None,
                        "StartTimestamp": _s(a.connected_at),
                        "Status": "AVAILABLE",
                        "StopTimestamp": _s(r.disconnect_at),
                        "StorageType": "S3",
                    }
                ]
        queue: dict[str, Any] | None = None
        if r.queue_id is not None:
            queue = {
                "ARN": arns.queue(r.queue_id),
                "DequeueTimestamp": _s(r.dequeue_at),
                "Duration": _duration(r.enqueue_at, r.dequeue_at) or 0,
                "EnqueueTimestamp": _s(r.enqueue_at),
                "Name": r.queue_name,
            }
        media = _MEDIA.get(r.channel)
        return {
            "AWSAccountId": self.settings.account,
            "AWSContactTraceRecordFormatVersion": FORMAT_VERSION,
            "Agent": agent,
            "AgentConnectionAttempts": r.attempts,
            "AnsweringMachineDetectionStatus": None,
            "Attributes": dict(r.attributes),
            "Campaign": None,
            "Channel": r.channel.value,
            "ConnectedToSystemTimestamp": _s(r.system_connected_at),
            "ContactDetails": {},
            "ContactId": r.contact_id,
            "CustomerEndpoint": (
                {
                    "Address": r.customer_endpoint,
                    "Type": "TELEPHONE_NUMBER" if r.channel is Channel.VOICE else "OTHER",
                }
                if r.customer_endpoint is not None
                else None
            ),
            "DisconnectReason": r.disconnect_reason.value if r.disconnect_reason else None,
            "DisconnectTimestamp": _s(r.disconnect_at),
            "InitialContactId": r.initial_id,
            "InitiationMethod": r.method.value,
            "InitiationTimestamp": _s(r.initiated_at),
            "InstanceARN": self.settings.arn,
            "LastUpdateTimestamp": _s(r.last_update_at),
            "MediaStreams": [{"Type": media}] if media is not None else [],
            "NextContactId": r.next_id,
            "PreviousContactId": r.previous_id,
            "Queue": queue,
            "Recording": recording,
            "Recordings": recordings,
            "References": [],
            "RelatedContactId": None,
            "ScheduledTimestamp": None,
            "SystemEndpoint": None,
            # A transfer to a queue completes as the agent leaves (DESIGN §3.14).
            "TransferCompletedTimestamp": _s(r.disconnect_at) if r.next_id is not None else None,
            "TransferredToEndpoint": None,
            "VoiceIdResult": None,
        }


# --- decoding ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedAgentPart:
    arn: str | None
    username: str | None
    connected_at: Millis | None
    interaction_s: int | None
    hold_s: int | None
    holds: int | None
    longest_hold_s: int | None
    acw_start: Millis | None
    acw_end: Millis | None
    acw_s: int | None


@dataclass(frozen=True, slots=True)
class DecodedContactRecord:
    contact_id: str
    channel: str
    initiation_method: str | None
    initiated_at: Millis | None
    disconnect_at: Millis | None
    disconnect_reason: str | None
    last_update_at: Millis | None
    queue_name: str | None
    queue_arn: str | None
    enqueue_at: Millis | None
    dequeue_at: Millis | None
    queue_s: int | None
    attempts: int
    agent: DecodedAgentPart | None
    has_recording: bool


def decode_contact_record(raw: dict[str, Any]) -> DecodedContactRecord:
    """One parsed ContactTraceRecord; unknown fields are ignored."""
    try:
        contact_id = raw["ContactId"]
        agent_raw = raw.get("Agent")
        agent = None
        if isinstance(agent_raw, dict):
            agent = DecodedAgentPart(
                arn=agent_raw.get("ARN"),
                username=agent_raw.get("Username"),
                connected_at=timestamp_field(agent_raw, "ConnectedToAgentTimestamp"),
                interaction_s=agent_raw.get("AgentInteractionDuration"),
                hold_s=agent_raw.get("CustomerHoldDuration"),
                holds=agent_raw.get("NumberOfHolds"),
                longest_hold_s=agent_raw.get("LongestHoldDuration"),
                acw_start=timestamp_field(agent_raw, "AfterContactWorkStartTimestamp"),
                acw_end=timestamp_field(agent_raw, "AfterContactWorkEndTimestamp"),
                acw_s=agent_raw.get("AfterContactWorkDuration"),
            )
        queue = raw.get("Queue") if isinstance(raw.get("Queue"), dict) else None
        method = raw.get("InitiationMethod")
        if method is not None and method not in InitiationMethod.__members__:
            method = str(method)  # newer methods decode as text; consumers ignore what they lack
        return DecodedContactRecord(
            contact_id=str(contact_id),
            channel=str(raw.get("Channel") or "VOICE"),
            initiation_method=method,
            initiated_at=timestamp_field(raw, "InitiationTimestamp"),
            disconnect_at=timestamp_field(raw, "DisconnectTimestamp"),
            disconnect_reason=raw.get("DisconnectReason"),
            last_update_at=timestamp_field(raw, "LastUpdateTimestamp"),
            queue_name=queue.get("Name") if queue else None,
            queue_arn=queue.get("ARN") if queue else None,
            enqueue_at=timestamp_field(queue, "EnqueueTimestamp") if queue else None,
            dequeue_at=timestamp_field(queue, "DequeueTimestamp") if queue else None,
            queue_s=queue.get("Duration") if queue else None,
            attempts=int(raw.get("AgentConnectionAttempts") or 0),
            agent=agent,
            has_recording=bool(raw.get("Recording")) or bool(raw.get("Recordings")),
        )
    except MalformedRecord:
        raise
    except KeyError as missing:
        raise MalformedRecord(f"contact record lacks {missing.args[0]}") from None
    except (TypeError, AttributeError, ValueError) as bad:
        raise MalformedRecord(f"contact record is malformed: {bad}") from None


def decode_contact_record_line(line: bytes | str) -> DecodedContactRecord:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as bad:
        raise MalformedRecord(f"not JSON: {bad}") from None
    if not isinstance(raw, dict):
        raise MalformedRecord("a contact record must be a JSON object")
    return decode_contact_record(raw)


__all__ = [
    "ContactRecordEncoder",
    "DecodedAgentPart",
    "DecodedContactRecord",
    "decode_contact_record",
    "decode_contact_record_line",
]
