"""The dashboard page's data: statuses a supervisor may set, filters, the first view of the page."""

from __future__ import annotations

from switchboard.api.registry import Instance, InstanceRegistry, UserExtras
from switchboard.domain import commands as cmd
from switchboard.domain.model import (
    AgentId,
    Channel,
    ContactId,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.engine.clock import ManualClock
from switchboard.web.dashboard import initial_view, page_data, status_choices

START = 1_767_603_600_000  # 2026-01-05T09:00:00Z


def center() -> tuple[Instance, ManualClock]:
    """Statuses Break (order 3), Training (order 2, then disabled), Lunch (order 2); queue Sales;
    profile Sales; agents alice and bob."""
    clock = ManualClock(START)
    instance = InstanceRegistry().create(alias="test", clock=clock, at=START)
    run = instance.engine.execute
    run(cmd.CreateAgentStatus(status_id=StatusId("break"), name="Break", display_order=3), at=START)
    run(
        cmd.CreateAgentStatus(status_id=StatusId("training"), name="Training", display_order=2),
        at=START,
    )
    run(cmd.CreateAgentStatus(status_id=StatusId("lunch"), name="Lunch", display_order=2), at=START)
    run(cmd.UpdateAgentStatus(status_id=StatusId("training"), enabled=False), at=START)
    run(cmd.CreateQueue(queue_id=QueueId("sales"), name="Sales"), at=START)
    run(
        cmd.CreateRoutingProfile(
            profile_id=RoutingProfileId("sales"),
            name="Sales",
            concurrency=((Channel.VOICE, 1),),
            queues=(ProfileQueue(queue_id=QueueId("sales"), channel=Channel.VOICE),),
            default_outbound_queue_id=QueueId("sales"),
        ),
        at=START,
    )
    for name in ("alice", "bob"):
        run(
            cmd.CreateUser(
                agent_id=AgentId(name),
                username=name,
                first_name=name.title(),
                last_name="Tester",
                profile_id=RoutingProfileId("sales"),
            ),
            at=START,
        )
        instance.users[AgentId(name)] = UserExtras(security_profile_ids=())
    return instance, clock


def test_status_choices_are_the_enabled_statuses_in_display_order() -> None:
    instance, _ = center()
    assert [s["Name"] for s in status_choices(instance)] == [
        "Available",  # 1
        "Lunch",  # 2, before Offline (2) by name
        "Offline",
        "Break",  # 3; Training is disabled
    ]
    assert {s["Name"]: s["Type"] for s in status_choices(instance)}["Offline"] == "OFFLINE"


def test_page_data_names_the_offline_status_and_the_filters() -> None:
    instance, _ = center()
    data = page_data(instance)
    offline = next(s for s in instance.engine.state.statuses.values() if s.name == "Offline")
    assert data["OfflineStatusId"] == offline.id
    assert data["Queues"] == [{"Id": "sales", "Name": "Sales"}]
    assert data["RoutingProfiles"] == [{"Id": "sales", "Name": "Sales"}]
    assert data["InstanceId"] == instance.id


def test_the_first_view_shows_a_break_agent_on_an_outbound_call_as_npt_and_on_contact() -> None:
    instance, _ = center()
    run = instance.engine.execute
    alice = AgentId("alice")
    run(cmd.Login(agent_id=alice), at=START + 1000)
    run(cmd.SetStatus(agent_id=alice, status_id=StatusId("break")), at=START + 2000)
    run(cmd.DialOut(agent_id=alice, contact_id=ContactId("out-1")), at=START + 3000)
    run(cmd.CustomerAnswered(contact_id=ContactId("out-1")), at=START + 5000)
    view = initial_view(instance, START + 9000)
    row = next(r for r in view["Agents"] if r["Username"] == "alice")
    assert row["Status"]["Name"] == "Break"
    assert row["Activity"]["Name"] == "On contact"
    assert [c["State"] for c in row["Contacts"]] == ["CONNECTED"]
    line = next(m for m in view["Metrics"] if m["Channel"] == "VOICE")
    assert (line["AgentsNonProductive"], line["AgentsOnContact"], line["AgentsStaffed"]) == (
        1,
        1,
        0,
    )
    assert view["ServerTime"] == "2026-01-05T09:00:09.000Z"
