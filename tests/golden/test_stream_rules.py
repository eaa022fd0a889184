"""Every agent event stream record of every example, checked against Amazon's data model
(reference §3.2) and the fine points of DESIGN §5."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.golden.records import (
    AES_CONTACT_KEYS,
    AES_KEYS,
    EXAMPLES,
    STORIES,
    Output,
    at_ms,
    contacts,
    ms,
)

Example = Callable[[str], Output]

AES_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CONTACT_STATES = {
    "INCOMING",
    "PENDING",
    "CONNECTING",
    "CONNECTED",
    "CONNECTED_ONHOLD",
    "PAUSED",
    "MISSED",
    "REJECTED",
    "ERROR",
    "ENDED",
}
HEARTBEAT_MS = 120_000


def scenario(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    return doc


def snapshots(run: Output) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(record, snapshot) for every non-null snapshot, current and previous."""
    return [
        (record, snap)
        for record in run.aes
        for snap in (record["CurrentAgentSnapshot"], record["PreviousAgentSnapshot"])
        if snap is not None
    ]


@pytest.fixture(params=STORIES)
def run(request: pytest.FixtureRequest, example: Example) -> Output:
    return example(request.param)


def test_top_level_fields(run: Output, request: pytest.FixtureRequest) -> None:
    doc = scenario(request.node.callspec.params["run"])
    instance = doc["instance"]
    instance_arn = (
        f"arn:aws:connect:{instance['region']}:{instance['account']}:instance/{instance['id']}"
    )
    assert run.aes, "an example writes agent events"
    for record in run.aes:
        assert set(record) == AES_KEYS
        assert record["AWSAccountId"] == instance["account"]
        assert record["InstanceARN"] == instance_arn
        assert record["AgentARN"].startswith(instance_arn + "/agent/")
        assert record["EventType"] in {"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"}
        assert record["Version"] == "2019-05-25"
        assert AES_TIMESTAMP.match(record["EventTimestamp"]), record["EventTimestamp"]
        assert str(uuid.UUID(record["EventId"])) == record["EventId"]


def test_event_ids_are_unique(run: Output) -> None:
    ids = [r["EventId"] for r in run.aes]
    assert len(ids) == len(set(ids))


def test_time_never_goes_backwards(run: Output) -> None:
    times = [ms(r["EventTimestamp"]) for r in run.aes]
    assert times == sorted(times)


def test_login_and_logout_carry_no_snapshots(run: Output) -> None:
    for record in run.aes:
        if record["EventType"] in {"LOGIN", "LOGOUT"}:
            assert record["CurrentAgentSnapshot"] is None
            assert record["PreviousAgentSnapshot"] is None
        else:
            assert record["CurrentAgentSnapshot"] is not None


def test_previous_snapshot_is_the_last_current_one(run: Output) -> None:
    """DESIGN §5: the first STATE_CHANGE after a LOGIN has Previous null; every other one's
    Previous is the Current of that agent's previous STATE_CHANGE or HEART_BEAT."""
    last: dict[str, dict[str, Any] | None] = {}
    for record in run.aes:
        agent = record["AgentARN"]
        kind = record["EventType"]
        if kind == "LOGIN":
            last[agent] = None
        elif kind == "STATE_CHANGE":
            assert agent in last, "a STATE_CHANGE before the agent's LOGIN"
            assert record["PreviousAgentSnapshot"] == last[agent]
            last[agent] = record["CurrentAgentSnapshot"]
        elif kind == "HEART_BEAT":
            last[agent] = record["CurrentAgentSnapshot"]


def test_every_state_change_changes_the_snapshot(run: Output) -> None:
    """One STATE_CHANGE per change of the snapshot: none repeats its previous snapshot."""
    for record in run.aes:
        if record["EventType"] == "STATE_CHANGE":
            assert record["CurrentAgentSnapshot"] != record["PreviousAgentSnapshot"]


def test_heartbeats(run: Output, request: pytest.FixtureRequest) -> None:
    """A HEART_BEAT comes 120 s after the agent's previous record when nothing else happened
    (up to an hour after logout), with Previous equal to Current and to the last snapshot."""
    doc = scenario(request.node.callspec.params["run"])
    end = ms(at_ms(doc["end_s"]))
    for arn in {r["AgentARN"] for r in run.aes}:
        mine = [r for r in run.aes if r["AgentARN"] == arn]
        times = [ms(r["EventTimestamp"]) for r in mine]
        snapshot: dict[str, Any] | None = None
        for before, record, at in zip(mine, mine[1:], times[1:], strict=False):
            gap = at - ms(before["EventTimestamp"])
            assert gap <= HEARTBEAT_MS, f"{gap} ms without a record"
            if record["EventType"] == "HEART_BEAT":
                assert gap == HEARTBEAT_MS
                assert record["PreviousAgentSnapshot"] == record["CurrentAgentSnapshot"]
                assert record["CurrentAgentSnapshot"] == snapshot
            if record["CurrentAgentSnapshot"] is not None:
                snapshot = record["CurrentAgentSnapshot"]
        assert end - times[-1] < HEARTBEAT_MS, "a heartbeat is missing before the end"


def test_agent_status_fields(run: Output) -> None:
    types = {"Available": "ROUTABLE", "Offline": "OFFLINE"}
    for record, snap in snapshots(run):
        agent_status = snap["AgentStatus"]
        assert set(agent_status) == {"ARN", "Name", "StartTimestamp", "Type"}
        assert agent_status["ARN"].startswith(record["InstanceARN"] + "/agent-state/")
        assert agent_status["Type"] == types.get(agent_status["Name"], "CUSTOM")
        assert AES_TIMESTAMP.match(agent_status["StartTimestamp"])
        assert agent_status["StartTimestamp"] <= record["EventTimestamp"]


