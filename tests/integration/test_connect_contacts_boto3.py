"""Contacts through boto3: StartOutboundVoiceContact, StartChatContact, StartTaskContact,
StopContact and DescribeContact against a live server, the agent's side driven on the engine."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from switchboard.domain.model import ContactState
from tests.integration.conftest import Desk, LiveServer


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def refused(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return code_of(caught.value), str(caught.value.response["Error"]["Message"])


# --------------------------------------------------------------------------- tasks


def test_a_started_task_is_offered_to_an_available_agent_and_described_with_its_agent(
    desk: Desk, live_server: LiveServer
) -> None:
    agent = desk.agent("tara")
    started_at = live_server.clock.now() / 1000
    task = desk.task("Call back Mrs Smith", Description="She asked about her refund")

    slot = desk.slot(agent, task)
    assert slot is not None, "the task is routed to the only Available agent with a task slot"
    assert slot.state is ContactState.CONNECTING
    offered = desk.describe(task)
    assert offered["Id"] == task
    assert offered["Arn"] == f"{desk.arn}/contact/{task}"
    assert offered["Channel"] == "TASK"
    assert offered["InitiationMethod"] == "API"
    assert offered["Name"] == "Call back Mrs Smith"
    assert offered["Description"] == "She asked about her refund"
    assert offered["QueueInfo"]["Id"] == desk.queue
    assert offered["QueueInfo"]["EnqueueTimestamp"].timestamp() == started_at
    assert offered["InitiationTimestamp"].timestamp() == started_at
    assert "AgentInfo" not in offered, "nobody has accepted it yet"

    desk.advance(4)
    desk.accept(agent, task)
    connected = desk.describe(task)
    assert connected["AgentInfo"]["Id"] == agent
    assert connected["AgentInfo"]["ConnectedToAgentTimestamp"].timestamp() == started_at + 4
    assert "DisconnectTimestamp" not in connected


def test_a_task_waits_in_its_queue_while_no_agent_is_available(desk: Desk) -> None:
    agent = desk.agent("ulla", available=False)
    task = desk.task()
    assert desk.slot(agent, task) is None
    assert "AgentInfo" not in desk.describe(task)
    desk.status(agent, desk.available)
    assert desk.slot(agent, task) is not None, "routed once the agent becomes Available"


def test_a_task_queue_comes_from_its_contact_flow_id_and_an_unknown_one_is_not_found(
    desk: Desk,
) -> None:
    code, message = refused(
        desk.client.start_task_contact,
        InstanceId=desk.instance_id,
        ContactFlowId="no-such-flow",
        Name="Lost",
    )
    assert code == "ResourceNotFoundException"
    assert "ContactFlowId" in message
    by_arn = desk.client.start_task_contact(
        InstanceId=desk.instance_id,
        ContactFlowId=f"{desk.arn}/queue/{desk.queue}",
        Name="By ARN",
    )
    assert desk.describe(by_arn["ContactId"])["QueueInfo"]["Id"] == desk.queue


def test_task_options_switchboard_cannot_honour_are_refused_by_name(desk: Desk) -> None:
    code, message = refused(
        desk.client.start_task_contact,
        InstanceId=desk.instance_id,
        ContactFlowId=desk.queue,
        Name="Later",
        ScheduledTime=1_900_000_000,
    )
    assert code == "InvalidParameterException"
    assert "ScheduledTime" in message
    code, message = refused(
        desk.client.start_task_contact,
        InstanceId=desk.instance_id,
        ContactFlowId=desk.queue,
        Name="Bad reference",
        References={"doc": {"Type": "SPREADSHEET", "Value": "x"}},
    )
    assert code == "InvalidParameterException"
    assert "References.doc.Type" in message


# --------------------------------------------------------------------------- outbound voice


def test_an_outbound_voice_contact_is_routed_like_an_inbound_call_with_method_api(
    desk: Desk,
) -> None:
    agent = desk.agent("otto")
    call = desk.outbound_call("+14155550123", Attributes={"campaign": "renewals"})
    slot = desk.slot(agent, call)
    assert slot is not None
    assert slot.state is ContactState.CONNECTING, "offered to the agent, as a queued call is"
    contact = desk.instance.engine.state.contacts[slot.contact.id]
    assert contact.attributes == (("campaign", "renewals"),)
    described = desk.describe(call)
    assert described["Channel"] == "VOICE"
    assert described["InitiationMethod"] == "API"
    assert described["CustomerEndpoint"] == {
        "Type": "TELEPHONE_NUMBER",
        "Address": "+14155550123",
    }
    assert described["QueueInfo"]["Id"] == desk.queue


def test_outbound_voice_needs_a_queue_a_phone_number_and_outbound_calls_enabled(
    desk: Desk, live_server: LiveServer
) -> None:
    start = desk.client.start_outbound_voice_contact
    code, message = refused(
        start,
        InstanceId=desk.instance_id,
        DestinationPhoneNumber="+14155550100",
        ContactFlowId="flow",
    )
    assert code == "InvalidParameterException"
    assert "QueueId" in message
    code, message = refused(
        start,
        InstanceId=desk.instance_id,
        DestinationPhoneNumber="555-0100",
        ContactFlowId="flow",
        QueueId=desk.queue,
    )
    assert code == "InvalidParameterException"
    assert "DestinationPhoneNumber" in message
    code, _ = refused(
        start,
        InstanceId=desk.instance_id,
        DestinationPhoneNumber="+14155550100",
        ContactFlowId="flow",
        QueueId="no-such-queue",
    )
    assert code == "ResourceNotFoundException"
    code, _ = refused(
        start,
        InstanceId="no-such-instance",
        DestinationPhoneNumber="+14155550100",
        ContactFlowId="flow",
        QueueId=desk.queue,
    )
    assert code == "ResourceNotFoundException"
    closed = Desk(live_server, desk.client, outbound=False)
    code, _ = refused(
        start,
        InstanceId=closed.instance_id,
        DestinationPhoneNumber="+14155550100",
        ContactFlowId="flow",
        QueueId=closed.queue,
    )
    assert code == "OutboundContactNotPermittedException"


# --------------------------------------------------------------------------- chat


def test_a_chat_waits_in_the_queue_its_flow_id_names_with_fresh_participant_tokens(
    desk: Desk,
) -> None:
    first, second = desk.chat("Ann"), desk.chat("Bob")
    for made in (first, second):
        assert made["ParticipantId"]
        assert len(made["ParticipantToken"]) >= 32
    assert first["ParticipantToken"] != second["ParticipantToken"]
    assert first["ContactId"] != second["ContactId"]
    described = desk.describe(first["ContactId"])
    assert described["Channel"] == "CHAT"
    assert described["InitiationMethod"] == "API"
    assert described["QueueInfo"]["Id"] == desk.queue
    code, message = refused(
        desk.client.start_chat_contact,
        InstanceId=desk.instance_id,
        ContactFlowId=desk.queue,
        ParticipantDetails={"DisplayName": "Cy"},
        PersistentChat={"RehydrationType": "ENTIRE_PAST_SESSION", "SourceContactId": "x"},
    )
    assert code == "InvalidParameterException"
    assert "PersistentChat" in message


# --------------------------------------------------------------------------- stop and describe


def test_stopping_a_queued_call_abandons_it_and_describe_shows_its_disconnect(
    desk: Desk, live_server: LiveServer
) -> None:
    call = desk.outbound_call()
    desk.advance(7)
    desk.stop(call)
    described = desk.describe(call)
    assert described["DisconnectTimestamp"].timestamp() == live_server.clock.now() // 1000
    assert described["DisconnectReason"] == "API"
    assert "AgentInfo" not in described
    assert described["QueueInfo"]["Id"] == desk.queue
    assert call not in desk.instance.engine.state.contacts, "finished: no agent, no ACW"

    code, _ = refused(desk.client.stop_contact, InstanceId=desk.instance_id, ContactId=call)
    assert code == "ContactNotFoundException", "Connect's error for a call no longer active"


def test_a_customer_disconnect_code_ends_the_contact_as_the_customer_hanging_up(
    desk: Desk,
) -> None:
    call = desk.outbound_call()
    desk.stop(call, "CUSTOMER_DISCONNECT")
    assert desk.describe(call)["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    code, message = refused(
        desk.client.stop_contact,
        InstanceId=desk.instance_id,
        ContactId=desk.outbound_call(),
        DisconnectReason={"Code": "AGENT_DISCONNECT"},
    )
    assert code == "InvalidParameterException"
    assert "DisconnectReason.Code" in message


def test_stopping_a_connected_task_puts_the_agent_in_acw_then_describe_reads_the_record(
    desk: Desk, live_server: LiveServer
) -> None:
    agent = desk.agent("vera")
    task = desk.task()
    desk.accept(agent, task)
    connected_at = live_server.clock.now() // 1000
    desk.advance(30)
    desk.stop(task)
    slot = desk.slot(agent, task)
    assert slot is not None
    assert slot.state is ContactState.ENDED, "the agent's After Contact Work follows"
    in_acw = desk.describe(task)
    assert in_acw["DisconnectTimestamp"].timestamp() == connected_at + 30
    assert in_acw["AgentInfo"]["AfterContactWorkStartTimestamp"].timestamp() == connected_at + 30
    code, _ = refused(desk.client.stop_contact, InstanceId=desk.instance_id, ContactId=task)
    assert code == "InvalidRequestException", "a task not active (ContactNotFound is voice only)"

    desk.advance(12)
    desk.clear(agent, task)
    finished = desk.describe(task)
    assert finished["Name"] == "Call back Mrs Smith"
    assert finished["InitiationMethod"] == "API"
    assert finished["DisconnectReason"] == "API"
    assert finished["AgentInfo"]["Id"] == agent
    assert finished["AgentInfo"]["ConnectedToAgentTimestamp"].timestamp() == connected_at
    assert finished["AgentInfo"]["AfterContactWorkDuration"] == 12
    assert finished["AgentInfo"]["AfterContactWorkEndTimestamp"].timestamp() == (connected_at + 42)
    assert finished["LastUpdateTimestamp"].timestamp() == connected_at + 42


def test_unknown_contacts_are_resource_not_found(desk: Desk) -> None:
    code, message = refused(
        desk.client.describe_contact, InstanceId=desk.instance_id, ContactId="no-such-contact"
    )
    assert code == "ResourceNotFoundException"
    assert "no-such-contact" in message
    code, _ = refused(
        desk.client.stop_contact, InstanceId=desk.instance_id, ContactId="no-such-contact"
    )
    assert code == "ResourceNotFoundException"
    code, _ = refused(
        desk.client.describe_contact, InstanceId="no-such-instance", ContactId="no-such-contact"
    )
    assert code == "ResourceNotFoundException"
