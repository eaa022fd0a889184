"""The contact summary: one contact as a person reads it, built from its contact record."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.formats.ctr import DecodedContactRecord

NO_AGENT = "We couldn't find this agent. Use the agent's user name to identify them."
"""What Amazon Connect's contact summary shows for a contact that never reached an agent."""


@dataclass(frozen=True, slots=True)
class ContactSummary:
    contact_id: str
    channel: str
    initiation_method: str | None
    queue: str | None
    agent: str
    """The agent's username, or Amazon's message when no agent was connected."""
    disconnect_reason: str | None
    recording: str
    queue_s: int | None
    acw_s: int | None


def contact_summary(record: DecodedContactRecord) -> ContactSummary:
    agent = record.agent
    return ContactSummary(
        contact_id=record.contact_id,
        channel=record.channel,
        initiation_method=record.initiation_method,
        queue=record.queue_name,
        agent=agent.username or NO_AGENT if agent is not None else NO_AGENT,
        disconnect_reason=record.disconnect_reason,
        recording="available" if record.has_recording else "no recording",
        queue_s=record.queue_s,
        acw_s=agent.acw_s if agent is not None else None,
    )
