"""A small world for behaviour tests: one instance built from a scenario dict, a manual clock,
and everything the engine published (agent events, contact records), decoded back from JSON."""

from __future__ import annotations

from typing import Any

import orjson

from switchboard.domain import commands as cmd
from switchboard.domain.activity import activity_name
from switchboard.domain.events import Event
from switchboard.domain.model import AgentId, Channel, ContactId, ContactState, Millis, StatusId
from switchboard.engine.engine import AgentStreamRecord, Engine, StreamEventType
from switchboard.engine.views import ContactRecordView
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.ctr import ContactRecordEncoder
from switchboard.formats.timestamps import iso_ms, iso_s
from switchboard.sim.scenario import Setup, parse_setup, parse_start
from switchboard.sim.script import new_engine

START = "2026-01-05T09:00:00Z"

BASIC: dict[str, Any] = {
    "instance": {"account": "111122223333", "region": "us-east-1", "id": "test"},
    "statuses": [{"name": "Break"}, {"name": "Training"}, {"name": "Lunch", "enabled": False}],
    "queues": [{"name": "Sales", "channels": ["VOICE", "CHAT", "TASK"]}],
    "routing_profiles": [
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Sales", "channel": "VOICE"},
                {"queue": "Sales", "channel": "CHAT"},
            ],
        }
    ],
    "agents": [
        {"username": "alice", "routing_profile": "Basic"},
        {"username": "bob", "routing_profile": "Basic"},
    ],
}


