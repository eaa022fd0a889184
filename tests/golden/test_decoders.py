"""The decoders read Amazon's own records (reference §3.4, §3.5, §4.7) and refuse malformed
input with `MalformedRecord` naming the problem."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from switchboard.formats.aes import MalformedRecord, decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from tests.golden.records import acw_from_stream, ms, seconds

_ACCT = "arn:aws:connect:us-west-2:012345678901:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111"
_CONFIG: dict[str, Any] = {
    "AgentHierarchyGroups": None,
    "FirstName": "AgentEventStreamTest",
    "LastName": "Agent",
    "RoutingProfile": {
        "ARN": f"{_ACCT}/routing-profile/routing-profile-ARN",
        "Concurrency": [
            {"AvailableSlots": 3, "Channel": "CHAT", "MaximumSlots": 3},
            {"AvailableSlots": 1, "Channel": "VOICE", "MaximumSlots": 1},
        ],
        "DefaultOutboundQueue": {
            "ARN": f"{_ACCT}/queue/queue-ARN",
            "Channels": ["VOICE"],
            "Name": "OutboundQueue",
        },
        "InboundQueues": [
            {"ARN": f"{_ACCT}/queue/agent/agent-ARN", "Channels": ["VOICE", "CHAT"], "Name": None},
            {
                "ARN": f"{_ACCT}/queue/queue-ARN",
                "Channels": ["CHAT", "VOICE"],
                "Name": "Omni-channel-queue",
            },
        ],
        "Name": "AgentEventStreamProfile",
    },
    "Username": "aestest",
}

# Reference §3.4 (sample-agent-event-stream): the braces fixed as the reference says (Current
# closes after Contacts, not after NextAgentStatus), Previous with the same Configuration.
# An older sample: `AgentStatus` has no `Type`.
SAMPLE_A: dict[str, Any] = {
    "AWSAccountId": "012345678901",
    "AgentARN": f"{_ACCT}/agent/agent-ARN",
    "CurrentAgentSnapshot": {
        "AgentStatus": {
            "ARN": "example-ARN",
            "Name": "Available",
            "StartTimestamp": "2019-08-13T20:52:30.704Z",
        },
        "NextAgentStatus": {
            "Name": "Lunch",
            "ARN": "example-ARN2",
            "EnqueuedTimestamp": "2019-08-13T20:58:00.004Z",
        },
        "Configuration": _CONFIG,
        "Contacts": [],
    },
    "EventId": "EventId-1",
    "EventTimestamp": "2019-08-13T20:58:44.031Z",
    "EventType": "HEART_BEAT",
    "InstanceARN": _ACCT,
    "PreviousAgentSnapshot": {
        "AgentStatus": {
            "ARN": f"{_ACCT}/agent-state/agent-state-ARN",
            "Name": "Offline",
            "StartTimestamp": "2019-08-13T20:52:30.704Z",
        },
        "Configuration": _CONFIG,
        "Contacts": [],
    },
    "Version": "2017-10-01",
}

_B = "arn:aws:connect:eu-central-1:111122223333:instance/INSTANCE-ID"
_B_STATUS = {
    "ARN": f"{_B}/agent-state/STATUS-ID",
    "Name": "Available",
    "StartTimestamp": "2019-01-21T09:10:08.008Z",
}
_B_CONFIG = {
    "AgentHierarchyGroups": None,
    "FirstName": "First",
    "LastName": "Last",
    "RoutingProfile": {
        "ARN": f"{_B}/routing-profile/RP-ID",
        "DefaultOutboundQueue": {"ARN": f"{_B}/queue/Q-NA", "Name": "National Accounts"},
        "InboundQueues": [
            {"ARN": f"{_B}/queue/Q-NA", "Name": "National Accounts"},
            {"ARN": f"{_B}/queue/agent/AGENT-ID", "Name": None},
        ],
        "Name": "RoutingProfileName",
    },
    "Username": "user1",
}
# Reference §3.5: a real captured STATE_CHANGE clearing an ERROR contact (no Type, no
# Channels/Concurrency: an older record).
SAMPLE_B: dict[str, Any] = {
    "AWSAccountId": "111122223333",
    "AgentARN": f"{_B}/agent/AGENT-ID",
    "CurrentAgentSnapshot": {
        "AgentStatus": _B_STATUS,
        "Configuration": _B_CONFIG,
        "Contacts": [],
    },
    "EventId": "145e8a1e-8c00-41d4-b5e3-d9e4ead754f9",
    "EventTimestamp": "2019-01-21T09:16:02.002Z",
    "EventType": "STATE_CHANGE",
    "InstanceARN": _B,
    "PreviousAgentSnapshot": {
        "AgentStatus": _B_STATUS,
        "Configuration": _B_CONFIG,
        "Contacts": [
            {
                "Channel": "VOICE",
                "ConnectedToAgentTimestamp": None,
                "ContactId": "e848581d-df3f-4096-af25-1abb4fa3cfc5",
                "InitialContactId": None,
                "InitiationMethod": "INBOUND",
                "Queue": {"ARN": f"{_B}/queue/Q-NA", "Name": "National Accounts"},
                "QueueTimestamp": "2019-01-21T09:15:53.053Z",
                "State": "ERROR",
                "StateStartTimestamp": "2019-01-21T09:15:54.054Z",
            }
        ],
    },
    "Version": "2017-10-01",
}

_C = "arn:aws:connect:us-east-1:111122223333:instance/INSTANCE-ID"
# Reference §4.7: a realistic inbound voice contact record.
SAMPLE_CTR: dict[str, Any] = {
    "AWSAccountId": "111122223333",
    "AWSContactTraceRecordFormatVersion": "2017-03-10",
    "Agent": {
        "ARN": f"{_C}/agent/AGENT-ID",
        "AfterContactWorkDuration": 32,
        "AfterContactWorkEndTimestamp": "2022-04-08T15:01:54Z",
        "AfterContactWorkStartTimestamp": "2022-04-08T15:01:22Z",
        "AgentInteractionDuration": 33,
        "ConnectedToAgentTimestamp": "2022-04-08T15:00:49Z",
        "CustomerHoldDuration": 0,
        "HierarchyGroups": None,
        "LongestHoldDuration": 0,
        "NumberOfHolds": 0,
        "RoutingProfile": {"ARN": f"{_C}/routing-profile/RP-ID", "Name": "Basic Routing Profile"},
        "Username": "admin1",
    },
    "AgentConnectionAttempts": 1,
    "Attributes": {"greetingPlayed": "true"},
    "Channel": "VOICE",
    "ConnectedToSystemTimestamp": "2022-04-08T14:59:38Z",
    "ContactId": "15a5cf14-3212-45a1-9f86-a8e97db8afaf",
    "CustomerEndpoint": {"Address": "+15555550100", "Type": "TELEPHONE_NUMBER"},
    "DisconnectReason": "CUSTOMER_DISCONNECT",
    "DisconnectTimestamp": "2022-04-08T15:01:22Z",
    "InitialContactId": None,
    "InitiationMethod": "INBOUND",
    "InitiationTimestamp": "2022-04-08T14:59:38Z",
    "InstanceARN": _C,
    "LastUpdateTimestamp": "2022-04-08T15:03:02Z",
    "MediaStreams": [{"Type": "AUDIO"}],
    "NextContactId": None,
    "PreviousContactId": None,
    "Queue": {
        "ARN": f"{_C}/queue/Q-ID",
        "DequeueTimestamp": "2022-04-08T15:00:49Z",
        "Duration": 7,
        "EnqueueTimestamp": "2022-04-08T15:00:42Z",
        "Name": "BasicQueue",
    },
    "Recording": {
        "DeletionReason": None,
        "Location": (
            "bucket/connect/alias/CallRecordings/2022/04/08/<contactid>_20220408T15:00_UTC.wav"
        ),
        "Status": "AVAILABLE",
        "Type": "AUDIO",
    },
    "Recordings": [
        {
            "DeletionReason": None,
            "FragmentStartNumber": None,
            "FragmentStopNumber": None,
            "Location": "…same…",
            "MediaStreamType": "AUDIO",
            "ParticipantType": None,
            "StartTimestamp": None,
            "Status": "AVAILABLE",
            "StopTimestamp": None,
            "StorageType": "S3",
        }
    ],
    "References": [],
    "ScheduledTimestamp": None,
    "SystemEndpoint": {"Address": "+15555550199", "Type": "TELEPHONE_NUMBER"},
    "TransferCompletedTimestamp": None,
    "TransferredToEndpoint": None,
    "VoiceIdResult": None,
}


def line(raw: dict[str, Any]) -> bytes:
    return orjson.dumps(raw)


# --- Amazon's samples -----------------------------------------------------------------------------


def test_reads_the_official_sample_with_next_status() -> None:
    event = decode_agent_event_line(line(SAMPLE_A))
    assert event.event_type == "HEART_BEAT"
    assert event.event_id == "EventId-1"
    assert event.at == ms("2019-08-13T20:58:44.031Z")
    assert event.agent_arn == f"{_ACCT}/agent/agent-ARN"
    assert event.instance_arn == _ACCT
    current, previous = event.current, event.previous
    assert current is not None
    assert previous is not None
    assert current.status_name == "Available"
    assert current.status_type is None  # older samples lack Type
    assert current.status_start == ms("2019-08-13T20:52:30.704Z")
    assert current.next_status_name == "Lunch"
    assert current.username == "aestest"
    assert current.first_name == "AgentEventStreamTest"
    assert current.routing_profile == "AgentEventStreamProfile"
    assert current.available_slots == {"CHAT": 3, "VOICE": 1}
    assert current.maximum_slots == {"CHAT": 3, "VOICE": 1}
    assert current.contacts == ()
    assert previous.status_name == "Offline"
    assert previous.next_status_name is None


def test_reads_the_published_sample_text_with_unknown_key_order() -> None:
    """The published text lists NextAgentStatus's keys unsorted; key order must not matter."""
    text = line(SAMPLE_A).replace(b'"Version":"2017-10-01"', b'"Version":"2017-10-01","New":1')
    event = decode_agent_event_line(text.decode())
    assert event.current is not None
    assert event.current.next_status_name == "Lunch"


