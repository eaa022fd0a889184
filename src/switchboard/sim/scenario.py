"""The instance part of a script or scenario file, checked and turned into engine commands.

Keys: instance, statuses, queues, routing_profiles, agents (shared by `run` and `simulate`).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from switchboard.domain import commands as cmd
from switchboard.domain.model import (
    AcwOnStatusChange,
    AgentId,
    AvailabilityTimer,
    Channel,
    CrossChannelBehavior,
    InstanceSettings,
    Millis,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.engine.clock import millis
from switchboard.engine.ids import IdSource

T = TypeVar("T")


class ScriptError(ValueError):
    """A script or scenario file that cannot be run; the message says where and why."""


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (2.5 times faster on large scripts), else PyYAML's."""


def load_yaml(path: Path) -> dict[str, Any]:
    """A script or scenario file as a mapping, or a `ScriptError` saying what is wrong with it."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as bad:
        raise ScriptError(f"{path}: not valid YAML: {bad}") from None
    except OSError as bad:
        raise ScriptError(f"{path}: {bad.strerror}") from None
    return as_mapping(doc, str(path))


def as_mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScriptError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScriptError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def known_keys(item: dict[str, Any], allowed: Set[str], where: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ScriptError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def channel(value: Any, where: str) -> Channel:
    try:
        return Channel(str(value).upper())
    except ValueError:
        raise ScriptError(f"{where}: unknown channel {value!r} (VOICE, CHAT or TASK)") from None


def seconds_ms(value: Any, where: str) -> Millis:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScriptError(f"{where}: expected a number of seconds ≥ 0, got {value!r}")
    return round(value * 1000)


def parse_start(value: Any) -> Millis:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ScriptError(f"start: not an ISO 8601 time: {value!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    elif value is None:
        moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
    else:
        raise ScriptError(f"start: not a time: {value!r}")
    return millis(moment)


@dataclass(frozen=True, slots=True)
class Setup:
    """The instance as a scenario describes it: its settings and the commands that build it."""

    settings: InstanceSettings
    commands: tuple[cmd.Command, ...]
    agents: dict[str, AgentId]
    statuses: dict[str, StatusId]
    queues: dict[str, QueueId]
    profiles: dict[str, RoutingProfileId]


SETUP_KEYS = frozenset({"start", "instance", "statuses", "queues", "routing_profiles", "agents"})
"""The keys a script and a scenario share: when, and the instance they run on."""


def parse_setup(doc: dict[str, Any]) -> Setup:
    raw = as_mapping(doc.get("instance"), "instance")
    known_keys(
        raw,
        {
            "account",
            "region",
            "id",
            "offer_timeout_s",
            "missed_auto_clear_s",
            "acw_on_status_change",
            "aes_version",
            "time_zone",
            "heartbeat_s",
        },
        "instance",
    )
    try:
        settings = InstanceSettings(
            account=str(raw.get("account", "111122223333")),
            region=str(raw.get("region", "us-east-1")),
            instance_id=str(raw.get("id", "switchboard")),
            offer_timeout_ms=seconds_ms(raw.get("offer_timeout_s", 20), "instance.offer_timeout_s"),
            missed_auto_clear_ms=(
                None
                if raw.get("missed_auto_clear_s") is None
                else seconds_ms(raw["missed_auto_clear_s"], "instance.missed_auto_clear_s")
            ),
            acw_on_status_change=AcwOnStatusChange(raw.get("acw_on_status_change", "clear")),
            aes_version=str(raw.get("aes_version", "2019-05-25")),
            time_zone=str(raw.get("time_zone", "UTC")),
            heartbeat_ms=seconds_ms(raw.get("heartbeat_s", 120), "instance.heartbeat_s"),
        )
    except ValueError as bad:
        if isinstance(bad, ScriptError):
            raise
        raise ScriptError(f"instance: {bad}") from None
    ids = IdSource(settings.arn)
    commands: list[cmd.Command] = [
        cmd.CreateInstance(
            settings=settings,
            available_id=StatusId(ids.named("agent-state", "Available")),
            offline_id=StatusId(ids.named("agent-state", "Offline")),
        )
    ]
    statuses = {
        "available": StatusId(ids.named("agent-state", "Available")),
        "offline": StatusId(ids.named("agent-state", "Offline")),
    }
    for i, raw in enumerate(as_list(doc.get("statuses"), "statuses")):
        where = f"statuses[{i}]"
        item = as_mapping(raw, where)
        known_keys(item, {"name", "enabled", "display_order", "description"}, where)
        name = str(item.get("name", ""))
        status_id = StatusId(ids.named("agent-state", name))
        statuses[name.casefold()] = status_id
        commands.append(
            cmd.CreateAgentStatus(
                status_id=status_id,
                name=name,
                enabled=bool(item.get("enabled", True)),
                display_order=item.get("display_order"),
                description=str(item.get("description", "")),
            )
        )
    queues: dict[str, QueueId] = {}
    for i, raw in enumerate(as_list(doc.get("queues"), "queues")):
        where = f"queues[{i}]"
        item = as_mapping(raw, where)
        known_keys(item, {"name", "channels"}, where)
        name = str(item.get("name", ""))
        queue_id = QueueId(ids.named("queue", name))
        queues[name.casefold()] = queue_id
        channels = tuple(
            channel(c, f"{where}.channels")
            for c in as_list(item.get("channels", ["VOICE", "CHAT", "TASK"]), where)
        )
        commands.append(cmd.CreateQueue(queue_id=queue_id, name=name, channels=channels))
    profiles: dict[str, RoutingProfileId] = {}
    for i, raw in enumerate(as_list(doc.get("routing_profiles"), "routing_profiles")):
        where = f"routing_profiles[{i}]"
        item = as_mapping(raw, where)
        known_keys(
            item,
            {
                "name",
                "concurrency",
                "cross_channel",
                "queues",
                "default_outbound_queue",
                "availability_timer",
            },
            where,
        )
        name = str(item.get("name", ""))
        profile_id = RoutingProfileId(ids.named("routing-profile", name))
        profiles[name.casefold()] = profile_id
        lines = []
        for j, raw_line in enumerate(as_list(item.get("queues"), f"{where}.queues")):
            lw = f"{where}.queues[{j}]"
            line = as_mapping(raw_line, lw)
            known_keys(line, {"queue", "channel", "priority", "delay_s"}, lw)
            lines.append(
                ProfileQueue(
                    queue_id=lookup(queues, line.get("queue"), "queue", lw),
                    channel=channel(line.get("channel"), lw),
                    priority=int(line.get("priority", 1)),
                    delay_ms=seconds_ms(line.get("delay_s", 0), f"{lw}.delay_s"),
                )
            )
        outbound = item.get("default_outbound_queue")
        try:
            timer = AvailabilityTimer(item.get("availability_timer", "TIME_SINCE_LAST_ACTIVITY"))
            cross = tuple(
                (channel(k, f"{where}.cross_channel"), CrossChannelBehavior(v))
                for k, v in as_mapping(item.get("cross_channel"), f"{where}.cross_channel").items()
            )
        except ValueError as bad:
            raise ScriptError(f"{where}: {bad}") from None
        commands.append(
            cmd.CreateRoutingProfile(
                profile_id=profile_id,
                name=name,
                concurrency=tuple(
                    (channel(k, f"{where}.concurrency"), int(v))
                    for k, v in as_mapping(item.get("concurrency"), f"{where}.concurrency").items()
                ),
                cross_channel=cross,
                queues=tuple(lines),
                default_outbound_queue_id=(
                    lookup(queues, outbound, "queue", where) if outbound is not None else None
                ),
                availability_timer=timer,
            )
        )
    agents: dict[str, AgentId] = {}
    for i, raw in enumerate(as_list(doc.get("agents"), "agents")):
        where = f"agents[{i}]"
        item = as_mapping(raw, where)
        commands.append(agent_command(item, where, ids, profiles, agents))
    return Setup(settings, tuple(commands), agents, statuses, queues, profiles)


def agent_command(
    item: dict[str, Any],
    where: str,
    ids: IdSource,
    profiles: dict[str, RoutingProfileId],
    agents: dict[str, AgentId],
) -> cmd.CreateUser:
    known_keys(
        item,
        {"username", "first_name", "last_name", "routing_profile", "acw_timeout_s", "auto_accept"},
        where,
    )
    username = str(item.get("username", ""))
    agent_id = AgentId(ids.named("agent", username))
    agents[username.casefold()] = agent_id
    return cmd.CreateUser(
        agent_id=agent_id,
        username=username,
        first_name=str(item.get("first_name", username)),
        last_name=str(item.get("last_name", "Agent")),
        profile_id=lookup(profiles, item.get("routing_profile"), "routing profile", where),
        acw_timeout_ms=tuple(
            (channel(k, f"{where}.acw_timeout_s"), seconds_ms(v, f"{where}.acw_timeout_s"))
            for k, v in as_mapping(item.get("acw_timeout_s"), f"{where}.acw_timeout_s").items()
        ),
        auto_accept=tuple(
            (channel(k, f"{where}.auto_accept"), bool(v))
            for k, v in as_mapping(item.get("auto_accept"), f"{where}.auto_accept").items()
        ),
    )


def lookup(names: dict[str, T], name: Any, kind: str, where: str) -> T:
    found = names.get(str(name).casefold()) if name is not None else None
    if found is None:
        known = ", ".join(sorted(names)) or "none"
        raise ScriptError(f"{where}: unknown {kind} {name!r} (known: {known})")
    return found
