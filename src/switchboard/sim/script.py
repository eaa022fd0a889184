"""`switchboard run`: replay a script of timed actions through the engine on a virtual clock."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from switchboard.domain import commands as cmd
from switchboard.domain.errors import DomainError
from switchboard.domain.model import AgentId, ContactId, DisconnectReason, Millis
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import AgentStreamRecord, Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.log import EventLog
from switchboard.engine.views import ContactRecordView
from switchboard.formats.jsonl import BUFFER, write_jsonl
from switchboard.sim.scenario import (
    SETUP_KEYS,
    ScriptError,
    Setup,
    as_list,
    as_mapping,
    channel,
    known_keys,
    load_yaml,
    lookup,
    parse_setup,
    parse_start,
    seconds_ms,
)

_ACTION_KEYS: dict[str, set[str]] = {
    "login": {"agent"},
    "logout": {"agent", "forced", "by"},
    "set_status": {"agent", "status", "by"},
    "inbound": {"contact", "channel", "queue", "attributes", "customer"},
    "accept": {"agent", "contact"},
    "reject": {"agent", "contact"},
    "hold": {"agent", "contact"},
    "resume": {"agent", "contact"},
    "hangup": {"contact", "by", "agent"},
    "clear": {"agent", "contact", "by"},
    "outbound": {"agent", "contact", "queue", "answered", "ring_s", "customer"},
    "answer": {"contact"},
    "dial_failed": {"contact"},
    "stop": {"contact", "reason"},
    "set_phone_config": {"agent", "acw_timeout_s", "auto_accept"},
    "update_status": {"status", "name", "enabled", "display_order"},
    "set_routing_profile": {"agent", "routing_profile"},
}


@dataclass(frozen=True, slots=True)
class Step:
    at: Millis
    order: tuple[int, int]
    action: dict[str, Any]
    build: Callable[[Engine], cmd.Command]

    @property
    def text(self) -> str:
        """The action as written, for messages (built only when one is needed)."""
        return " ".join(f"{k}={v}" for k, v in self.action.items() if k != "at")


@dataclass(slots=True)
class Script:
    setup: Setup
    start: Millis
    end: Millis
    steps: list[Step]


@dataclass(slots=True)
class RunResult:
    agent_events: int = 0
    contact_records: int = 0
    commands: int = 0
    refused: list[str] = field(default_factory=list)


def load_script(path: Path) -> Script:
    return parse_script(load_yaml(path))


def parse_script(doc: dict[str, Any]) -> Script:
    known_keys(doc, SETUP_KEYS | {"script", "end_s"}, "script file")
    setup = parse_setup(doc)
    start = parse_start(doc.get("start"))
    steps: list[Step] = []
    last_at = 0
    for index, raw in enumerate(as_list(doc.get("script"), "script")):
        action = as_mapping(raw, f"script step {index + 1}")
        at = seconds_ms(action.get("at"), f"script step {index + 1}: at")
        where = f"script step {index + 1} at {at / 1000:g} s"
        if at < last_at:
            raise ScriptError(f"{where}: at {at / 1000:g} s comes before the previous action")
        last_at = at
        steps.extend(_steps(setup, start + at, index, action, where))
    end_ms = seconds_ms(doc.get("end_s", last_at / 1000), "end_s")
    return Script(setup, start, start + max(end_ms, last_at), steps)


def _steps(setup: Setup, at: Millis, index: int, action: dict[str, Any], where: str) -> list[Step]:
    do = action.get("do")
    if do not in _ACTION_KEYS:
        raise ScriptError(
            f"{where}: unknown action {do!r}; known: {', '.join(sorted(_ACTION_KEYS))}"
        )
    known_keys(action, _ACTION_KEYS[do] | {"at", "do"}, where)

    def agent() -> AgentId:
        return lookup(setup.agents, action.get("agent"), "agent", where)

    def contact() -> ContactId:
        value = action.get("contact")
        if value is None:
            raise ScriptError(f"{where}: {do} needs a contact")
        return ContactId(str(value))

    def step(build: Callable[[Engine], cmd.Command], sub: int = 0, when: Millis = at) -> Step:
        return Step(when, (index, sub), action, build)

    actor = str(action.get("by", "agent"))
    match do:
        case "login":
            a = agent()
            return [step(lambda e: cmd.Login(agent_id=a))]
        case "logout":
            a = agent()
            forced = bool(action.get("forced", False))
            return [step(lambda e: cmd.Logout(agent_id=a, forced=forced, actor=actor))]
        case "set_status":
            a = agent()
            status = lookup(setup.statuses, action.get("status"), "status", where)
            return [step(lambda e: cmd.SetStatus(agent_id=a, status_id=status, actor=actor))]
        case "inbound":
            queue = lookup(setup.queues, action.get("queue"), "queue", where)
            ch = channel(action.get("channel", "VOICE"), where)
            given = action.get("contact")
            attributes = tuple(
                (str(k), str(v)) for k, v in as_mapping(action.get("attributes"), where).items()
            )
            customer = action.get("customer")
            return [
                step(
                    lambda e: cmd.StartInboundContact(
                        contact_id=ContactId(str(given))
                        if given is not None
                        else e.new_contact_id(),
                        channel=ch,
                        queue_id=queue,
                        attributes=attributes,
                        customer_endpoint=str(customer) if customer is not None else None,
                    )
                )
            ]
        case "accept" | "reject" | "hold" | "resume":
            kind = {
                "accept": cmd.AcceptContact,
                "reject": cmd.RejectContact,
                "hold": cmd.HoldContact,
                "resume": cmd.ResumeContact,
            }[do]
            a, c = agent(), contact()
            return [step(lambda e: kind(agent_id=a, contact_id=c))]
        case "clear":
            a, c = agent(), contact()
            return [step(lambda e: cmd.ClearContact(agent_id=a, contact_id=c, actor=actor))]
        case "hangup":
            c = contact()
            by = action.get("by", "customer")
            if by == "customer":
                return [step(lambda e: cmd.CustomerHangup(contact_id=c))]
            if by != "agent":
                raise ScriptError(f"{where}: by must be agent or customer, got {by!r}")
            named = agent() if action.get("agent") is not None else None
            return [
                step(lambda e: cmd.EndContact(agent_id=named or _holder(e, c, where), contact_id=c))
            ]
        case "outbound":
            a, c = agent(), contact()
            queue_name = action.get("queue")
            outbound_queue = (
                lookup(setup.queues, queue_name, "queue", where) if queue_name else None
            )
            customer = action.get("customer")
            steps = [
                step(
                    lambda e: cmd.DialOut(
                        agent_id=a,
                        contact_id=c,
                        queue_id=outbound_queue,
                        customer_endpoint=str(customer) if customer is not None else None,
                    )
                )
            ]
            answered = action.get("answered")
            if answered is not None:
                ring = at + seconds_ms(action.get("ring_s", 0), f"{where}.ring_s")
                follow: cmd.Command = (
                    cmd.CustomerAnswered(contact_id=c) if answered else cmd.DialFailed(contact_id=c)
                )
                steps.append(step(lambda e: follow, 1, ring))
            return steps
        case "answer":
            c = contact()
            return [step(lambda e: cmd.CustomerAnswered(contact_id=c))]
        case "dial_failed":
            c = contact()
            return [step(lambda e: cmd.DialFailed(contact_id=c))]
        case "stop":
            c = contact()
            try:
                reason = DisconnectReason(action.get("reason", "API"))
            except ValueError:
                raise ScriptError(
                    f"{where}: unknown disconnect reason {action.get('reason')!r}"
                ) from None
            return [step(lambda e: cmd.StopContact(contact_id=c, reason=reason))]
        case "set_phone_config":
            a = agent()
            acw = tuple(
                (channel(k, where), seconds_ms(v, where))
                for k, v in as_mapping(action.get("acw_timeout_s"), where).items()
            )
            auto = tuple(
                (channel(k, where), bool(v))
                for k, v in as_mapping(action.get("auto_accept"), where).items()
            )
            return [
                step(
                    lambda e: cmd.UpdateUserPhoneConfig(
                        agent_id=a, acw_timeout_ms=acw, auto_accept=auto
                    )
                )
            ]
        case "set_routing_profile":
            a = agent()
            profile = lookup(
                setup.profiles, action.get("routing_profile"), "routing profile", where
            )
            return [step(lambda e: cmd.UpdateUserRoutingProfile(agent_id=a, profile_id=profile))]
        case "update_status":
            status = lookup(setup.statuses, action.get("status"), "status", where)
            name = action.get("name")
            enabled = action.get("enabled")
            order = action.get("display_order")
            return [
                step(
                    lambda e: cmd.UpdateAgentStatus(
                        status_id=status,
                        name=str(name) if name is not None else None,
                        enabled=bool(enabled) if enabled is not None else None,
                        display_order=int(order) if order is not None else None,
                    )
                )
            ]
    raise ScriptError(f"{where}: unhandled action {do!r}")  # pragma: no cover - table above


def _holder(engine: Engine, contact_id: ContactId, where: str) -> AgentId:
    contact = engine.state.contacts.get(contact_id)
    if contact is None or contact.agent_id is None:
        raise ScriptError(f"{where}: contact {contact_id} is not with an agent")
    return contact.agent_id


def new_engine(setup: Setup, start: Millis, log: EventLog | None = None) -> Engine:
    """An engine with the scenario's instance built at `start`."""
    engine = Engine(clock=ManualClock(start), ids=IdSource(setup.settings.arn), log=log)
    for command in setup.commands:
        try:
            engine.execute(command, at=start)
        except DomainError as refused:
            raise ScriptError(f"instance setup: {refused.message}") from None
    return engine


