"""Connect instances served by the API: one engine each (its single writer), plus API-only facts.

The engine holds what the rules need (statuses, queues, routing profiles, users); the registry
keeps what only the API reports: an instance's alias and creation time, descriptions, security
profiles and hours of operation (every instance has "Basic Hours", 24/7, and the "Agent",
"CallCenterManager" and "Admin" profiles), and last-modified times. In memory for now; the
durable server replays both from the log (DESIGN §8).
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterator
from dataclasses import dataclass, field

from switchboard.domain.commands import CreateInstance
from switchboard.domain.model import AgentId, InstanceSettings, Millis, StatusId
from switchboard.engine.clock import Clock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.metrics import RealTimeProjection
from switchboard.formats.arns import Arns

__all__ = ["BASIC_HOURS", "SECURITY_PROFILES", "Instance", "InstanceRegistry", "Named"]

BASIC_HOURS = "Basic Hours"
SECURITY_PROFILES = ("Agent", "CallCenterManager", "Admin")
_NAMESPACE = uuid.UUID("0d1f5b6e-3c8a-4e3f-9a51-7c2b9e4d6a11")


@dataclass(frozen=True, slots=True)
class Named:
    """A resource the API lists but the engine does not know: hours, security profiles."""

    id: str
    arn: str
    name: str


@dataclass(slots=True)
class UserExtras:
    """What CreateUser takes that the rules do not use."""

    security_profile_ids: tuple[str, ...]
    phone_type: str = "SOFT_PHONE"


@dataclass(slots=True)
class Instance:
    """One Connect instance: its engine and what only the API reports about it."""

    id: str
    alias: str
    identity_management_type: str
    inbound_calls: bool
    outbound_calls: bool
    created_at: Millis
    engine: Engine
    arns: Arns
    hours: dict[str, Named]
    security_profiles: dict[str, Named]
    metrics: RealTimeProjection
    """Real-time metrics of the engine, attached when the instance is created."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Free text of statuses, queues and routing profiles, by resource id."""
    modified: dict[str, Millis] = field(default_factory=dict)
    """LastModifiedTime of each resource, by id."""
    queue_hours: dict[str, str] = field(default_factory=dict)
    queue_max_contacts: dict[str, int] = field(default_factory=dict)
    users: dict[AgentId, UserExtras] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return self.arns.instance

    @property
    def ids(self) -> IdSource:
        return self.engine.ids

    def new_id(self, kind: str, name: str, taken: Container[str]) -> str:
        """The id hashed from (instance, kind, name); an ordinal is added while it is taken
        (a name freed by a rename and used again must not get the old resource's id)."""
        candidate = self.ids.named(kind, name)
        ordinal = 1
        while candidate in taken:
            ordinal += 1
            candidate = self.ids.named(kind, f"{name}#{ordinal}")
        return candidate


class InstanceRegistry:
    """Every instance of this server, by id; one engine per instance."""

    def __init__(self, *, account: str = "111122223333", region: str = "us-east-1") -> None:
        self.account = account
        self.region = region
        self._instances: dict[str, Instance] = {}

    def __iter__(self) -> Iterator[Instance]:
        return iter(list(self._instances.values()))

    def __len__(self) -> int:
        return len(self._instances)

    def get(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def by_alias(self, alias: str) -> Instance | None:
        folded = alias.casefold()
        return next((i for i in self._instances.values() if i.alias.casefold() == folded), None)

    def create(
        self,
        *,
        alias: str,
        clock: Clock,
        at: Millis,
        identity_management_type: str = "CONNECT_MANAGED",
        inbound_calls: bool = True,
        outbound_calls: bool = True,
    ) -> Instance:
        """A new instance with its engine built at `at` (Available and Offline exist)."""
        instance_id = str(
            uuid.uuid5(_NAMESPACE, f"{self.account}|{self.region}|{alias.casefold()}")
        )
        if instance_id in self._instances:
            raise ValueError(f"an instance with alias {alias!r} already exists")
        settings = InstanceSettings(
            account=self.account, region=self.region, instance_id=instance_id
        )
        ids = IdSource(settings.arn)
        engine = Engine(clock=clock, ids=ids)
        engine.execute(
            CreateInstance(
                settings=settings,
                available_id=StatusId(ids.named("agent-state", "Available")),
                offline_id=StatusId(ids.named("agent-state", "Offline")),
            ),
            at=at,
        )
        arns = Arns(settings)
        hours_id = ids.named("hours-of-operation", BASIC_HOURS)
        hours = {
            hours_id: Named(hours_id, f"{arns.instance}/operating-hours/{hours_id}", BASIC_HOURS)
        }
        profiles = {}
        for name in SECURITY_PROFILES:
            profile_id = ids.named("security-profile", name)
            profiles[profile_id] = Named(
                profile_id, f"{arns.instance}/security-profile/{profile_id}", name
            )
        instance = Instance(
            id=instance_id,
            alias=alias,
            identity_management_type=identity_management_type,
            inbound_calls=inbound_calls,
            outbound_calls=outbound_calls,
            created_at=at,
            engine=engine,
            arns=arns,
            hours=hours,
            security_profiles=profiles,
            metrics=RealTimeProjection.attach(engine),
        )
        for resource in [*engine.state.statuses, *hours, *profiles]:
            instance.modified[resource] = at
        self._instances[instance_id] = instance
        return instance