def test_reads_the_captured_error_clear() -> None:
    event = decode_agent_event_line(line(SAMPLE_B))
    assert event.event_type == "STATE_CHANGE"
    assert event.at == ms("2019-01-21T09:16:02.002Z")
    assert event.current is not None
    assert event.previous is not None
    assert event.current.contacts == ()
    assert event.current.available_slots == {}  # older records have no Concurrency
    (contact,) = event.previous.contacts
    assert contact.contact_id == "e848581d-df3f-4096-af25-1abb4fa3cfc5"
    assert contact.state == "ERROR"
    assert contact.channel == "VOICE"
    assert contact.initiation_method == "INBOUND"
    assert contact.connected_at is None
    assert contact.queue_at == ms("2019-01-21T09:15:53.053Z")
    assert contact.state_start == ms("2019-01-21T09:15:54.054Z")
    assert contact.queue_name == "National Accounts"
    # an ERROR contact cleared is not ACW (AWS's method needs CONNECTED → ENDED)
    assert acw_from_stream([SAMPLE_B]) == {}


def test_aws_acw_example_gives_5005_ms() -> None:
    """S-ACW's worked example: ENDED at 18:55:27.017, cleared at 18:55:32.022 → 5.005 s."""
    base = copy.deepcopy(SAMPLE_B)
    contact = base["PreviousAgentSnapshot"]["Contacts"][0]
    contact |= {
        "InitiationMethod": "OUTBOUND",
        "QueueTimestamp": None,
        "ConnectedToAgentTimestamp": "2019-05-25T18:55:21.011Z",
    }
    talking = copy.deepcopy(base["PreviousAgentSnapshot"])
    talking["Contacts"][0] |= {
        "State": "CONNECTED",
        "StateStartTimestamp": contact["ConnectedToAgentTimestamp"],
    }
    ended = copy.deepcopy(talking)
    ended["Contacts"][0] |= {"State": "ENDED", "StateStartTimestamp": "2019-05-25T18:55:27.017Z"}
    empty = copy.deepcopy(ended)
    empty["Contacts"] = []
    records = [
        base
        | {
            "EventTimestamp": "2019-05-25T18:55:27.017Z",
            "PreviousAgentSnapshot": talking,
            "CurrentAgentSnapshot": ended,
        },
        base
        | {
            "EventTimestamp": "2019-05-25T18:55:32.022Z",
            "PreviousAgentSnapshot": ended,
            "CurrentAgentSnapshot": empty,
        },
    ]
    for record in records:
        decode_agent_event_line(line(record))
    (span,) = acw_from_stream(records).values()
    assert span.end_ms - span.start_ms == 5005


