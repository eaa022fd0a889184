"""The Connect API as an SDK user meets it: boto3's own `connect` client against a live uvicorn.

Only the malformed-input tests leave boto3 (it validates parameters before sending); they sign
with botocore's signer and send the broken body with httpx, as a hand-rolled client would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, Channel, ContactId, ContactState, QueueId
from switchboard.engine.engine import AgentStreamRecord, StreamEventType
from tests.integration.conftest import KEY_ID, REGION, SECRET
from tests.integration.conftest import LiveServer as Server


@pytest.fixture(scope="module")
def server(live_server: Server) -> Server:
    """The live Connect API of tests/integration/conftest.py (uvicorn on a free port)."""
    return live_server


def connect(server: Server, secret: str = SECRET, key_id: str = KEY_ID) -> Any:
    return boto3.client(
        "connect",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def client(server: Server) -> Any:
    return connect(server)


_aliases = iter(range(1_000_000))


def new_instance(client: Any) -> str:
    made = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=f"switchboard-test-{next(_aliases)}",
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
    )
    instance_id: str = made["Id"]
    assert made["Arn"].endswith(f":instance/{instance_id}")
    return instance_id


@dataclass
class Center:
    instance: str
    queue: str
    profile: str
    user: str
    brk: str
    available: str


def build_center(client: Any) -> Center:
    instance = new_instance(client)
    hours = client.list_hours_of_operations(InstanceId=instance)["HoursOfOperationSummaryList"]
    security = client.list_security_profiles(InstanceId=instance)["SecurityProfileSummaryList"]
    agent_profile = next(p["Id"] for p in security if p["Name"] == "Agent")
    brk = client.create_agent_status(InstanceId=instance, Name="Break", State="ENABLED")
    queue = client.create_queue(
        InstanceId=instance, Name="Sales", HoursOfOperationId=hours[0]["Id"], MaxContacts=50
    )
    profile = client.create_routing_profile(
        InstanceId=instance,
        Name="Sales agents",
        Description="Voice and chat for Sales",
        DefaultOutboundQueueId=queue["QueueId"],
        QueueConfigs=[
            {
                "QueueReference": {"QueueId": queue["QueueId"], "Channel": "VOICE"},
                "Priority": 1,
                "Delay": 0,
            },
            {
                "QueueReference": {"QueueId": queue["QueueId"], "Channel": "CHAT"},
                "Priority": 2,
                "Delay": 30,
            },
        ],
        MediaConcurrencies=[
            {
                "Channel": "VOICE",
                "Concurrency": 1,
                "CrossChannelBehavior": {"BehaviorType": "ROUTE_CURRENT_CHANNEL_ONLY"},
            },
            {
                "Channel": "CHAT",
                "Concurrency": 3,
                "CrossChannelBehavior": {"BehaviorType": "ROUTE_ANY_CHANNEL"},
            },
        ],
    )
    user = client.create_user(
        InstanceId=instance,
        Username="jdoe",
        IdentityInfo={"FirstName": "Jane", "LastName": "Doe"},
        PhoneConfig={
            "PhoneType": "SOFT_PHONE",
            "AutoAccept": False,
            "AfterContactWorkTimeLimit": 30,
        },
        SecurityProfileIds=[agent_profile],
        RoutingProfileId=profile["RoutingProfileId"],
    )
    statuses = client.list_agent_statuses(InstanceId=instance)["AgentStatusSummaryList"]
    available = next(s["Id"] for s in statuses if s["Name"] == "Available")
    return Center(
        instance,
        queue["QueueId"],
        profile["RoutingProfileId"],
        user["UserId"],
        brk["AgentStatusId"],
        available,
    )


@pytest.fixture
def center(client: Any) -> Center:
    return build_center(client)


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


# --------------------------------------------------------------------------- instances


def test_a_created_instance_is_listed_and_described(client: Any) -> None:
    instance = new_instance(client)
    described = client.describe_instance(InstanceId=instance)["Instance"]
    assert described["Id"] == instance
    assert described["IdentityManagementType"] == "CONNECT_MANAGED"
    assert described["InstanceStatus"] == "ACTIVE"
    assert described["InboundCallsEnabled"] is True
    assert described["CreatedTime"].tzinfo is not None
    listed = [
        summary["Id"]
        for page in client.get_paginator("list_instances").paginate(
            PaginationConfig={"PageSize": 1}
        )
        for summary in page["InstanceSummaryList"]
    ]
    assert instance in listed
    assert len(listed) == len(set(listed))


def test_an_instance_has_basic_hours_and_the_three_security_profiles(client: Any) -> None:
    instance = new_instance(client)
    hours = client.list_hours_of_operations(InstanceId=instance)["HoursOfOperationSummaryList"]
    assert [h["Name"] for h in hours] == ["Basic Hours"]
    profiles = client.list_security_profiles(InstanceId=instance)["SecurityProfileSummaryList"]
    assert sorted(p["Name"] for p in profiles) == ["Admin", "Agent", "CallCenterManager"]
    assert all(p["Arn"].endswith(f"/security-profile/{p['Id']}") for p in profiles)


def test_an_unknown_instance_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="no-such-instance"):
        client.describe_instance(InstanceId="no-such-instance")


def test_only_connect_managed_instances_can_be_created(client: Any) -> None:
    with pytest.raises(client.exceptions.InvalidRequestException, match="CONNECT_MANAGED"):
        client.create_instance(
            IdentityManagementType="SAML",
            InstanceAlias="saml-one",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )


# --------------------------------------------------------------------------- agent statuses


def test_agent_statuses_are_created_described_updated_and_filtered_by_type(client: Any) -> None:
    instance = new_instance(client)
    made = client.create_agent_status(
        InstanceId=instance,
        Name="Training",
        Description="Classroom",
        State="ENABLED",
        DisplayOrder=5,
    )
    assert made["AgentStatusARN"].endswith(f"/agent-state/{made['AgentStatusId']}")
    status = client.describe_agent_status(InstanceId=instance, AgentStatusId=made["AgentStatusId"])
    assert status["AgentStatus"]["Name"] == "Training"
    assert status["AgentStatus"]["Type"] == "CUSTOM"
    assert status["AgentStatus"]["State"] == "ENABLED"
    assert status["AgentStatus"]["Description"] == "Classroom"

    client.update_agent_status(
        InstanceId=instance, AgentStatusId=made["AgentStatusId"], Name="Coaching", State="DISABLED"
    )
    status = client.describe_agent_status(InstanceId=instance, AgentStatusId=made["AgentStatusId"])
    assert (status["AgentStatus"]["Name"], status["AgentStatus"]["State"]) == (
        "Coaching",
        "DISABLED",
    )

    def names(*types: str) -> list[str]:
        return [
            s["Name"]
            for s in client.list_agent_statuses(InstanceId=instance, AgentStatusTypes=list(types))[
                "AgentStatusSummaryList"
            ]
        ]

    assert names("ROUTABLE") == ["Available"]
    assert names("OFFLINE") == ["Offline"]
    assert names("CUSTOM") == ["Coaching"]
    assert sorted(names("ROUTABLE", "CUSTOM")) == ["Available", "Coaching"]
    assert sorted(names()) == ["Available", "Coaching", "Offline"]


def test_a_duplicate_status_name_is_duplicate_resource(client: Any) -> None:
    instance = new_instance(client)
    client.create_agent_status(InstanceId=instance, Name="Lunch", State="ENABLED")
    with pytest.raises(client.exceptions.DuplicateResourceException, match="Lunch") as raised:
        client.create_agent_status(InstanceId=instance, Name="Lunch", State="ENABLED")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_list_agent_statuses_pages_with_next_token(client: Any) -> None:
    instance = new_instance(client)
    for n in range(5):
        client.create_agent_status(InstanceId=instance, Name=f"Custom {n}", State="ENABLED")
    first = client.list_agent_statuses(InstanceId=instance, MaxResults=4)
    assert len(first["AgentStatusSummaryList"]) == 4
    second = client.list_agent_statuses(
        InstanceId=instance, MaxResults=4, NextToken=first["NextToken"]
    )
    assert "NextToken" not in second
    names = [s["Name"] for s in first["AgentStatusSummaryList"] + second["AgentStatusSummaryList"]]
    assert sorted(names) == sorted(["Available", "Offline"] + [f"Custom {n}" for n in range(5)])


def test_a_bad_next_token_is_invalid_parameter(client: Any) -> None:
    instance = new_instance(client)
    with pytest.raises(client.exceptions.InvalidParameterException, match="nextToken"):
        client.list_users(InstanceId=instance, NextToken="not-a-token")
    queues = client.list_agent_statuses(InstanceId=instance, MaxResults=1)["NextToken"]
    with pytest.raises(client.exceptions.InvalidParameterException, match="nextToken"):
        client.list_queues(InstanceId=instance, NextToken=queues)  # a token of another list


# --------------------------------------------------------------------------- queues, profiles


def test_queues_and_routing_profiles_read_back_as_created(client: Any, center: Center) -> None:
    queue = client.describe_queue(InstanceId=center.instance, QueueId=center.queue)["Queue"]
    assert (queue["Name"], queue["MaxContacts"], queue["Status"]) == ("Sales", 50, "ENABLED")
    listed = client.list_queues(InstanceId=center.instance, QueueTypes=["STANDARD"])
    assert [q["Id"] for q in listed["QueueSummaryList"]] == [center.queue]

    profile = client.describe_routing_profile(
        InstanceId=center.instance, RoutingProfileId=center.profile
    )["RoutingProfile"]
    assert profile["Name"] == "Sales agents"
    assert profile["Description"] == "Voice and chat for Sales"
    assert profile["DefaultOutboundQueueId"] == center.queue
    assert profile["AssociatedQueueIds"] == [center.queue]
    assert profile["NumberOfAssociatedUsers"] == 1
    media = {m["Channel"]: m for m in profile["MediaConcurrencies"]}
    assert media["CHAT"]["Concurrency"] == 3
    assert media["CHAT"]["CrossChannelBehavior"]["BehaviorType"] == "ROUTE_ANY_CHANNEL"
    listed = client.list_routing_profiles(InstanceId=center.instance)
    assert [p["Name"] for p in listed["RoutingProfileSummaryList"]] == ["Sales agents"]


def test_a_routing_profile_on_an_unknown_queue_is_resource_not_found(
    client: Any, center: Center
) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="QueueId 'nope'"):
        client.create_routing_profile(
            InstanceId=center.instance,
            Name="Broken",
            Description="points nowhere",
            DefaultOutboundQueueId=center.queue,
            QueueConfigs=[
                {
                    "QueueReference": {"QueueId": "nope", "Channel": "VOICE"},
                    "Priority": 1,
                    "Delay": 0,
                }
            ],
            MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1}],
        )


# --------------------------------------------------------------------------- users


def test_a_user_reads_back_with_phone_config_and_profiles(client: Any, center: Center) -> None:
    user = client.describe_user(InstanceId=center.instance, UserId=center.user)["User"]
    assert user["Username"] == "jdoe"
    assert user["IdentityInfo"] == {"FirstName": "Jane", "LastName": "Doe"}
    assert user["PhoneConfig"]["AfterContactWorkTimeLimit"] == 30
    assert user["PhoneConfig"]["AutoAccept"] is False
    assert user["RoutingProfileId"] == center.profile
    assert len(user["SecurityProfileIds"]) == 1

    client.update_user_phone_config(
        InstanceId=center.instance,
        UserId=center.user,
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AutoAccept": True, "AfterContactWorkTimeLimit": 0},
    )
    phone = client.describe_user(InstanceId=center.instance, UserId=center.user)["User"][
        "PhoneConfig"
    ]
    assert (phone["AutoAccept"], phone["AfterContactWorkTimeLimit"]) == (True, 0)


def test_a_user_moves_to_another_routing_profile(client: Any, center: Center) -> None:
    other = client.create_routing_profile(
        InstanceId=center.instance,
        Name="Chat only",
        Description="Chat",
        DefaultOutboundQueueId=center.queue,
        MediaConcurrencies=[{"Channel": "CHAT", "Concurrency": 2}],
    )["RoutingProfileId"]
    client.update_user_routing_profile(
        InstanceId=center.instance, UserId=center.user, RoutingProfileId=other
    )
    user = client.describe_user(InstanceId=center.instance, UserId=center.user)["User"]
    assert user["RoutingProfileId"] == other


def test_list_users_pages_through_every_user_once(client: Any, center: Center) -> None:
    security = client.list_security_profiles(InstanceId=center.instance)
    profile_ids = [security["SecurityProfileSummaryList"][0]["Id"]]
    for n in range(4):
        client.create_user(
            InstanceId=center.instance,
            Username=f"agent{n}",
            IdentityInfo={"FirstName": "Agent", "LastName": str(n)},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=profile_ids,
            RoutingProfileId=center.profile,
        )
    pages = list(
        client.get_paginator("list_users").paginate(
            InstanceId=center.instance, PaginationConfig={"PageSize": 2}
        )
    )
    assert len(pages) == 3
    names = [u["Username"] for page in pages for u in page["UserSummaryList"]]
    assert sorted(names) == ["agent0", "agent1", "agent2", "agent3", "jdoe"]


def test_an_unknown_user_is_resource_not_found_naming_the_user(client: Any, center: Center) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.describe_user(InstanceId=center.instance, UserId="ghost-user")
    message = raised.value.response["Error"]["Message"]
    assert "ghost-user" in message
    assert center.instance in message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="ghost-user"):
        client.put_user_status(
            InstanceId=center.instance, UserId="ghost-user", AgentStatusId=center.brk
        )


def test_a_duplicate_username_is_duplicate_resource(client: Any, center: Center) -> None:
    security = client.list_security_profiles(InstanceId=center.instance)
    with pytest.raises(client.exceptions.DuplicateResourceException, match="jdoe"):
        client.create_user(
            InstanceId=center.instance,
            Username="jdoe",
            IdentityInfo={"FirstName": "John", "LastName": "Doe"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[security["SecurityProfileSummaryList"][0]["Id"]],
            RoutingProfileId=center.profile,
        )


# --------------------------------------------------------------------------- status


def test_put_user_status_to_break_and_back_shows_in_the_agent_event_stream(
    server: Server, client: Any, center: Center
) -> None:
    engine = server.instances.get(center.instance)
    assert engine is not None
    seen: list[AgentStreamRecord] = []
    engine.engine.on_agent_event(seen.append)

    server.clock.advance(1_000)
    client.put_user_status(InstanceId=center.instance, UserId=center.user, AgentStatusId=center.brk)
    server.clock.advance(1_000)
    client.put_user_status(
        InstanceId=center.instance, UserId=center.user, AgentStatusId=center.available
    )

    changes = [r for r in seen if r.event_type is StreamEventType.STATE_CHANGE]
    assert [r.current.status.name for r in changes if r.current] == ["Break", "Available"]
    assert changes[1].previous is not None
    assert changes[1].previous.status.name == "Break"
    assert changes[1].at - changes[0].at == 1_000  # the injected clock times each command
    assert all(r.agent_id == center.user for r in changes)


def test_put_user_status_to_an_unknown_status_is_resource_not_found(
    client: Any, center: Center
) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="AgentStatusId"):
        client.put_user_status(
            InstanceId=center.instance, UserId=center.user, AgentStatusId="no-status"
        )


def test_dismissing_a_contact_the_user_does_not_hold_is_resource_not_found(
    client: Any, center: Center
) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="ContactId"):
        client.dismiss_user_contact(
            InstanceId=center.instance, UserId=center.user, ContactId="no-such-contact"
        )


# --------------------------------------------------------------------------- authentication


def test_a_wrong_secret_is_refused_with_invalid_signature(server: Server) -> None:
    wrong = connect(server, secret="not-the-secret-0000000000000000000000000")
    with pytest.raises(ClientError) as raised:
        wrong.list_instances()
    assert code_of(raised.value) == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "signature" in raised.value.response["Error"]["Message"].lower()


def test_an_unknown_access_key_is_refused_as_unrecognized(server: Server) -> None:
    stranger = connect(server, key_id="SBAKNOBODYNOBODYNOBO")
    with pytest.raises(ClientError) as raised:
        stranger.list_instances()
    assert code_of(raised.value) == "UnrecognizedClientException"


# --------------------------------------------------------------------------- malformed input


def signed(server: Server, method: str, path: str, body: bytes) -> httpx.Response:
    url = f"{server.url}{path}"
    request = AWSRequest(
        method=method, url=url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION).add_auth(request)
    return httpx.request(method, url, headers=dict(request.headers.items()), content=body)


def assert_refused(response: httpx.Response, code: str, *words: str) -> None:
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == code
    message = orjson.loads(response.content)["message"]
    for word in words:
        assert word in message
    assert "Traceback" not in response.text


def test_broken_json_is_invalid_request_without_a_traceback(server: Server, center: Center) -> None:
    response = signed(server, "PUT", f"/agent-status/{center.instance}", b'{"Name": "Br')
    assert_refused(response, "InvalidRequestException", "not valid JSON")


def test_a_body_that_is_not_an_object_is_invalid_request(server: Server, center: Center) -> None:
    response = signed(server, "PUT", f"/queues/{center.instance}", b'["Sales"]')
    assert_refused(response, "InvalidRequestException", "JSON object")


def test_a_missing_required_field_is_named(server: Server, center: Center) -> None:
    response = signed(
        server, "PUT", f"/agent-status/{center.instance}", orjson.dumps({"State": "ENABLED"})
    )
    assert_refused(response, "InvalidParameterException", "Name", "required")


def test_a_field_of_the_wrong_type_is_named(server: Server, center: Center) -> None:
    response = signed(
        server,
        "PUT",
        f"/users/{center.instance}/{center.user}/status",
        orjson.dumps({"AgentStatusId": 42}),
    )
    assert_refused(response, "InvalidParameterException", "AgentStatusId", "string")


def test_a_nested_field_out_of_range_is_named_with_its_path(server: Server, center: Center) -> None:
    body = {
        "Name": "Too many",
        "Description": "x",
        "DefaultOutboundQueueId": center.queue,
        "MediaConcurrencies": [
            {"Channel": "VOICE", "Concurrency": 1},
            {"Channel": "CHAT", "Concurrency": 11},
        ],
    }
    response = signed(server, "PUT", f"/routing-profiles/{center.instance}", orjson.dumps(body))
    assert_refused(response, "InvalidParameterException", "MediaConcurrencies[1].Concurrency")


def test_an_unknown_path_is_a_json_error_not_a_page(server: Server) -> None:
    response = signed(server, "GET", "/no-such-operation", b"")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert orjson.loads(response.content)["message"]


def test_a_user_without_names_is_invalid_parameter_naming_the_field(
    client: Any, center: Center
) -> None:
    security = client.list_security_profiles(InstanceId=center.instance)
    with pytest.raises(
        client.exceptions.InvalidParameterException, match=r"IdentityInfo\.LastName is required"
    ):
        client.create_user(
            InstanceId=center.instance,
            Username="nameless",
            IdentityInfo={"FirstName": "No"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[security["SecurityProfileSummaryList"][0]["Id"]],
            RoutingProfileId=center.profile,
        )


def test_dismiss_user_contact_clears_a_missed_contact_so_the_agent_is_routable_again(
    server: Server, client: Any, center: Center
) -> None:
    instance = server.instances.get(center.instance)
    assert instance is not None
    engine = instance.engine
    agent = AgentId(center.user)
    # The customer side has no API yet: the call arrives and is missed on the engine itself.
    engine.execute(cmd.Login(agent_id=agent), at=server.clock.now())
    client.put_user_status(
        InstanceId=center.instance, UserId=center.user, AgentStatusId=center.available
    )
    contact = ContactId("missed-call-1")
    engine.execute(
        cmd.StartInboundContact(
            contact_id=contact, channel=Channel.VOICE, queue_id=QueueId(center.queue)
        ),
        at=server.clock.now(),
    )
    server.clock.advance(engine.state.settings.offer_timeout_ms + 1_000)
    engine.fire_due(server.clock.now())
    assert engine.state.agents[agent].slots[contact].state is ContactState.MISSED

    client.dismiss_user_contact(InstanceId=center.instance, UserId=center.user, ContactId=contact)

    # Cleared, the agent is routable again: the call, still queued, is offered to them anew.
    slot = engine.state.agents[agent].slots[contact]
    assert slot.state is not ContactState.MISSED
    assert slot.state in {ContactState.INCOMING, ContactState.CONNECTING}


# --------------------------------------------------------------------------- real-time metrics


class Floor:
    """A center's engine driven directly where the API has no operation yet (the customer side,
    the agent's CCP), while everything read back goes through boto3."""

    def __init__(self, server: Server, client: Any, center: Center) -> None:
        instance = server.instances.get(center.instance)
        assert instance is not None
        self.engine = instance.engine
        self.server = server
        self.client = client
        self.center = center
        self.security = next(
            p["Id"]
            for p in client.list_security_profiles(InstanceId=center.instance)[
                "SecurityProfileSummaryList"
            ]
            if p["Name"] == "Agent"
        )

    def user(self, username: str, profile: str | None = None) -> str:
        made = self.client.create_user(
            InstanceId=self.center.instance,
            Username=username,
            IdentityInfo={"FirstName": username.title(), "LastName": "Test"},
            PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 30},
            SecurityProfileIds=[self.security],
            RoutingProfileId=profile or self.center.profile,
        )
        user_id: str = made["UserId"]
        self.run(cmd.Login(agent_id=AgentId(user_id)))
        return user_id

    def run(self, command: cmd.Command) -> None:
        self.engine.execute(command, at=self.server.clock.now())

    def status(self, user: str, status: str) -> None:
        self.client.put_user_status(
            InstanceId=self.center.instance, UserId=user, AgentStatusId=status
        )

    def call(self, contact: str, channel: Channel = Channel.VOICE) -> ContactId:
        contact_id = ContactId(contact)
        self.run(
            cmd.StartInboundContact(
                contact_id=contact_id, channel=channel, queue_id=QueueId(self.center.queue)
            )
        )
        return contact_id

    def answered_by(self, user: str, contact: str) -> ContactId:
        contact_id = self.call(contact)
        assert contact_id in self.engine.state.agents[AgentId(user)].slots
        self.run(cmd.AcceptContact(agent_id=AgentId(user), contact_id=contact_id))
        state = self.engine.state.agents[AgentId(user)].slots[contact_id].state
        assert state is ContactState.CONNECTED
        return contact_id

    def advance(self, ms: int) -> None:
        self.server.clock.advance(ms)
        self.engine.fire_due(self.server.clock.now())


