"""examples/next-status.yaml: alice picks Lunch, then Break, on a call (DESIGN §3.9, reference
§1.3): the status stays Available with NextAgentStatus set, routing to her stops, and Break takes
effect when she clears the call's ACW."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from switchboard.engine.engine import AgentStreamRecord
from switchboard.sim.script import parse_script, run_script
from tests.golden.records import EXAMPLES, Output, acw_from_stream, at_ms, ms, states, status

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("next-status")


def next_status(record: dict[str, Any]) -> dict[str, Any] | None:
    result: dict[str, Any] | None = record["CurrentAgentSnapshot"].get("NextAgentStatus")
    return result


def test_status_stays_available_while_next_status_is_pending(run: Output) -> None:
    seen = [
        (
            r["EventTimestamp"],
            status(r),
            (next_status(r) or {}).get("Name"),
            states(r),
        )
        for r in run.changes("alice")
    ]
    assert seen == [
        (at_ms(1), ("Available", "ROUTABLE"), None, {}),
        (at_ms(10), ("Available", "ROUTABLE"), None, {"c1": "CONNECTING"}),
        (at_ms(12), ("Available", "ROUTABLE"), None, {"c1": "CONNECTED"}),
        (at_ms(20), ("Available", "ROUTABLE"), "Lunch", {"c1": "CONNECTED"}),
        (at_ms(25), ("Available", "ROUTABLE"), "Break", {"c1": "CONNECTED"}),
        (at_ms(70), ("Available", "ROUTABLE"), "Break", {"c1": "ENDED"}),  # ACW is not cut short
        (at_ms(85), ("Available", "ROUTABLE"), "Break", {}),  # cleared ...
        (at_ms(85), ("Break", "CUSTOM"), None, {}),  # ... then the next status, same instant
    ]


def test_next_agent_status_fields(run: Output) -> None:
    """Reference §3.2: {ARN, Name, EnqueuedTimestamp}; a later choice replaces the first."""
    changes = run.changes("alice")
    lunch, brk = next_status(changes[3]), next_status(changes[4])
    assert lunch is not None
    assert brk is not None
    assert set(lunch) == set(brk) == {"ARN", "EnqueuedTimestamp", "Name"}
    assert (lunch["Name"], lunch["EnqueuedTimestamp"]) == ("Lunch", at_ms(20))
    assert (brk["Name"], brk["EnqueuedTimestamp"]) == ("Break", at_ms(25))
    assert "/agent-state/" in lunch["ARN"]
    assert lunch["ARN"] != brk["ARN"]
    # the ARN announced is the status that takes effect
    assert changes[-1]["CurrentAgentSnapshot"]["AgentStatus"]["ARN"] == brk["ARN"]
    assert changes[-1]["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == at_ms(85)
    # the status itself did not move while the next status was pending
    for record in changes[1:-1]:
        assert record["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == at_ms(1)


def test_next_agent_status_is_absent_when_unset(run: Output) -> None:
    for record in run.aes:
        for snapshot in (record["CurrentAgentSnapshot"], record["PreviousAgentSnapshot"]):
            if snapshot is not None and "NextAgentStatus" in snapshot:
                assert snapshot["NextAgentStatus"] is not None
    assert "NextAgentStatus" not in run.changes("bob")[0]["CurrentAgentSnapshot"]


def test_routing_to_her_stops_at_once(run: Output) -> None:
    """The chat at 30 s goes to bob although alice, idle longer and allowed a chat on a call,
    would otherwise get it."""
    assert all("ch1" not in states(r) for r in run.changes("alice"))
    assert run.record("ch1")["Agent"]["Username"] == "bob"


def test_without_the_next_status_the_chat_would_be_hers() -> None:
    """The control for the test above: the same script without the two status choices."""
    doc = yaml.safe_load((EXAMPLES / "next-status.yaml").read_text(encoding="utf-8"))
    doc["script"] = [step for step in doc["script"] if step.get("status") not in {"Lunch", "Break"}]
    script = parse_script(doc)
    alice = script.setup.agents["alice"]
    offered: list[str] = []

    def note(record: AgentStreamRecord) -> None:
        if record.agent_id == alice and record.current is not None:
            offered.extend(c.contact_id for c in record.current.contacts)

    # bob's accept of ch1 is refused (ch1 is with alice): keep going past it
    _, result = run_script(script, on_agent_event=note, keep_going=True)
    assert "ch1" in offered
    assert any("ch1" in refused for refused in result.refused)


def test_record_and_acw_of_the_call(run: Output) -> None:
    record = run.record("c1")
    agent = record["Agent"]
    assert agent["Username"] == "alice"
    assert agent["AfterContactWorkDuration"] == 15
    span = acw_from_stream(run.aes)[run.arn("alice"), "c1"]
    assert (span.start_ms, span.end_ms) == (ms(at_ms(70)), ms(at_ms(85)))
    assert span.seconds == agent["AfterContactWorkDuration"]
