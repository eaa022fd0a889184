"""Agent Activity (DESIGN §2): derived from (status, contacts) with the precedence Error > Missed >
Rejected > On contact > ACW > Incoming > status name."""

from __future__ import annotations

import itertools

import pytest

from switchboard.domain.activity import Activity, activity_name, activity_of
from switchboard.domain.model import ContactState, StatusType
from tests.support import World

# Highest precedence first: (contact state, outbound?) → the activity it stands for.
LADDER: list[tuple[tuple[ContactState, bool], Activity]] = [
    ((ContactState.ERROR, False), Activity.ERROR),
    ((ContactState.MISSED, False), Activity.MISSED),
    ((ContactState.REJECTED, False), Activity.REJECTED),
    ((ContactState.CONNECTED, False), Activity.ON_CONTACT),
    ((ContactState.ENDED, False), Activity.AFTER_CONTACT_WORK),
    ((ContactState.CONNECTING, False), Activity.INCOMING),
]


@pytest.mark.parametrize(
    ("higher", "lower"),
    list(itertools.combinations(LADDER, 2)),
    ids=lambda rung: rung[1].value,
)
def test_the_higher_activity_wins_whatever_the_order_of_contacts(
    higher: tuple[tuple[ContactState, bool], Activity],
    lower: tuple[tuple[ContactState, bool], Activity],
) -> None:
    for status in StatusType:
        assert activity_of(status, [higher[0], lower[0]]) is higher[1]
        assert activity_of(status, [lower[0], higher[0]]) is higher[1]


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ((ContactState.CONNECTED_ONHOLD, False), Activity.ON_CONTACT),
        ((ContactState.CONNECTING, True), Activity.ON_CONTACT),  # outbound ringing
        ((ContactState.PAUSED, False), Activity.ON_CONTACT),
        ((ContactState.INCOMING, False), Activity.INCOMING),
        ((ContactState.PENDING, False), Activity.INCOMING),
    ],
)
def test_each_contact_state_maps_to_its_activity(
    contact: tuple[ContactState, bool], expected: Activity
) -> None:
    assert activity_of(StatusType.CUSTOM, [contact]) is expected


def test_outbound_ringing_outranks_an_inbound_offer_and_acw() -> None:
    contacts = [(ContactState.CONNECTING, False), (ContactState.ENDED, False)]
    assert activity_of(StatusType.ROUTABLE, [*contacts, (ContactState.CONNECTING, True)]) is (
        Activity.ON_CONTACT
    )


@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (StatusType.ROUTABLE, "Available", "Available"),
        (StatusType.CUSTOM, "Break", "Break"),
        (StatusType.OFFLINE, "Offline", "Offline"),
        (StatusType.ROUTABLE, "Ready", "Ready"),  # a renamed Available shows its own name
    ],
)
def test_with_no_contact_the_activity_is_the_status_name(
    status: StatusType, name: str, expected: str
) -> None:
    assert activity_name(activity_of(status, []), name) == expected


# --- end to end, from the stream ---------------------------------------------------------------


def test_two_chats_one_in_acw_one_connected_is_on_contact() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.accept("alice", "ch2", 11)
    world.hangup("ch1", 20)
    assert world.slot_state("alice", "ch1") is ContactState.ENDED
    assert world.activities("alice")[-1] == "On contact"
    world.hangup("ch2", 30)
    assert world.activities("alice")[-1] == "After contact work"


def test_acw_outranks_a_new_offer() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.hangup("ch1", 20)
    world.inbound("ch2", 25, channel="CHAT")
    assert world.slot_state("alice", "ch2") is ContactState.CONNECTING
    assert world.activities("alice")[-1] == "After contact work"


def test_missed_outranks_rejected_and_rejected_outranks_on_contact() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 10, channel="CHAT")
    world.reject("alice", "ch2", 12)
    assert world.activities("alice")[-1] == "Rejected"
    world.run_until(30)  # ch1 times out
    assert world.activities("alice")[-1] == "Missed"
    world.clear("alice", "ch1", 31)
    assert world.activities("alice")[-1] == "Rejected"


def test_error_outranks_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.run_until(30)  # ch1 missed
    world.dial("alice", "out1", 31)
    world.dial_failed("out1", 32)
    assert world.activities("alice")[-1] == "Error"
    world.clear("alice", "out1", 33)
    assert world.activities("alice")[-1] == "Missed"


def test_a_break_agent_in_acw_shows_after_contact_work_then_break() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "out1", 5)
    world.answered("out1", 6)
    world.end("alice", "out1", 20)
    world.clear("alice", "out1", 25)
    assert world.activities("alice") == [
        "Break",
        "On contact",
        "On contact",
        "After contact work",
        "Break",
    ]


def test_an_inbound_offer_is_incoming() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    assert world.activities("alice") == ["Available", "Incoming"]