def test_status_arn_names_one_status(run: Output) -> None:
    names: dict[str, set[str]] = {}
    for _, snap in snapshots(run):
        names.setdefault(snap["AgentStatus"]["ARN"], set()).add(snap["AgentStatus"]["Name"])
        if "NextAgentStatus" in snap:
            nxt = snap["NextAgentStatus"]
            names.setdefault(nxt["ARN"], set()).add(nxt["Name"])
    assert all(len(n) == 1 for n in names.values()), names
    assert len({n.pop() for n in names.values()}) == len(names)


def test_next_agent_status_shape(run: Output) -> None:
    for record, snap in snapshots(run):
        if "NextAgentStatus" not in snap:
            continue
        nxt = snap["NextAgentStatus"]
        assert set(nxt) == {"ARN", "EnqueuedTimestamp", "Name"}
        assert nxt["Name"] != "Available"  # only a custom status or Offline can be next
        assert AES_TIMESTAMP.match(nxt["EnqueuedTimestamp"])
        assert nxt["EnqueuedTimestamp"] <= record["EventTimestamp"]


def test_configuration_describes_the_agent(run: Output, request: pytest.FixtureRequest) -> None:
    doc = scenario(request.node.callspec.params["run"])
    users = {a["username"]: a for a in doc["agents"]}
    profiles = {p["name"]: p for p in doc["routing_profiles"]}
    for record, snap in snapshots(run):
        config = snap["Configuration"]
        user = users[config["Username"]]
        profile = profiles[user["routing_profile"]]
        assert config["FirstName"] == user["first_name"]
        assert config["LastName"] == user["last_name"]
        assert config["AgentHierarchyGroups"] is None
        routing = config["RoutingProfile"]
        assert routing["Name"] == profile["name"]
        assert routing["ARN"].startswith(record["InstanceARN"] + "/routing-profile/")
        assert {c["Channel"]: c["MaximumSlots"] for c in routing["Concurrency"]} == profile[
            "concurrency"
        ]
        # the agent's own queue: …/queue/agent/<agent id>, no name; the id is the AgentARN's
        agent_id = record["AgentARN"].rsplit("/", 1)[1]
        own = [q for q in routing["InboundQueues"] if q["Name"] is None]
        assert [q["ARN"] for q in own] == [f"{record['InstanceARN']}/queue/agent/{agent_id}"]
        named = {q["Name"]: q for q in routing["InboundQueues"] if q["Name"] is not None}
        served: dict[str, set[str]] = {}
        for line in profile["queues"]:
            served.setdefault(line["queue"], set()).add(line["channel"])
        assert {n: set(q["Channels"]) for n, q in named.items()} == served
        outbound = routing["DefaultOutboundQueue"]
        assert outbound["Name"] == profile.get(
            "default_outbound_queue", profile["queues"][0]["queue"]
        )
        assert outbound["ARN"] == named[outbound["Name"]]["ARN"]


def test_one_agent_arn_per_user(run: Output) -> None:
    """The AgentARN is the partition key: one per agent, the same on every record of that agent."""
    users: dict[str, set[str]] = {}
    for record, snap in snapshots(run):
        users.setdefault(record["AgentARN"], set()).add(snap["Configuration"]["Username"])
    assert all(len(u) == 1 for u in users.values())
    assert len({u.pop() for u in users.values()}) == len(users)


def test_available_slots_are_maximum_minus_held(run: Output) -> None:
    for _, snap in snapshots(run):
        held: dict[str, int] = {}
        for contact in snap["Contacts"]:
            held[contact["Channel"]] = held.get(contact["Channel"], 0) + 1
        for line in snap["Configuration"]["RoutingProfile"]["Concurrency"]:
            expected = max(0, line["MaximumSlots"] - held.get(line["Channel"], 0))
            assert line["AvailableSlots"] == expected, snap


def test_contact_fields(run: Output) -> None:
    for record, snap in snapshots(run):
        for contact in snap["Contacts"]:
            assert set(contact) == AES_CONTACT_KEYS
            assert contact["State"] in CONTACT_STATES
            assert contact["Channel"] in {"VOICE", "CHAT", "TASK"}
            assert set(contact["Queue"]) == {"ARN", "Name"}
            assert contact["InitialContactId"] is None
            assert AES_TIMESTAMP.match(contact["StateStartTimestamp"])
            assert contact["StateStartTimestamp"] <= record["EventTimestamp"]
            outbound = contact["InitiationMethod"] == "OUTBOUND"
            assert (contact["QueueTimestamp"] is None) == outbound
            if contact["State"] in {"CONNECTED", "CONNECTED_ONHOLD"}:
                # hold does not move StateStartTimestamp: both show when it connected
                assert contact["ConnectedToAgentTimestamp"] == contact["StateStartTimestamp"]
            if contact["State"] in {"CONNECTING", "MISSED", "REJECTED"}:
                assert contact["ConnectedToAgentTimestamp"] is None
            if contact["State"] == "REJECTED":
                assert contact["Channel"] != "VOICE"  # rejected voice shows as MISSED


def test_contacts_stay_listed_until_cleared(run: Output) -> None:
    """A contact leaves Contacts[] only from a clearable state (ENDED, MISSED, REJECTED, ERROR)."""
    for record in run.aes:
        if record["EventType"] != "STATE_CHANGE":
            continue
        now = contacts(record["CurrentAgentSnapshot"])
        for contact_id, contact in contacts(record["PreviousAgentSnapshot"]).items():
            if contact_id not in now:
                assert contact["State"] in {"ENDED", "MISSED", "REJECTED", "ERROR"}