def test_current_user_data_shows_break_a_pending_next_status_and_free_slots_per_channel(
    server: Server, client: Any, center: Center
) -> None:
    floor = Floor(server, client, center)
    jdoe = center.user
    floor.run(cmd.Login(agent_id=AgentId(jdoe)))
    on_call, idle = floor.user("asmith"), floor.user("bking")
    floor.status(on_call, center.available)
    call = floor.answered_by(on_call, "call-1")
    answered_at = server.clock.now()
    server.clock.advance(5_000)
    floor.status(on_call, center.brk)  # on a call: Break waits as the next status
    floor.status(jdoe, center.brk)
    break_at = server.clock.now()
    floor.status(idle, center.available)

    data = client.get_current_user_data(
        InstanceId=center.instance, Filters={"Queues": [center.queue]}
    )

    assert data["ApproximateTotalCount"] == 3
    users = {d["User"]["Id"]: d for d in data["UserDataList"]}
    assert set(users) == {jdoe, on_call, idle}
    resting = users[jdoe]
    assert resting["User"]["Arn"].endswith(f"/agent/{jdoe}")
    assert resting["RoutingProfile"]["Id"] == center.profile
    assert resting["Status"]["StatusName"] == "Break"
    assert resting["Status"]["StatusArn"].endswith(f"/agent-state/{center.brk}")
    assert resting["Status"]["StatusStartTimestamp"].timestamp() == break_at / 1000
    assert "NextStatus" not in resting
    assert resting["MaxSlotsByChannel"] == {"VOICE": 1, "CHAT": 3}
    assert resting["AvailableSlotsByChannel"] == {"VOICE": 0, "CHAT": 0}  # a custom status
    assert resting["ActiveSlotsByChannel"] == {"VOICE": 0, "CHAT": 0}
    assert resting["Contacts"] == []

    busy = users[on_call]
    assert busy["Status"]["StatusName"] == "Available"
    assert busy["NextStatus"] == "Break"
    # One voice call and voice routes its own channel only: nothing is free on either channel.
    assert busy["AvailableSlotsByChannel"] == {"VOICE": 0, "CHAT": 0}
    assert busy["ActiveSlotsByChannel"] == {"VOICE": 1, "CHAT": 0}
    [contact] = busy["Contacts"]
    assert contact["ContactId"] == call
    assert contact["Channel"] == "VOICE"
    assert contact["InitiationMethod"] == "INBOUND"
    assert contact["AgentContactState"] == "CONNECTED"
    assert contact["StateStartTimestamp"].timestamp() == answered_at / 1000
    assert contact["ConnectedToAgentTimestamp"].timestamp() == answered_at / 1000
    assert contact["Queue"]["Id"] == center.queue
    assert contact["Queue"]["Arn"].endswith(f"/queue/{center.queue}")

    assert users[idle]["AvailableSlotsByChannel"] == {"VOICE": 1, "CHAT": 3}
    assert "NextStatus" not in users[idle]

    only = client.get_current_user_data(
        InstanceId=center.instance,
        Filters={"Agents": [on_call], "ContactFilter": {"ContactStates": ["CONNECTED"]}},
    )["UserDataList"]
    assert [d["User"]["Id"] for d in only] == [on_call]
    none = client.get_current_user_data(
        InstanceId=center.instance,
        Filters={
            "RoutingProfiles": [center.profile],
            "ContactFilter": {"ContactStates": ["ENDED"]},
        },
    )["UserDataList"]
    assert none == []