def test_reads_the_sample_contact_record() -> None:
    record = decode_contact_record_line(line(SAMPLE_CTR))
    assert record.contact_id == "15a5cf14-3212-45a1-9f86-a8e97db8afaf"
    assert record.channel == "VOICE"
    assert record.initiation_method == "INBOUND"
    assert record.initiated_at == seconds("2022-04-08T14:59:38Z") * 1000
    assert record.disconnect_at == seconds("2022-04-08T15:01:22Z") * 1000
    assert record.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert record.last_update_at == seconds("2022-04-08T15:03:02Z") * 1000
    assert record.queue_name == "BasicQueue"
    assert record.queue_arn == f"{_C}/queue/Q-ID"
    assert record.enqueue_at == seconds("2022-04-08T15:00:42Z") * 1000
    assert record.dequeue_at == seconds("2022-04-08T15:00:49Z") * 1000
    assert record.queue_s == 7
    assert record.attempts == 1
    assert record.has_recording
    agent = record.agent
    assert agent is not None
    assert agent.username == "admin1"
    assert agent.arn == f"{_C}/agent/AGENT-ID"
    assert agent.connected_at == seconds("2022-04-08T15:00:49Z") * 1000
    assert agent.interaction_s == 33
    assert (agent.hold_s, agent.holds, agent.longest_hold_s) == (0, 0, 0)
    assert agent.acw_start == seconds("2022-04-08T15:01:22Z") * 1000
    assert agent.acw_end == seconds("2022-04-08T15:01:54Z") * 1000
    assert agent.acw_s == 32


