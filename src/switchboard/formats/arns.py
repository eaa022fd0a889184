"""Amazon Resource Names for an instance's agents, statuses, queues and routing profiles."""

from __future__ import annotations

from switchboard.domain.model import InstanceSettings


class Arns:
    def __init__(self, settings: InstanceSettings) -> None:
        self.instance = settings.arn

    def agent(self, agent_id: str) -> str:
        return f"{self.instance}/agent/{agent_id}"

    def status(self, status_id: str) -> str:
        return f"{self.instance}/agent-state/{status_id}"

    def queue(self, queue_id: str) -> str:
        return f"{self.instance}/queue/{queue_id}"

    def agent_queue(self, agent_id: str) -> str:
        return f"{self.instance}/queue/agent/{agent_id}"

    def routing_profile(self, profile_id: str) -> str:
        return f"{self.instance}/routing-profile/{profile_id}"