def test_current_user_data_pages_and_names_a_bad_filter(
    server: Server, client: Any, center: Center
) -> None:
    floor = Floor(server, client, center)
    floor.run(cmd.Login(agent_id=AgentId(center.user)))
    floor.user("second")
    first = client.get_current_user_data(
        InstanceId=center.instance, Filters={"Queues": [center.queue]}, MaxResults=1
    )
    second = client.get_current_user_data(
        InstanceId=center.instance,
        Filters={"Queues": [center.queue]},
        MaxResults=1,
        NextToken=first["NextToken"],
    )
    assert "NextToken" not in second
    assert len({d["User"]["Id"] for d in first["UserDataList"] + second["UserDataList"]}) == 2

    with pytest.raises(ClientError) as unknown:
        client.get_current_user_data(
            InstanceId=center.instance, Filters={"Queues": [center.queue, "no-such-queue"]}
        )
    assert code_of(unknown.value) == "ResourceNotFoundException"
    assert "Filters.Queues[1]" in str(unknown.value)
    with pytest.raises(ClientError) as two:
        client.get_current_user_data(
            InstanceId=center.instance,
            Filters={"Queues": [center.queue], "Agents": [center.user]},
        )
    assert code_of(two.value) == "InvalidParameterException"
    assert "Queues, Agents" in str(two.value)


