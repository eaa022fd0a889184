"""Run an example script and read back what it wrote, as plain decoded JSON.

The helpers here know Amazon's documented formats, not Switchboard's internals: timestamps are
parsed with `strptime` against the exact texts Connect writes, and the ACW method is AWS's own
("Determine how long an agent spends doing ACW", reference §3.3), applied to decoded lines only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from switchboard.sim.script import load_script, run_script_to_dir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STORIES = (
    "inbound-call",
    "abandoned-call",
    "missed-offer",
    "break-outbound",
    "next-status",
    "two-chats",
    "acw-limit",
)
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
"""Every example starts here."""

AES_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
CTR_TIME = "%Y-%m-%dT%H:%M:%SZ"

# Reference §3.2: the AgentEvent fields, and the fields of a Contact in a snapshot.
AES_KEYS = frozenset(
    {
        "AWSAccountId",
        "AgentARN",
        "CurrentAgentSnapshot",
        "EventId",
        "EventTimestamp",
        "EventType",
        "InstanceARN",
        "PreviousAgentSnapshot",
        "Version",
    }
)
AES_CONTACT_KEYS = frozenset(
    {
        "Channel",
        "ConnectedToAgentTimestamp",
        "ContactId",
        "InitialContactId",
        "InitiationMethod",
        "Queue",
        "QueueTimestamp",
        "State",
        "StateStartTimestamp",
    }
)
# Reference §4.2: the top-level fields of a ContactTraceRecord.
CTR_KEYS = frozenset(
    {
        "AWSAccountId",
        "AWSContactTraceRecordFormatVersion",
        "Agent",
        "AgentConnectionAttempts",
        "Attributes",
        "Channel",
        "ConnectedToSystemTimestamp",
        "ContactId",
        "CustomerEndpoint",
        "DisconnectTimestamp",
        "DisconnectReason",
        "InitialContactId",
        "InitiationMethod",
        "InitiationTimestamp",
        "InstanceARN",
        "LastUpdateTimestamp",
        "MediaStreams",
        "NextContactId",
        "PreviousContactId",
        "Queue",
        "Recording",
        "Recordings",
        "RelatedContactId",
        "ScheduledTimestamp",
        "SystemEndpoint",
        "TransferCompletedTimestamp",
        "TransferredToEndpoint",
        "ContactDetails",
        "References",
        "VoiceIdResult",
        "Campaign",
        "AnsweringMachineDetectionStatus",
    }
)
# Reference §4.3: the Agent object of a contact record.
CTR_AGENT_KEYS = frozenset(
    {
        "ARN",
        "AfterContactWorkDuration",
        "AfterContactWorkEndTimestamp",
        "AfterContactWorkStartTimestamp",
        "AgentInteractionDuration",
        "ConnectedToAgentTimestamp",
        "CustomerHoldDuration",
        "HierarchyGroups",
        "LongestHoldDuration",
        "NumberOfHolds",
        "RoutingProfile",
        "Username",
    }
)


# --- times ---------------------------------------------------------------------------------------


def ms(text: str) -> int:
    """An AES timestamp (`…T09:00:10.000Z`, milliseconds required) as ms since the epoch."""
    moment = datetime.strptime(text, AES_TIME).replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def seconds(text: str) -> int:
    """A CTR timestamp (`…T09:00:10Z`, whole seconds required) as seconds since the epoch."""
    return round(datetime.strptime(text, CTR_TIME).replace(tzinfo=UTC).timestamp())


def at_ms(offset_s: float) -> str:
    """The AES text of `offset_s` seconds after the examples' start."""
    return (START + timedelta(seconds=offset_s)).strftime(AES_TIME)[:-4] + "Z"


