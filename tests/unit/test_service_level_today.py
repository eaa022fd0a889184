"""Service level today (the supervisor dashboard's tile): answered within 20 s since local
midnight, per queue and channel, kept from the engine's events or rebuilt when it joins late."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from switchboard.api.registry import Instance, InstanceRegistry
from switchboard.api.supervisor import ServiceLevelToday, metric_rows, service_level_today
from switchboard.domain import commands as cmd
from switchboard.domain.model import (
    AgentId,
    Channel,
    ContactId,
    InstanceSettings,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.engine.clock import ManualClock, millis
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource

NEW_YORK = ZoneInfo("America/New_York")
SALES = QueueId("sales")
ALICE = AgentId("alice")
AVAILABLE = StatusId("available")


def at(hour: int, minute: int = 0, second: int = 0, day: int = 26) -> int:
    return millis(datetime(2026, 11, day, hour, minute, second, tzinfo=NEW_YORK))


class Center:
    """An instance in New York with one queue and one agent, on a manual clock."""

    def __init__(self) -> None:
        self.clock = ManualClock(at(8))
        settings = InstanceSettings(instance_id="sl", time_zone="America/New_York")
        engine = Engine(clock=self.clock, ids=IdSource(settings.arn))
        self.engine = engine
        self.run(
            cmd.CreateInstance(
                settings=settings, available_id=AVAILABLE, offline_id=StatusId("offline")
            )
        )
        self.instance: Instance = InstanceRegistry().adopt(
            engine, alias="sl", created_at=self.clock.now()
        )
        self.run(cmd.CreateQueue(queue_id=SALES, name="Sales", channels=(Channel.VOICE,)))
        self.run(
            cmd.CreateRoutingProfile(
                profile_id=RoutingProfileId("p"),
                name="Sales",
                concurrency=((Channel.VOICE, 1),),
                queues=(ProfileQueue(queue_id=SALES, channel=Channel.VOICE),),
            )
        )
        self.run(
            cmd.CreateUser(
                agent_id=ALICE,
                username="alice",
                first_name="Alice",
                last_name="A",
                profile_id=RoutingProfileId("p"),
            )
        )

    def run(self, command: cmd.Command) -> None:
        self.engine.execute(command, at=self.clock.now())

    def at(self, moment: int, command: cmd.Command) -> None:
        self.clock.set(moment)
        self.run(command)

    def call(self, moment: int, name: str) -> None:
        self.at(
            moment,
            cmd.StartInboundContact(
                contact_id=ContactId(name), channel=Channel.VOICE, queue_id=SALES
            ),
        )

    def figures(self, tally: ServiceLevelToday, moment: int) -> dict[str, object]:
        return tally.figures(SALES, Channel.VOICE, moment)


def a_day_of_calls(center: Center) -> None:
    """18:00 New York: c1, c2, c3 wait while alice is offline; she answers c1 after 10 s, the
    caller of c3 hangs up, she answers c2 after 25 s; c4 arrives at 18:00:26, c5 at 18:00:58."""
    for name in ("c1", "c2", "c3"):
        center.call(at(18), name)
    center.at(at(18, 0, 10), cmd.SetStatus(agent_id=ALICE, status_id=AVAILABLE))
    center.at(at(18, 0, 10), cmd.AcceptContact(agent_id=ALICE, contact_id=ContactId("c1")))
    center.at(at(18, 0, 12), cmd.CustomerHangup(contact_id=ContactId("c3")))
    center.at(at(18, 0, 20), cmd.EndContact(agent_id=ALICE, contact_id=ContactId("c1")))
    center.at(at(18, 0, 25), cmd.ClearContact(agent_id=ALICE, contact_id=ContactId("c1")))
    center.at(at(18, 0, 25), cmd.AcceptContact(agent_id=ALICE, contact_id=ContactId("c2")))
    center.call(at(18, 0, 26), "c4")
    center.call(at(18, 0, 58), "c5")


def test_answered_within_20_s_over_answered_unanswered_and_those_waiting_past_it() -> None:
    center = Center()
    tally = service_level_today(center.instance, center.clock.now())
    a_day_of_calls(center)

    # c1 within, c2 not, c3 unanswered, c4 waiting 34 s (a miss already), c5 waiting 2 s (not yet)
    assert center.figures(tally, at(18, 1)) == {
        "ThresholdSeconds": 20,
        "Percent": 25.0,
        "AnsweredWithin": 1,
        "Answered": 2,
        "Unanswered": 1,
        "WaitingPast": 1,
    }
    row = metric_rows(center.instance, now=at(18, 1))[0]
    assert row["ServiceLevel"]["Percent"] == 25.0
    assert row["ContactsInQueue"] == 2


def test_a_tally_that_joins_late_counts_the_same_from_records_and_state() -> None:
    center = Center()
    a_day_of_calls(center)  # c1 finished (a record), c2 connected, c3 abandoned (a record)
    late = ServiceLevelToday.attach(center.instance, at(18, 1))
    assert center.figures(late, at(18, 1))["Percent"] == 25.0
    assert (late.counts[SALES, Channel.VOICE].answered, len(late.waiting)) == (2, 2)


def test_today_is_the_instance_s_local_day() -> None:
    center = Center()
    tally = service_level_today(center.instance, center.clock.now())
    a_day_of_calls(center)
    # 20:00 in New York is already the next day in UTC: still today here
    assert center.figures(tally, at(20))["Answered"] == 2
    # after local midnight the day starts again; the two callers still waiting have missed it
    assert center.figures(tally, at(0, 1, day=27)) == {
        "ThresholdSeconds": 20,
        "Percent": 0.0,
        "AnsweredWithin": 0,
        "Answered": 0,
        "Unanswered": 0,
        "WaitingPast": 2,
    }