def test_current_metric_data_by_queue_and_channel_and_ungrouped(
    server: Server, client: Any, center: Center
) -> None:
    floor = Floor(server, client, center)
    chat_only = client.create_routing_profile(
        InstanceId=center.instance,
        Name="Chat agents",
        Description="Chat for Sales",
        DefaultOutboundQueueId=center.queue,
        QueueConfigs=[
            {
                "QueueReference": {"QueueId": center.queue, "Channel": "CHAT"},
                "Priority": 1,
                "Delay": 0,
            }
        ],
        MediaConcurrencies=[{"Channel": "CHAT", "Concurrency": 3}],
    )["RoutingProfileId"]
    jdoe = center.user
    floor.run(cmd.Login(agent_id=AgentId(jdoe)))
    in_acw, on_call, missing = floor.user("carol"), floor.user("asmith"), floor.user("dave")
    chatter = floor.user("erin", chat_only)
    floor.status(in_acw, center.available)
    done = floor.answered_by(in_acw, "call-0")
    floor.run(cmd.EndContact(agent_id=AgentId(in_acw), contact_id=done))  # ACW, 30 s
    floor.status(on_call, center.available)
    floor.answered_by(on_call, "call-1")
    floor.status(missing, center.available)
    floor.call("call-2")  # offered to dave, who lets it ring out
    floor.advance(floor.engine.state.settings.offer_timeout_ms + 1_000)
    assert floor.engine.state.agents[AgentId(missing)].slots[ContactId("call-2")].state is (
        ContactState.MISSED
    )
    floor.call("call-3")  # nobody can take a call: two wait
    floor.status(jdoe, center.brk)
    floor.status(chatter, center.available)
    oldest_ms = 21_000

    names = [
        "AGENTS_ONLINE",
        "AGENTS_AVAILABLE",
        "AGENTS_STAFFED",
        "AGENTS_ON_CONTACT",
        "AGENTS_ON_CALL",
        "AGENTS_NON_PRODUCTIVE",
        "AGENTS_AFTER_CONTACT_WORK",
        "AGENTS_ERROR",
        "CONTACTS_IN_QUEUE",
        "SLOTS_ACTIVE",
        "SLOTS_AVAILABLE",
    ]
    metrics = [{"Name": n, "Unit": "COUNT"} for n in names]
    metrics.append({"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"})

    def values(result: dict[str, Any]) -> dict[str, float]:
        return {c["Metric"]["Name"]: c["Value"] for c in result["Collections"]}

    grouped = client.get_current_metric_data(
        InstanceId=center.instance,
        Filters={"Queues": [center.queue], "Channels": ["VOICE", "CHAT"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=metrics,
    )
    assert grouped["DataSnapshotTime"].timestamp() == server.clock.now() / 1000
    rows = {r["Dimensions"]["Channel"]: r for r in grouped["MetricResults"]}
    assert set(rows) == {"VOICE", "CHAT"}
    assert rows["VOICE"]["Dimensions"]["Queue"]["Id"] == center.queue
    assert values(rows["VOICE"]) == {
        "AGENTS_ONLINE": 4,  # erin's profile has no voice
        "AGENTS_AVAILABLE": 0,
        "AGENTS_STAFFED": 3,
        "AGENTS_ON_CONTACT": 2,  # on a call, and in ACW
        "AGENTS_ON_CALL": 2,
        "AGENTS_NON_PRODUCTIVE": 1,
        "AGENTS_AFTER_CONTACT_WORK": 1,
        "AGENTS_ERROR": 1,
        "CONTACTS_IN_QUEUE": 2,
        "SLOTS_ACTIVE": 2,
        "SLOTS_AVAILABLE": 0,
        "OLDEST_CONTACT_AGE": oldest_ms // 1000,  # seconds when grouped
    }
    assert values(rows["CHAT"]) == {
        "AGENTS_ONLINE": 5,
        "AGENTS_AVAILABLE": 1,
        "AGENTS_STAFFED": 4,
        "AGENTS_ON_CONTACT": 2,
        "AGENTS_ON_CALL": 2,
        "AGENTS_NON_PRODUCTIVE": 1,
        "AGENTS_AFTER_CONTACT_WORK": 0,
        "AGENTS_ERROR": 1,
        "CONTACTS_IN_QUEUE": 0,
        "SLOTS_ACTIVE": 0,
        "SLOTS_AVAILABLE": 3,
        "OLDEST_CONTACT_AGE": 0,
    }

    [summary] = client.get_current_metric_data(
        InstanceId=center.instance, Filters={"Queues": [center.queue]}, CurrentMetrics=metrics
    )["MetricResults"]
    totals = values(summary)
    assert totals["AGENTS_ONLINE"] == 5  # each agent once, whatever its channels
    assert totals["CONTACTS_IN_QUEUE"] == 2
    assert totals["SLOTS_ACTIVE"] == 2
    assert totals["SLOTS_AVAILABLE"] == 3
    assert totals["OLDEST_CONTACT_AGE"] == oldest_ms  # milliseconds when ungrouped (Connect's)

    [voice] = client.get_current_metric_data(
        InstanceId=center.instance,
        Filters={"Queues": [center.queue], "Channels": ["VOICE"]},
        Groupings=["CHANNEL"],
        CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
    )["MetricResults"]
    assert voice["Dimensions"] == {"Channel": "VOICE"}
    assert values(voice) == {"CONTACTS_IN_QUEUE": 2}


def test_current_metric_data_refuses_what_it_cannot_answer_naming_the_field(
    client: Any, center: Center
) -> None:
    count = [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}]
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"Filters": {"Queues": ["nope"]}, "CurrentMetrics": count},
            "ResourceNotFoundException",
            "Filters.Queues[0]",
        ),
        (
            {"Filters": {"Channels": ["VOICE"]}, "CurrentMetrics": count},
            "InvalidParameterException",
            "Filters.Queues",
        ),
        (
            {
                "Filters": {"Queues": [center.queue]},
                "Groupings": ["ROUTING_PROFILE"],
                "CurrentMetrics": count,
            },
            "InvalidParameterException",
            "Groupings[0]",
        ),
        (
            {
                "Filters": {"Queues": [center.queue]},
                "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "SECONDS"}],
            },
            "InvalidParameterException",
            "CurrentMetrics[0].Unit",
        ),
    ]
    for request, code, field in cases:
        with pytest.raises(ClientError) as refused:
            client.get_current_metric_data(InstanceId=center.instance, **request)
        assert code_of(refused.value) == code, request
        assert field in str(refused.value), request


