"""A live Connect API (uvicorn on a free port) and a contact center built on it through boto3.

The Connect API tests share this server fixture; the contact and historical-metrics tests also
share `Desk`, which builds a center with voice, chat and task slots and drives the agent's side
(the CCP has no Connect API) on the engine itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from switchboard.api.connect import create_app
from switchboard.api.registry import Instance, InstanceRegistry
from switchboard.api.sigv4 import SigV4Verifier
from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, ContactId, ContactState, Slot
from switchboard.engine.clock import ManualClock, SystemClock

REGION = "us-east-1"
KEY_ID = "SBAKTESTTESTTESTTEST"
SECRET = "test-secret-access-key-0000000000000000"


@dataclass
class LiveServer:
    url: str
    instances: InstanceRegistry
    clock: ManualClock


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    instances = InstanceRegistry(region=REGION)
    # Near real time (boto3 signs with the real clock), on a whole second so that contact
    # records' whole-second durations equal the scripted ones.
    now = SystemClock().now()
    clock = ManualClock(now - now % 1000 + 1000)
    verifier = SigV4Verifier(region=REGION, lookup={KEY_ID: SECRET}.get)
    app = create_app(instances, verifier, clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield LiveServer(f"http://127.0.0.1:{port}", instances, clock)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def connect_client(live_server: LiveServer) -> Any:
    return boto3.client(
        "connect",
        endpoint_url=live_server.url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


_aliases = count()


class Desk:
    """One instance with a queue "Support" (voice, chat, task) and a routing profile serving it
    with 1 voice, 2 chat and 2 task slots; users are created through boto3."""

    def __init__(self, server: LiveServer, client: Any, *, outbound: bool = True) -> None:
        self.server = server
        self.client = client
        made = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias=f"desk-{next(_aliases)}",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=outbound,
        )
        self.instance_id: str = made["Id"]
        self.arn: str = made["Arn"]
        instance = server.instances.get(self.instance_id)
        assert instance is not None
        self.instance: Instance = instance
        hours = client.list_hours_of_operations(InstanceId=self.instance_id)
        self.hours = hours["HoursOfOperationSummaryList"][0]["Id"]
        security = client.list_security_profiles(InstanceId=self.instance_id)
        self.security = next(
            p["Id"] for p in security["SecurityProfileSummaryList"] if p["Name"] == "Agent"
        )
        statuses = client.list_agent_statuses(InstanceId=self.instance_id)
        summaries = statuses["AgentStatusSummaryList"]
        self.available = next(s["Id"] for s in summaries if s["Name"] == "Available")
        self.brk = client.create_agent_status(
            InstanceId=self.instance_id, Name="Break", State="ENABLED"
        )["AgentStatusId"]
        self.queue = self.new_queue("Support")
        self.profile = self.new_profile("Support agents", self.queue)

    def new_queue(self, name: str) -> str:
        made = self.client.create_queue(
            InstanceId=self.instance_id, Name=name, HoursOfOperationId=self.hours
        )
        queue_id: str = made["QueueId"]
        return queue_id

    def new_profile(self, name: str, queue: str) -> str:
        made = self.client.create_routing_profile(
            InstanceId=self.instance_id,
            Name=name,
            Description=f"{name}: voice, chat and tasks",
            DefaultOutboundQueueId=queue,
            QueueConfigs=[
                {
                    "QueueReference": {"QueueId": queue, "Channel": channel},
                    "Priority": 1,
                    "Delay": 0,
                }
                for channel in ("VOICE", "CHAT", "TASK")
            ],
            MediaConcurrencies=[
                {"Channel": "VOICE", "Concurrency": 1},
                {"Channel": "CHAT", "Concurrency": 2},
                {"Channel": "TASK", "Concurrency": 2},
            ],
        )
        profile_id: str = made["RoutingProfileId"]
        return profile_id

    def agent(self, username: str, *, available: bool = True, profile: str | None = None) -> str:
        """A user logged in to the CCP, Available unless told otherwise."""
        made = self.client.create_user(
            InstanceId=self.instance_id,
            Username=username,
            IdentityInfo={"FirstName": username.title(), "LastName": "Desk"},
            PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 0},
            SecurityProfileIds=[self.security],
            RoutingProfileId=profile or self.profile,
        )
        user_id: str = made["UserId"]
        self.run(cmd.Login(agent_id=AgentId(user_id)))
        if available:
            self.status(user_id, self.available)
        return user_id

    def status(self, user: str, status: str) -> None:
        self.client.put_user_status(InstanceId=self.instance_id, UserId=user, AgentStatusId=status)

    # --- the agent's side, on the engine ------------------------------------------------------

    def run(self, command: cmd.Command) -> None:
        self.instance.engine.execute(command, at=self.server.clock.now())

    def advance(self, seconds: int) -> None:
        self.server.clock.advance(seconds * 1000)
        self.instance.engine.fire_due(self.server.clock.now())

    def slot(self, user: str, contact: str) -> Slot | None:
        return self.instance.engine.state.agents[AgentId(user)].slots.get(ContactId(contact))

    def accept(self, user: str, contact: str) -> None:
        self.run(cmd.AcceptContact(agent_id=AgentId(user), contact_id=ContactId(contact)))
        slot = self.slot(user, contact)
        assert slot is not None
        assert slot.state is ContactState.CONNECTED

    def hang_up(self, user: str, contact: str) -> None:
        """The agent ends the conversation (AGENT_DISCONNECT); ACW follows."""
        self.run(cmd.EndContact(agent_id=AgentId(user), contact_id=ContactId(contact)))

    def clear(self, user: str, contact: str) -> None:
        """The agent leaves ACW: through the API's DismissUserContact."""
        self.client.dismiss_user_contact(
            InstanceId=self.instance_id, UserId=user, ContactId=contact
        )

    def describe(self, contact: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.describe_contact(
            InstanceId=self.instance_id, ContactId=contact
        )["Contact"]
        return found

    def task(self, name: str = "Call back Mrs Smith", **extra: Any) -> str:
        made = self.client.start_task_contact(
            InstanceId=self.instance_id, ContactFlowId=self.queue, Name=name, **extra
        )
        contact_id: str = made["ContactId"]
        return contact_id

    def outbound_call(self, phone: str = "+14155550100", **extra: Any) -> str:
        made = self.client.start_outbound_voice_contact(
            InstanceId=self.instance_id,
            DestinationPhoneNumber=phone,
            ContactFlowId="outbound-flow",
            QueueId=self.queue,
            **extra,
        )
        contact_id: str = made["ContactId"]
        return contact_id

    def chat(self, name: str = "Ann") -> dict[str, Any]:
        made: dict[str, Any] = self.client.start_chat_contact(
            InstanceId=self.instance_id,
            ContactFlowId=self.queue,
            ParticipantDetails={"DisplayName": name},
        )
        return made

    def stop(self, contact: str, code: str | None = None) -> None:
        extra = {"DisconnectReason": {"Code": code}} if code else {}
        self.client.stop_contact(InstanceId=self.instance_id, ContactId=contact, **extra)


@pytest.fixture
def desk(live_server: LiveServer, connect_client: Any) -> Desk:
    return Desk(live_server, connect_client)