def test_reads_an_abandoned_record() -> None:
    raw = SAMPLE_CTR | {"Agent": None, "Recording": None, "Recordings": []}
    record = decode_contact_record_line(line(raw))
    assert record.agent is None
    assert not record.has_recording


# --- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (b'{"EventType": "LOGIN",', "JSON"),
        (b"not json at all", "JSON"),
        (b"[]", "object"),
        (b'"STATE_CHANGE"', "object"),
    ],
)
def test_agent_event_that_is_not_a_json_object(text: bytes, named: str) -> None:
    with pytest.raises(MalformedRecord, match=named):
        decode_agent_event_line(text)


@pytest.mark.parametrize("field", ["EventTimestamp", "EventType", "EventId", "AgentARN"])
def test_agent_event_missing_a_required_field_names_it(field: str) -> None:
    raw = copy.deepcopy(SAMPLE_B)
    del raw[field]
    with pytest.raises(MalformedRecord, match=field):
        decode_agent_event_line(line(raw))


@pytest.mark.parametrize("value", ["yesterday", None])
def test_agent_event_with_a_bad_timestamp_names_the_field(value: object) -> None:
    raw = SAMPLE_B | {"EventTimestamp": value}
    with pytest.raises(MalformedRecord, match="EventTimestamp"):
        decode_agent_event_line(line(raw))


def test_agent_event_with_an_unknown_event_type() -> None:
    with pytest.raises(MalformedRecord, match="EventType"):
        decode_agent_event_line(line(SAMPLE_B | {"EventType": "TELEPORT"}))


def test_snapshot_without_agent_status() -> None:
    raw = copy.deepcopy(SAMPLE_B)
    del raw["CurrentAgentSnapshot"]["AgentStatus"]
    with pytest.raises(MalformedRecord, match="AgentStatus"):
        decode_agent_event_line(line(raw))


def test_contact_without_state() -> None:
    raw = copy.deepcopy(SAMPLE_B)
    del raw["PreviousAgentSnapshot"]["Contacts"][0]["State"]
    with pytest.raises(MalformedRecord, match="State"):
        decode_agent_event_line(line(raw))


@pytest.mark.parametrize(("text", "named"), [(b"{", "JSON"), (b"[1, 2]", "object")])
def test_contact_record_that_is_not_a_json_object(text: bytes, named: str) -> None:
    with pytest.raises(MalformedRecord, match=named):
        decode_contact_record_line(text)


def test_contact_record_without_contact_id_names_it() -> None:
    raw = {k: v for k, v in SAMPLE_CTR.items() if k != "ContactId"}
    with pytest.raises(MalformedRecord, match="ContactId"):
        decode_contact_record_line(line(raw))


def test_contact_record_with_a_bad_timestamp_names_the_field() -> None:
    raw = SAMPLE_CTR | {"DisconnectTimestamp": "half past nine"}
    with pytest.raises(MalformedRecord, match="DisconnectTimestamp"):
        decode_contact_record_line(line(raw))