# --------------------------------------------------------------------------- user search


def test_search_users_by_name_with_exact_and_contains(
    server: Server, client: Any, center: Center
) -> None:
    floor = Floor(server, client, center)
    anna = floor.user("anna.lee")
    floor.user("bob.smith")

    def search(**criteria: Any) -> list[dict[str, Any]]:
        found = client.search_users(InstanceId=center.instance, **criteria)
        users: list[dict[str, Any]] = found["Users"]
        assert found["ApproximateTotalCount"] == len(users)
        return users

    def names(users: list[dict[str, Any]]) -> set[str]:
        return {u["Username"] for u in users}

    assert names(search()) == {"jdoe", "anna.lee", "bob.smith"}
    exact = {"FieldName": "Username", "Value": "anna.lee", "ComparisonType": "EXACT"}
    [found] = search(SearchCriteria={"StringCondition": exact})
    assert found["Id"] == anna
    assert found["Arn"].endswith(f"/agent/{anna}")
    assert found["IdentityInfo"] == {"FirstName": "Anna.Lee", "LastName": "Test"}
    assert found["RoutingProfileId"] == center.profile
    assert found["SecurityProfileIds"] == [floor.security]
    # Connect's quirk: SearchUsers gives the ACW limit in milliseconds (set as 30 seconds).
    assert found["PhoneConfig"]["AfterContactWorkTimeLimit"] == 30_000
    assert found["PhoneConfig"]["PhoneType"] == "SOFT_PHONE"
    described = client.describe_user(InstanceId=center.instance, UserId=anna)["User"]
    assert described["PhoneConfig"]["AfterContactWorkTimeLimit"] == 30

    test_last = {"FieldName": "LastName", "Value": "tes", "ComparisonType": "CONTAINS"}
    assert names(search(SearchCriteria={"StringCondition": test_last})) == {
        "anna.lee",
        "bob.smith",
    }
    first_b = {"FieldName": "FirstName", "Value": "bob", "ComparisonType": "CONTAINS"}
    assert names(
        search(
            SearchCriteria={
                "OrConditions": [{"StringCondition": exact}, {"StringCondition": first_b}]
            }
        )
    ) == {"anna.lee", "bob.smith"}
    assert (
        search(
            SearchCriteria={
                "AndConditions": [{"StringCondition": exact}, {"StringCondition": first_b}]
            }
        )
        == []
    )
    assert search(SearchCriteria={"StringCondition": {**exact, "Value": "ANNA.LEE"}}) == []
    # Nobody has tags yet: a tag filter matches no user.
    tagged = {"TagFilter": {"OrConditions": [[{"TagKey": "team", "TagValue": "a"}]]}}
    assert search(SearchFilter=tagged) == []

    first = client.search_users(InstanceId=center.instance, MaxResults=2)
    rest = client.search_users(
        InstanceId=center.instance, MaxResults=2, NextToken=first["NextToken"]
    )
    assert names(first["Users"] + rest["Users"]) == {"jdoe", "anna.lee", "bob.smith"}


def test_search_users_names_a_bad_field(client: Any, center: Center) -> None:
    condition = {"FieldName": "Nickname", "Value": "x", "ComparisonType": "EXACT"}
    with pytest.raises(ClientError) as refused:
        client.search_users(
            InstanceId=center.instance,
            SearchCriteria={"AndConditions": [{"StringCondition": condition}]},
        )
    assert code_of(refused.value) == "InvalidParameterException"
    assert "SearchCriteria.AndConditions[0].StringCondition.FieldName" in str(refused.value)
    with pytest.raises(ClientError) as missing:
        client.search_users(InstanceId="no-such-instance")
    assert code_of(missing.value) == "ResourceNotFoundException"
