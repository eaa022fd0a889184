"""Connect instances served by the API: one engine each (its single writer), plus API-only facts.

The engine holds what the rules need (statuses, queues, routing profiles, users); the registry
keeps what only the API reports: an instance's alias and creation time, descriptions, security
profiles and hours of operation (every instance has "Basic Hours", 24/7, and the "Agent",
"CallCenterManager" and "Admin" profiles), and last-modified times. Alone it lives in memory;
the durable server (`api/server.py`) gives it an `EngineFactory` whose engines write to a store,
and keeps the API-only facts as one catalog document per instance (`to_document`).
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.api.history import History, MemoryHistory
from switchboard.domain import events as ev
from switchboard.domain.commands import CreateInstance
from switchboard.domain.model import AgentId, InstanceSettings, Millis, StatusId
from switchboard.engine.clock import Clock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.metrics import RealTimeProjection
from switchboard.formats.arns import Arns

__all__ = [
    "BASIC_HOURS",
    "CONFIGURATION_EVENTS",
    "SECURITY_PROFILES",
    "EngineFactory",
    "Instance",
    "InstanceRegistry",
    "Named",
    "UserExtras",
]

BASIC_HOURS = "Basic Hours"
SECURITY_PROFILES = ("Agent", "CallCenterManager", "Admin")
_NAMESPACE = uuid.UUID("0d1f5b6e-3c8a-4e3f-9a51-7c2b9e4d6a11")

CONFIGURATION_EVENTS = (
    ev.InstanceCreated,
    ev.AgentStatusCreated,
    ev.AgentStatusUpdated,
    ev.QueueCreated,
    ev.RoutingProfileCreated,
    ev.UserCreated,
    ev.UserPhoneConfigUpdated,
    ev.UserRoutingProfileUpdated,
)
"""The events of configuration calls: the only ones that come with API-only facts to keep."""


class EngineFactory(Protocol):
    """Makes the engine of a new instance (in memory by default; on a store in the server)."""

    def __call__(self, instance_id: str, clock: Clock, ids: IdSource) -> Engine: ...


def _memory_engine(instance_id: str, clock: Clock, ids: IdSource) -> Engine:
    return Engine(clock=clock, ids=ids)


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
class ContactExtras:
    """What StartTaskContact takes that the rules do not use; DescribeContact shows it."""

    name: str | None = None
    description: str | None = None


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
    history: History
    """Its published records read back (in memory unless the server supplies its own)."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Free text of statuses, queues and routing profiles, by resource id."""
    modified: dict[str, Millis] = field(default_factory=dict)
    """LastModifiedTime of each resource, by id."""
    queue_hours: dict[str, str] = field(default_factory=dict)
    queue_max_contacts: dict[str, int] = field(default_factory=dict)
    users: dict[AgentId, UserExtras] = field(default_factory=dict)
    contacts: dict[str, ContactExtras] = field(default_factory=dict)
    """API-only facts of contacts, by ContactId."""

    @property
    def arn(self) -> str:
        return self.arns.instance

    @property
    def settings(self) -> InstanceSettings:
        return self.engine.state.settings

    def to_document(self) -> dict[str, Any]:
        """The API-only facts as JSON (the engine's state is in its log, not here)."""
        return {
            "id": self.id,
            "alias": self.alias,
            "identity_management_type": self.identity_management_type,
            "inbound_calls": self.inbound_calls,
            "outbound_calls": self.outbound_calls,
            "created_at": self.created_at,
            "account": self.settings.account,
            "region": self.settings.region,
            "descriptions": self.descriptions,
            "modified": self.modified,
            "queue_hours": self.queue_hours,
            "queue_max_contacts": self.queue_max_contacts,
            "users": {
                user_id: {
                    "security_profile_ids": list(x.security_profile_ids),
                    "phone_type": x.phone_type,
                }
                for user_id, x in self.users.items()
            },
        }

    def load_document(self, document: dict[str, Any]) -> None:
        """Take back the API-only facts of `to_document` (after the engine was reopened)."""
        self.descriptions.update(document["descriptions"])
        self.modified.update(document["modified"])
        self.queue_hours.update(document["queue_hours"])
        self.queue_max_contacts.update(document["queue_max_contacts"])
        for user_id, extras in document["users"].items():
            self.users[AgentId(user_id)] = UserExtras(
                tuple(extras["security_profile_ids"]), extras["phone_type"]
            )

    def profile_names(self, user_id: str) -> list[str]:
        """The names of a user's security profiles."""
        extras = self.users.get(AgentId(user_id))
        if extras is None:
            return []
        return [
            self.security_profiles[p].name
            for p in extras.security_profile_ids
            if p in self.security_profiles
        ]

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

    def __init__(
        self,
        *,
        account: str = "111122223333",
        region: str = "us-east-1",
        engines: EngineFactory = _memory_engine,
    ) -> None:
        self.account = account
        self.region = region
        self.engines = engines
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
        engine = self.engines(instance_id, clock, ids)
        engine.execute(
            CreateInstance(
                settings=settings,
                available_id=StatusId(ids.named("agent-state", "Available")),
                offline_id=StatusId(ids.named("agent-state", "Offline")),
            ),
            at=at,
        )
        instance = self.adopt(
            engine,
            alias=alias,
            created_at=at,
            identity_management_type=identity_management_type,
            inbound_calls=inbound_calls,
            outbound_calls=outbound_calls,
        )
        for resource in [*engine.state.statuses, *instance.hours, *instance.security_profiles]:
            instance.modified[resource] = at
        return instance

    def adopt(
        self,
        engine: Engine,
        *,
        alias: str,
        created_at: Millis,
        identity_management_type: str = "CONNECT_MANAGED",
        inbound_calls: bool = True,
        outbound_calls: bool = True,
        history: History | None = None,
    ) -> Instance:
        """Serve an instance whose engine exists (made by `create`, or reopened from its log)."""
        settings = engine.state.settings
        instance_id = settings.instance_id
        ids = engine.ids
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
            created_at=created_at,
            engine=engine,
            arns=arns,
            hours=hours,
            security_profiles=profiles,
            metrics=RealTimeProjection.attach(engine),
            history=history if history is not None else MemoryHistory.attach(engine),
        )
        self._instances[instance_id] = instance
        return instance