def at_s(offset_s: float) -> str:
    """The CTR text of `offset_s` seconds after the examples' start (floored to the second)."""
    return (START + timedelta(seconds=int(offset_s))).strftime(CTR_TIME)


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class Output:
    """The two files one run wrote, raw and decoded."""

    folder: Path
    aes_bytes: bytes
    ctr_bytes: bytes
    aes: list[dict[str, Any]] = field(default_factory=list)
    ctr: list[dict[str, Any]] = field(default_factory=list)

    @property
    def aes_lines(self) -> list[bytes]:
        return self.aes_bytes.splitlines()

    @property
    def ctr_lines(self) -> list[bytes]:
        return self.ctr_bytes.splitlines()

    def arn(self, username: str) -> str:
        """The AgentARN of `username`, as named by the Configuration of its snapshots."""
        found = {
            r["AgentARN"]
            for r in self.aes
            for snap in (r["CurrentAgentSnapshot"], r["PreviousAgentSnapshot"])
            if snap is not None and snap["Configuration"]["Username"] == username
        }
        assert len(found) == 1, f"{username}: AgentARNs {found}"
        return found.pop()

    def of(self, username: str, event_type: str | None = None) -> list[dict[str, Any]]:
        arn = self.arn(username)
        return [
            r
            for r in self.aes
            if r["AgentARN"] == arn and (event_type is None or r["EventType"] == event_type)
        ]

    def changes(self, username: str) -> list[dict[str, Any]]:
        return self.of(username, "STATE_CHANGE")

    def record(self, contact_id: str) -> dict[str, Any]:
        found = [r for r in self.ctr if r["ContactId"] == contact_id]
        assert len(found) == 1, f"expected one record for {contact_id}, got {len(found)}"
        return found[0]


def run_example(name: str, out: Path) -> Output:
    """`switchboard run examples/NAME.yaml --out OUT`, through the library."""
    run_script_to_dir(load_script(EXAMPLES / f"{name}.yaml"), out)
    aes_bytes = (out / "agent-events.jsonl").read_bytes()
    ctr_bytes = (out / "contact-records.jsonl").read_bytes()
    return Output(
        out,
        aes_bytes,
        ctr_bytes,
        [orjson.loads(line) for line in aes_bytes.splitlines()],
        [orjson.loads(line) for line in ctr_bytes.splitlines()],
    )


# --- what a consumer reads off a snapshot ---------------------------------------------------------


def contacts(snapshot: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if snapshot is None:
        return {}
    return {c["ContactId"]: c for c in snapshot["Contacts"]}


def states(record: dict[str, Any]) -> dict[str, str]:
    """ContactId → State in the record's current snapshot."""
    return {cid: c["State"] for cid, c in contacts(record["CurrentAgentSnapshot"]).items()}


def slots(record: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Channel → (AvailableSlots, MaximumSlots) in the record's current snapshot."""
    profile = record["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]
    return {c["Channel"]: (c["AvailableSlots"], c["MaximumSlots"]) for c in profile["Concurrency"]}


def status(record: dict[str, Any]) -> tuple[str, str]:
    agent_status = record["CurrentAgentSnapshot"]["AgentStatus"]
    return agent_status["Name"], agent_status["Type"]


# --- AWS's documented ACW method ------------------------------------------------------------------

_TALKING = frozenset({"CONNECTED", "CONNECTED_ONHOLD"})


@dataclass(frozen=True)
class AcwSpan:
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


def acw_from_stream(records: list[dict[str, Any]]) -> dict[tuple[str, str], AcwSpan]:
    """ACW per (AgentARN, ContactId), exactly as AWS documents it (reference §3.3, S-ACW):

    1. start: the `StateStartTimestamp` of the contact in the STATE_CHANGE where it moved to
       ENDED (previous snapshot: CONNECTED, here also on hold; current snapshot: ENDED);
    2. end: the `EventTimestamp` of the STATE_CHANGE whose current snapshot no longer holds the
       contact while its previous snapshot has it in ENDED (both conditions checked, since
       STATE_CHANGE also fires on configuration changes);
    3. ACW = end - start.
    """
    started: dict[tuple[str, str], int] = {}
    spans: dict[tuple[str, str], AcwSpan] = {}
    for record in records:
        if record["EventType"] != "STATE_CHANGE":
            continue
        agent = record["AgentARN"]
        now = contacts(record["CurrentAgentSnapshot"])
        before = contacts(record["PreviousAgentSnapshot"])
        for contact_id, contact in now.items():
            was = before.get(contact_id)
            if contact["State"] == "ENDED" and was is not None and was["State"] in _TALKING:
                started[agent, contact_id] = ms(contact["StateStartTimestamp"])
        for contact_id, contact in before.items():
            if contact["State"] == "ENDED" and contact_id not in now:
                key = (agent, contact_id)
                assert key in started, f"{contact_id} left ACW without a CONNECTED → ENDED change"
                spans[key] = AcwSpan(started.pop(key), ms(record["EventTimestamp"]))
    return spans


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) pair in a decoded JSON value, objects and lists included."""
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(walk(item, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(walk(item, f"{path}[{index}]"))
    return found
