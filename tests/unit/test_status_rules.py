"""Agent status (DESIGN §2, §3.1, §3.11): the status is set by the agent, a supervisor or a next
status taking effect, and never because of contacts."""

from __future__ import annotations

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.model import ContactId, ContactState
from tests.support import World


def test_a_new_user_starts_offline() -> None:
    world = World()
    assert world.status_name("alice") == "Offline"
    world.login("alice", 0)
    assert world.status_name("alice") == "Offline"


def test_choosing_a_status_emits_one_state_change_with_name_type_and_start() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 7.25)
    [change] = world.aes("alice", "STATE_CHANGE")
    status = change["CurrentAgentSnapshot"]["AgentStatus"]
    assert status["Name"] == "Break"
    assert status["Type"] == "CUSTOM"
    assert status["StartTimestamp"] == world.iso(7.25)
    assert change["EventTimestamp"] == world.iso(7.25)


def test_choosing_the_current_status_again_changes_nothing() -> None:
    world = World()
    world.available("alice", 0)
    before = len(world.records)
    world.set_status("alice", "Available", 5)
    assert len(world.records) == before
    assert world.last_snapshot("alice")["AgentStatus"]["StartTimestamp"] == world.iso(0)


def test_the_status_stays_available_through_ringing_talk_acw_and_clear() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hold("alice", "c1", 15)
    world.resume("alice", "c1", 18)
    world.hangup("c1", 30)
    world.clear("alice", "c1", 40)
    changes = world.aes("alice", "STATE_CHANGE")
    assert len(changes) == 7
    for change in changes:
        status = change["CurrentAgentSnapshot"]["AgentStatus"]
        assert (status["Name"], status["StartTimestamp"]) == ("Available", world.iso(0))


def test_the_status_stays_available_while_a_missed_contact_waits() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(31)
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    assert world.status_name("alice") == "Available"
    assert world.last_snapshot("alice")["AgentStatus"]["Name"] == "Available"


def test_a_status_can_be_set_on_an_agent_who_is_not_logged_in() -> None:
    world = World()
    world.set_status("bob", "Available", 5, actor="supervisor")
    assert world.status_name("bob") == "Available"
    [change] = world.aes("bob", "STATE_CHANGE")
    assert change["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Available"


def test_a_supervisor_change_is_recorded_with_its_actor() -> None:
    world = World()
    world.available("alice", 0)
    [event] = world.set_status("alice", "Break", 5, actor="supervisor:carol")
    assert getattr(event, "actor", None) == "supervisor:carol"
    assert world.status_name("alice") == "Break"


def test_a_supervisor_change_while_on_a_contact_follows_the_next_status_rules() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.set_status("alice", "Break", 20, actor="supervisor")
    snapshot = world.last_snapshot("alice")
    assert snapshot["AgentStatus"]["Name"] == "Available"
    assert snapshot["NextAgentStatus"]["Name"] == "Break"


def test_a_supervisor_can_force_clear_a_slot_and_is_recorded_as_the_actor() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.hangup("c1", 20)
    events = world.do(
        cmd.ClearContact(
            agent_id=world.agent("alice"), contact_id=ContactId("c1"), actor="supervisor:carol"
        ),
        30,
    )
    [cleared] = [e for e in events if isinstance(e, ev.ContactCleared)]
    assert cleared.actor == "supervisor:carol"
    assert world.slot_state("alice", "c1") is None
    assert world.ctr("c1")["Agent"]["AfterContactWorkEndTimestamp"] == world.iso_s(30)
