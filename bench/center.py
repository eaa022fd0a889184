"""A small contact center made through boto3, shared by the benches that drive the Connect API."""

from __future__ import annotations

from typing import Any


def seed_center(client: Any, users: int) -> tuple[str, list[str], str, str]:
    """An instance "bench" with a Break status, a queue, a voice profile and `users` agents:
    (instance id, user ids, Break's id, Available's id)."""
    instance = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias="bench",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
    )["Id"]
    hours = client.list_hours_of_operations(InstanceId=instance)["HoursOfOperationSummaryList"][0]
    security = client.list_security_profiles(InstanceId=instance)["SecurityProfileSummaryList"][0]
    brk = client.create_agent_status(InstanceId=instance, Name="Break", State="ENABLED")
    statuses = client.list_agent_statuses(InstanceId=instance, AgentStatusTypes=["ROUTABLE"])
    available = statuses["AgentStatusSummaryList"][0]["Id"]
    queue = client.create_queue(InstanceId=instance, Name="Q", HoursOfOperationId=hours["Id"])
    profile = client.create_routing_profile(
        InstanceId=instance,
        Name="P",
        Description="P",
        DefaultOutboundQueueId=queue["QueueId"],
        MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1}],
    )
    ids = []
    for n in range(users):
        user = client.create_user(
            InstanceId=instance,
            Username=f"bench{n}",
            IdentityInfo={"FirstName": "Bench", "LastName": str(n)},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[security["Id"]],
            RoutingProfileId=profile["RoutingProfileId"],
        )
        ids.append(user["UserId"])
    return instance, ids, brk["AgentStatusId"], available
