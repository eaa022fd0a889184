"""The contact summary: "We couldn't find this agent" exactly where no agent was connected."""

from switchboard.formats.ctr import decode_contact_record
from switchboard.formats.summary import NO_AGENT, contact_summary
from tests.support import World


def test_a_caller_who_hangs_up_in_queue_has_no_agent_and_no_recording() -> None:
    world = World()
    world.inbound("c1", 0)
    world.hangup("c1", 25)
    summary = contact_summary(decode_contact_record(world.ctr("c1")))
    assert summary.agent == NO_AGENT
    assert summary.agent == (
        "We couldn't find this agent. Use the agent's user name to identify them."
    )
    assert summary.disconnect_reason == "CUSTOMER_DISCONNECT"
    assert summary.recording == "no recording"
    assert summary.queue_s == 25


def test_a_caller_who_hangs_up_while_ringing_has_no_agent_either() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.hangup("c1", 15)
    summary = contact_summary(decode_contact_record(world.ctr("c1")))
    assert summary.agent == NO_AGENT
    assert summary.recording == "no recording"


def test_a_connected_call_names_its_agent_and_has_a_recording() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hangup("c1", 40)
    world.clear("alice", "c1", 50)
    summary = contact_summary(decode_contact_record(world.ctr("c1")))
    assert summary.agent == "alice"
    assert summary.recording == "available"
    assert summary.acw_s == 10
