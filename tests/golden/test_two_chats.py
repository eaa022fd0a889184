"""examples/two-chats.yaml: two chats on one agent with CHAT concurrency 2 (DESIGN §3.3):
AvailableSlots 2 → 1 → 0, a third chat waits for a slot (ACW holds one), then 1 → 2."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from switchboard.domain.activity import activity_name
from switchboard.engine.engine import AgentStreamRecord
from switchboard.sim.script import load_script, run_script
from tests.golden.records import EXAMPLES, Output, acw_from_stream, at_ms, at_s, ms, slots, states

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("two-chats")


def test_chat_slots_follow_the_contacts(run: Output) -> None:
    seen = [(r["EventTimestamp"], slots(r)["CHAT"], states(r)) for r in run.changes("alice")]
    assert seen == [
        (at_ms(1), (2, 2), {}),
        (at_ms(10), (1, 2), {"ch1": "CONNECTING"}),
        (at_ms(12), (1, 2), {"ch1": "CONNECTED"}),
        (at_ms(20), (0, 2), {"ch1": "CONNECTED", "ch2": "CONNECTING"}),
        (at_ms(23), (0, 2), {"ch1": "CONNECTED", "ch2": "CONNECTED"}),
        (at_ms(60), (0, 2), {"ch1": "ENDED", "ch2": "CONNECTED"}),  # ACW holds its slot
        (at_ms(70), (1, 2), {"ch2": "CONNECTED"}),  # cleared: one slot free ...
        (at_ms(70), (0, 2), {"ch2": "CONNECTED", "ch3": "CONNECTING"}),  # ... taken at once
        (at_ms(72), (0, 2), {"ch2": "CONNECTED", "ch3": "CONNECTED"}),
        (at_ms(90), (0, 2), {"ch2": "ENDED", "ch3": "CONNECTED"}),
        (at_ms(95), (1, 2), {"ch3": "CONNECTED"}),
        (at_ms(120), (1, 2), {"ch3": "ENDED"}),
        (at_ms(125), (2, 2), {}),
    ]


def test_voice_slot_is_untouched_by_chats(run: Output) -> None:
    """AvailableSlots is maximum minus held slots per channel (DESIGN §5)."""
    assert {slots(r)["VOICE"] for r in run.changes("alice")} == {(1, 1)}


def test_third_chat_waits_in_queue_for_a_slot(run: Output) -> None:
    record = run.record("ch3")
    assert record["Queue"]["EnqueueTimestamp"] == at_s(30)
    assert record["Queue"]["DequeueTimestamp"] == at_s(72)
    assert record["Queue"]["Duration"] == 42
    assert record["AgentConnectionAttempts"] == 1
    offer = next(r for r in run.changes("alice") if states(r).get("ch3") == "CONNECTING")
    contact = contacts_by_id(offer)["ch3"]
    assert contact["QueueTimestamp"] == at_ms(30)
    assert contact["StateStartTimestamp"] == at_ms(70)


def contacts_by_id(record: dict[str, object]) -> dict[str, dict[str, object]]:
    snapshot = record["CurrentAgentSnapshot"]
    assert isinstance(snapshot, dict)
    return {c["ContactId"]: c for c in snapshot["Contacts"]}


@pytest.mark.parametrize(
    ("contact_id", "connected", "ended", "cleared", "reason"),
    [
        ("ch1", 12, 60, 70, "CUSTOMER_DISCONNECT"),
        ("ch2", 23, 90, 95, "AGENT_DISCONNECT"),
        ("ch3", 72, 120, 125, "CUSTOMER_DISCONNECT"),
    ],
)
def test_each_chat_has_its_own_record(  # noqa: PLR0917 - one parametrised row per chat
    run: Output, contact_id: str, connected: int, ended: int, cleared: int, reason: str
) -> None:
    record = run.record(contact_id)
    agent = record["Agent"]
    assert record["Channel"] == "CHAT"
    assert record["InitiationMethod"] == "API"
    assert record["MediaStreams"] == [{"Type": "CHAT"}]
    assert record["DisconnectReason"] == reason
    assert agent["ConnectedToAgentTimestamp"] == at_s(connected)
    assert record["Queue"]["DequeueTimestamp"] == at_s(connected)
    assert agent["AgentInteractionDuration"] == ended - connected
    assert agent["NumberOfHolds"] == 0
    assert agent["CustomerHoldDuration"] == 0
    assert agent["AfterContactWorkDuration"] == cleared - ended
    span = acw_from_stream(run.aes)[run.arn("alice"), contact_id]
    assert (span.start_ms, span.end_ms) == (ms(at_ms(ended)), ms(at_ms(cleared)))
    assert record["Recording"] is None


def test_activity_stays_on_contact_while_one_chat_is_in_acw() -> None:
    """Reference §2.4: On contact outranks ACW; only when the last chat ends is it ACW."""
    activities: list[str] = []

    def note(record: AgentStreamRecord) -> None:
        if record.current is not None:
            activities.append(activity_name(record.current.activity, record.current.status.name))

    run_script(load_script(EXAMPLES / "two-chats.yaml"), on_agent_event=note)
    assert activities == [
        "Available",
        "Incoming",
        "On contact",
        "On contact",  # one connected, one ringing
        "On contact",
        "On contact",  # ch1 in ACW, ch2 connected
        "On contact",
        "On contact",
        "On contact",
        "On contact",
        "On contact",
        "After contact work",
        "Available",
    ]
