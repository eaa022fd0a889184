"""Deterministic ids (DESIGN §5): the same instance and inputs always give the same ids."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f0b54a2-7d0e-4c55-9d2f-5b0c1e6a9a10")


class IdSource:
    """Ids hashed from the instance and what they name; never random, so replays match."""

    def __init__(self, instance_arn: str) -> None:
        self.instance_arn = instance_arn

    def _hash(self, *parts: object) -> str:
        return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in (self.instance_arn, *parts))))

    def named(self, kind: str, name: str) -> str:
        """The id inside an ARN: agent, queue, routing-profile, agent-state."""
        return self._hash(kind, name)

    def contact(self, ordinal: int) -> str:
        return self._hash("contact", ordinal)

    def event(self, seq: int, index: int) -> str:
        return self._hash("event", seq, index)

    def heartbeat(self, agent_arn: str, timestamp: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{agent_arn}|{timestamp}"))