class World:
    """Given a scenario, when commands happen at seconds after start, then records come out."""

    def __init__(self, scenario: dict[str, Any] | None = None) -> None:
        doc = scenario if scenario is not None else BASIC
        self.setup: Setup = parse_setup(doc)
        self.start: Millis = parse_start(doc.get("start", START))
        self.engine: Engine = new_engine(self.setup, self.start)
        self.records: list[AgentStreamRecord] = []
        self.contact_records: list[ContactRecordView] = []
        self.aes_json: list[dict[str, Any]] = []
        self.ctr_json: list[dict[str, Any]] = []
        aes = AgentEventEncoder(self.setup.settings)
        ctr = ContactRecordEncoder(self.setup.settings)
        self.engine.on_agent_event(self.records.append)
        self.engine.on_agent_event(lambda r: self.aes_json.append(orjson.loads(aes.encode(r))))
        self.engine.on_contact_record(self.contact_records.append)
        self.engine.on_contact_record(lambda r: self.ctr_json.append(orjson.loads(ctr.encode(r))))

    # --- names to ids ---------------------------------------------------------------------------

    def agent(self, username: str) -> AgentId:
        return self.setup.agents[username.casefold()]

    def status(self, name: str) -> StatusId:
        return self.setup.statuses[name.casefold()]

    def queue(self, name: str = "Sales") -> Any:
        return self.setup.queues[name.casefold()]

    def ms(self, seconds: float) -> Millis:
        return self.start + round(seconds * 1000)

    # --- when -----------------------------------------------------------------------------------

    def do(self, command: cmd.Command, at: float) -> list[Event]:
        return self.engine.execute(command, at=self.ms(at))

    def run_until(self, at: float) -> None:
        self.engine.fire_due(self.ms(at))

    def login(self, username: str, at: float = 0) -> None:
        self.do(cmd.Login(agent_id=self.agent(username)), at)

    def set_status(
        self, username: str, status: str, at: float, actor: str = "agent"
    ) -> list[Event]:
        return self.do(
            cmd.SetStatus(
                agent_id=self.agent(username), status_id=self.status(status), actor=actor
            ),
            at,
        )

    def available(self, username: str, at: float = 0) -> None:
        self.login(username, at)
        self.set_status(username, "Available", at)

    def inbound(
        self, contact: str, at: float, channel: str = "VOICE", queue: str = "Sales"
    ) -> list[Event]:
        return self.do(
            cmd.StartInboundContact(
                contact_id=ContactId(contact), channel=Channel(channel), queue_id=self.queue(queue)
            ),
            at,
        )

    def accept(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.AcceptContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def reject(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.RejectContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def clear(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.ClearContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def end(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.EndContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def hangup(self, contact: str, at: float) -> list[Event]:
        return self.do(cmd.CustomerHangup(contact_id=ContactId(contact)), at)

    # --- then -----------------------------------------------------------------------------------

    def slot_state(self, username: str, contact: str) -> ContactState | None:
        slot = self.engine.state.agents[self.agent(username)].slots.get(ContactId(contact))
        return slot.state if slot is not None else None

    def status_name(self, username: str) -> str:
        agent = self.engine.state.agents[self.agent(username)]
        return self.engine.state.statuses[agent.status_id].name

    def agent_records(
        self, username: str, kind: StreamEventType | None = None
    ) -> list[AgentStreamRecord]:
        agent_id = self.agent(username)
        return [
            r
            for r in self.records
            if r.agent_id == agent_id and (kind is None or r.event_type is kind)
        ]

    def activities(self, username: str) -> list[str]:
        """The Agent Activity after each STATE_CHANGE of one agent, in order."""
        return [
            activity_name(r.current.activity, r.current.status.name)
            for r in self.agent_records(username, StreamEventType.STATE_CHANGE)
            if r.current is not None
        ]

    def ctr(self, contact: str) -> dict[str, Any]:
        found = [r for r in self.ctr_json if r["ContactId"] == contact]
        assert len(found) == 1, f"expected one record for {contact}, got {len(found)}"
        return found[0]

    # --- helpers added for the behaviour suites (tests/unit) -------------------------------------

    def logout(
        self, username: str, at: float, *, forced: bool = False, actor: str = "agent"
    ) -> list[Event]:
        return self.do(cmd.Logout(agent_id=self.agent(username), forced=forced, actor=actor), at)

    def hold(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.HoldContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def resume(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.ResumeContact(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def dial(self, username: str, contact: str, at: float) -> list[Event]:
        return self.do(
            cmd.DialOut(agent_id=self.agent(username), contact_id=ContactId(contact)), at
        )

    def answered(self, contact: str, at: float) -> list[Event]:
        return self.do(cmd.CustomerAnswered(contact_id=ContactId(contact)), at)

    def dial_failed(self, contact: str, at: float) -> list[Event]:
        return self.do(cmd.DialFailed(contact_id=ContactId(contact)), at)

    def aes(self, username: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The decoded agent event stream records of one agent (optionally one EventType)."""
        arn_tail = f"/agent/{self.agent(username)}"
        return [
            r
            for r in self.aes_json
            if r["AgentARN"].endswith(arn_tail) and (kind is None or r["EventType"] == kind)
        ]

    def last_snapshot(self, username: str) -> dict[str, Any]:
        """The CurrentAgentSnapshot of the agent's latest STATE_CHANGE or HEART_BEAT."""
        found = [r for r in self.aes(username) if r["CurrentAgentSnapshot"] is not None]
        assert found, f"no snapshot published for {username}"
        return found[-1]["CurrentAgentSnapshot"]

    def fingerprint(self) -> tuple[Any, ...]:
        """What a refused command must leave as it was: log, outputs, statuses, slots, queue."""
        state = self.engine.state
        agents = tuple(
            (
                agent.username,
                agent.status_id,
                agent.next_status_id,
                agent.logged_in,
                tuple((cid, slot.state, slot.state_start) for cid, slot in agent.slots.items()),
            )
            for agent in state.agents.values()
        )
        return (
            len(self.engine.log),  # type: ignore[arg-type]  # InMemoryLog has __len__
            len(self.records),
            len(self.contact_records),
            agents,
            tuple(sorted(state.contacts)),
            state.router.queued,
            tuple(sorted((s.name, s.enabled, s.display_order) for s in state.statuses.values())),
            tuple(sorted(p.name for p in state.profiles.values())),
        )

    def iso(self, seconds: float) -> str:
        """An AES timestamp (ms) for `seconds` after start."""
        return iso_ms(self.ms(seconds))

    def iso_s(self, seconds: float) -> str:
        """A contact-record timestamp (whole seconds) for `seconds` after start."""
        return iso_s(self.ms(seconds))