def run_script(
    script: Script,
    *,
    agent_events: IO[bytes] | None = None,
    contact_records: IO[bytes] | None = None,
    on_agent_event: Callable[[AgentStreamRecord], None] | None = None,
    on_contact_record: Callable[[ContactRecordView], None] | None = None,
    keep_going: bool = False,
    engine: Engine | None = None,
) -> tuple[Engine, RunResult]:
    """Run every step at its time, then let the clock run to `end` so timers fire."""
    result = RunResult()
    if engine is None:
        engine = new_engine(script.setup, script.start)
    settings = script.setup.settings
    write_jsonl(engine, settings, agent_events=agent_events, contact_records=contact_records)

    def _count_aes(_: AgentStreamRecord) -> None:
        result.agent_events += 1

    def _count_ctr(_: ContactRecordView) -> None:
        result.contact_records += 1

    engine.on_agent_event(_count_aes)
    engine.on_contact_record(_count_ctr)
    if on_agent_event is not None:
        engine.on_agent_event(on_agent_event)
    if on_contact_record is not None:
        engine.on_contact_record(on_contact_record)

    queue = [(s.at, s.order, i) for i, s in enumerate(script.steps)]
    heapq.heapify(queue)
    while queue:
        at, _, i = heapq.heappop(queue)
        step = script.steps[i]
        try:
            engine.execute(step.build(engine), at=at)
            result.commands += 1
        except (DomainError, ScriptError) as refused:
            message = refused.message if isinstance(refused, DomainError) else str(refused)
            text = f"at {(at - script.start) / 1000:g} s ({step.text}): {message}"
            if not keep_going:
                raise ScriptError(text) from None
            result.refused.append(text)
    engine.fire_due(script.end)
    return engine, result


def run_script_to_dir(script: Script, out: Path, **kwargs: Any) -> tuple[Engine, RunResult]:
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / "agent-events.jsonl").open("wb", buffering=BUFFER) as aes_file,
        (out / "contact-records.jsonl").open("wb", buffering=BUFFER) as ctr_file,
    ):
        return run_script(script, agent_events=aes_file, contact_records=ctr_file, **kwargs)
