"""The seed story end to end through the test world (a first check that the harness works)."""

from switchboard.domain.model import ContactState
from tests.support import World


def test_inbound_call_is_offered_accepted_and_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    world.accept("alice", "c1", 14)
    world.hangup("c1", 75)
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    world.clear("alice", "c1", 90)
    assert world.slot_state("alice", "c1") is None
    assert world.activities("alice") == [
        "Available",
        "Incoming",
        "On contact",
        "After contact work",
        "Available",
    ]
    record = world.ctr("c1")
    assert record["Agent"]["AfterContactWorkDuration"] == 15
    assert record["Queue"]["Duration"] == 4
