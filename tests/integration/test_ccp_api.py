"""The CCP API as a browser and the phone network meet it: a live `switchboard serve` (real uvicorn,
real SQLite), sessions over httpx, the phone line signed with botocore's SigV4 signer."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.api.session import CSRF_HEADER
from tests.server_harness import PASSWORD, REGION, LiveServer, Seeded

_aliases = count()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(tmp_path_factory.mktemp("ccp"))
    yield server
    server.stop()


@pytest.fixture
def center(live: LiveServer) -> Seeded:
    """A fresh instance: queue Sales; agents alice and bob (Offline, logged out); supervisor sam."""
    return live.seed_instance(f"ccp-{next(_aliases)}")


# --- helpers ------------------------------------------------------------------------------------


def line(
    live: LiveServer,
    path: str,
    body: bytes | dict[str, Any] = b"",
    *,
    key: tuple[str, str] | None = None,
) -> httpx.Response:
    """A POST on the phone line, signed as the SDK signs (admin key unless told otherwise)."""
    url = live.url + path
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    request = AWSRequest(
        method="POST", url=url, data=data, headers={"Content-Type": "application/json"}
    )
    key_id, secret = key or (live.key_id, live.secret)
    SigV4Auth(Credentials(key_id, secret), "connect", REGION).add_auth(request)
    return httpx.post(url, headers=dict(request.headers.items()), content=data)


def call_in(live: LiveServer, center: Seeded, **extra: Any) -> str:
    answer = line(
        live,
        f"/switchboard/instances/{center.instance_id}/contacts/inbound",
        {"Channel": "VOICE", "QueueId": center.queues["Sales"], **extra},
    )
    assert answer.status_code == 200, answer.text
    contact_id: str = answer.json()["ContactId"]
    return contact_id


def hang_up(live: LiveServer, center: Seeded, contact: str) -> httpx.Response:
    return line(
        live, f"/switchboard/instances/{center.instance_id}/contacts/{contact}/customer-hangup"
    )


def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refused(answer: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"code", "message"}
    for word in words:
        assert word in body["message"], body
    assert "Traceback" not in answer.text
    return body


def on_duty(live: LiveServer, center: Seeded, username: str, status: str = "Available") -> Any:
    """A browser signed in as `username`, logged in to the CCP, in `status`."""
    browser = live.browser(center.instance_id, username)
    ok(browser.post("/switchboard/ccp/login"))
    ok(browser.put("/switchboard/ccp/status", json={"AgentStatusId": center.statuses[status]}))
    return browser


def ccp(browser: httpx.Client) -> dict[str, Any]:
    return ok(browser.get("/switchboard/ccp"))


def card(snapshot: dict[str, Any], contact: str) -> dict[str, Any]:
    found = [c for c in snapshot["Contacts"] if c["ContactId"] == contact]
    assert len(found) == 1, snapshot["Contacts"]
    return found[0]


def voice(snapshot: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in snapshot["Agent"]["Slots"] if s["Channel"] == "VOICE")


# --- signing in ---------------------------------------------------------------------------------


def test_signing_in_sets_a_strict_http_only_cookie_and_me_says_who_is_signed_in(
    live: LiveServer, center: Seeded
) -> None:
    browser = httpx.Client(base_url=live.url)
    answer = browser.post(
        "/switchboard/login",
        json={"InstanceId": center.instance_id, "Username": "alice", "Password": PASSWORD},
    )
    signed_in = ok(answer)
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("sb_session=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert signed_in["Username"] == "alice"
    assert signed_in["UserId"] == center.users["alice"]
    assert signed_in["InstanceId"] == center.instance_id
    assert signed_in["InstanceAlias"].startswith("ccp-")
    assert signed_in["Roles"] == ["agent"]
    assert signed_in["CsrfToken"]
    assert ok(browser.get("/switchboard/me")) == signed_in


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    live: LiveServer, center: Seeded
) -> None:
    answers = [
        httpx.post(
            f"{live.url}/switchboard/login",
            json={"InstanceId": center.instance_id, "Username": name, "Password": password},
        )
        for name, password in [("alice", "Wrong-passw0rd"), ("nobody", PASSWORD)]
    ]
    bodies = [refused(answer, 401) for answer in answers]
    assert (
        bodies[0]
        == bodies[1]
        == {
            "code": "BadCredentials",
            "message": "Wrong username or password",
        }
    )
    assert all("set-cookie" not in answer.headers for answer in answers)


def test_the_login_page_lists_instances_and_takes_an_alias(
    live: LiveServer, center: Seeded
) -> None:
    live.seed_instance(f"ccp-{next(_aliases)}", agents=(), supervisors=())
    listed = httpx.get(f"{live.url}/switchboard/instances-for-login")
    assert listed.status_code == 200
    aliases = {i["InstanceAlias"]: i["InstanceId"] for i in listed.json()}
    assert len(aliases) >= 2
    alias = next(a for a, i in aliases.items() if i == center.instance_id)
    by_alias = httpx.post(
        f"{live.url}/switchboard/login",
        json={"InstanceId": alias.upper(), "Username": "sam", "Password": PASSWORD},
    )
    assert ok(by_alias)["Roles"] == ["supervisor"]
    without = httpx.post(
        f"{live.url}/switchboard/login", json={"Username": "sam", "Password": PASSWORD}
    )
    refused(without, 400, "InstanceId is required", "instances-for-login")
    unknown = httpx.post(
        f"{live.url}/switchboard/login",
        json={"InstanceId": "no-such-center", "Username": "sam", "Password": PASSWORD},
    )
    refused(unknown, 404, "'no-such-center'")


def test_signing_out_ends_the_session(live: LiveServer, center: Seeded) -> None:
    browser = live.browser(center.instance_id, "alice")
    assert ok(browser.post("/switchboard/logout"))["SignedOut"] is True
    browser.headers.pop(CSRF_HEADER)
    refused(browser.get("/switchboard/me"), 401, "Sign in")
    refused(browser.get("/switchboard/ccp"), 401, "Sign in")


# --- the CCP ------------------------------------------------------------------------------------


def test_a_new_agent_sees_their_ccp_offline_with_statuses_queues_and_free_slots(
    live: LiveServer, center: Seeded
) -> None:
    browser = live.browser(center.instance_id, "alice")
    snapshot = ccp(browser)
    agent = snapshot["Agent"]
    assert (agent["Username"], agent["LoggedIn"]) == ("alice", False)
    assert (agent["Status"]["Name"], agent["Status"]["Type"]) == ("Offline", "OFFLINE")
    assert agent["Activity"]["Name"] == "Offline"
    assert agent["NextStatus"] is None
    assert agent["Slots"] == [
        {"Channel": "VOICE", "Total": 1, "Busy": 0},
        {"Channel": "CHAT", "Total": 2, "Busy": 0},
        {"Channel": "TASK", "Total": 1, "Busy": 0},
    ]
    assert [s["Name"] for s in snapshot["Statuses"]] == [
        "Available",
        "Offline",
        "Break",
        "Training",
    ]
    assert [q["Name"] for q in snapshot["Queues"]] == ["Sales"]
    assert snapshot["Contacts"] == []
    assert abs(snapshot["ServerTime"] - live.server.clock.now()) < 60_000
    after_login = ok(browser.post("/switchboard/ccp/login"))
    assert after_login["Agent"]["LoggedIn"] is True
    assert ok(browser.post("/switchboard/ccp/login"))["Agent"]["LoggedIn"] is True  # a reload


def test_an_inbound_call_rings_is_accepted_held_resumed_hung_up_and_cleared(
    live: LiveServer, center: Seeded
) -> None:
    alice = on_duty(live, center, "alice")
    assert ccp(alice)["Agent"]["Activity"]["Name"] == "Available"
    contact = call_in(live, center, CustomerEndpoint="+14155550123")

    ringing = ccp(alice)
    offer = card(ringing, contact)
    assert (offer["State"], offer["Channel"], offer["InitiationMethod"]) == (
        "CONNECTING",
        "VOICE",
        "INBOUND",
    )
    assert offer["QueueName"] == "Sales"
    assert offer["CustomerEndpoint"] == "+14155550123"
    assert offer["Actions"] == ["accept", "reject"]
    assert offer["OfferExpiresAt"] == offer["StateSince"] + 20_000
    assert ringing["Agent"]["Activity"]["Name"] == "Incoming"
    assert voice(ringing)["Busy"] == 1

    talking = ok(alice.post(f"/switchboard/ccp/contacts/{contact}/accept"))
    assert card(talking, contact)["State"] == "CONNECTED"
    assert card(talking, contact)["Actions"] == ["hold", "end", "transfer"]
    assert talking["Agent"]["Activity"]["Name"] == "On contact"

    held = ok(alice.post(f"/switchboard/ccp/contacts/{contact}/hold"))
    assert card(held, contact)["State"] == "CONNECTED_ONHOLD"
    assert card(held, contact)["Actions"] == ["resume", "end", "transfer"]
    resumed = ok(alice.post(f"/switchboard/ccp/contacts/{contact}/resume"))
    assert card(resumed, contact)["State"] == "CONNECTED"

    ok(hang_up(live, center, contact))
    acw = ccp(alice)
    assert card(acw, contact)["State"] == "ENDED"
    assert card(acw, contact)["Actions"] == ["clear"]
    assert acw["Agent"]["Activity"]["Name"] == "After contact work"
    assert voice(acw)["Busy"] == 1

    cleared = ok(alice.post(f"/switchboard/ccp/contacts/{contact}/clear"))
    assert cleared["Contacts"] == []
    assert cleared["Agent"]["Activity"]["Name"] == "Available"
    assert cleared["Agent"]["Status"]["Name"] == "Available"
    assert voice(cleared) == {"Channel": "VOICE", "Total": 1, "Busy": 0}
    # and the record is written: the contact is known to the Connect API as ended
    described = live.connect().describe_contact(InstanceId=center.instance_id, ContactId=contact)
    assert described["Contact"]["InitiationMethod"] == "INBOUND"


def test_a_break_agent_dials_out_and_is_non_productive_and_on_contact_at_once(
    live: LiveServer, center: Seeded
) -> None:
    alice = on_duty(live, center, "alice", "Break")
    dialled = ok(alice.post("/switchboard/ccp/dial", json={"PhoneNumber": "+14155550100"}))
    contact = dialled["ContactId"]
    snapshot = ccp(alice)
    assert (snapshot["Agent"]["Status"]["Name"], snapshot["Agent"]["Status"]["Type"]) == (
        "Break",
        "CUSTOM",
    )
    assert snapshot["Agent"]["Activity"]["Name"] == "On contact"
    outbound = card(snapshot, contact)
    assert (outbound["State"], outbound["InitiationMethod"]) == ("CONNECTING", "OUTBOUND")
    assert outbound["Actions"] == ["end"]
    assert "OfferExpiresAt" not in outbound

    answered = line(
        live, f"/switchboard/instances/{center.instance_id}/contacts/{contact}/customer-answer"
    )
    assert ok(answered) == {"ContactId": contact}
    assert card(ccp(alice), contact)["State"] == "CONNECTED"
    metrics = live.connect().get_current_metric_data(
        InstanceId=center.instance_id,
        Filters={"Queues": [center.queues["Sales"]], "Channels": ["VOICE"]},
        CurrentMetrics=[
            {"Name": "AGENTS_NON_PRODUCTIVE", "Unit": "COUNT"},
            {"Name": "AGENTS_ON_CONTACT", "Unit": "COUNT"},
        ],
    )
    values = {
        c["Metric"]["Name"]: c["Value"]
        for result in metrics["MetricResults"]
        for c in result["Collections"]
    }
    assert values == {"AGENTS_NON_PRODUCTIVE": 1.0, "AGENTS_ON_CONTACT": 1.0}


def test_a_rejected_call_waits_as_missed_until_cleared_and_acw_shows_its_limit(
    live: LiveServer, center: Seeded
) -> None:
    live.connect().update_user_phone_config(
        InstanceId=center.instance_id,
        UserId=center.users["alice"],
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 30},
    )
    alice = on_duty(live, center, "alice")
    first = call_in(live, center)
    missed = ok(alice.post(f"/switchboard/ccp/contacts/{first}/reject"))
    assert card(missed, first)["State"] == "MISSED"
    assert card(missed, first)["Actions"] == ["clear"]
    assert missed["Agent"]["Activity"]["Name"] == "Missed"
    assert missed["Agent"]["Activity"]["Since"] == card(missed, first)["StateSince"]
    ok(alice.post(f"/switchboard/ccp/contacts/{first}/clear"))
    # the call went back to its queue: alice, free again, is offered it once more
    again = ccp(alice)
    assert card(again, first)["State"] == "CONNECTING"
    ok(alice.post(f"/switchboard/ccp/contacts/{first}/accept"))
    acw = ok(alice.post(f"/switchboard/ccp/contacts/{first}/end"))
    ended = card(acw, first)
    assert ended["AcwExpiresAt"] == ended["StateSince"] + 30_000
    assert "OfferExpiresAt" not in ended


def test_choosing_a_status_on_a_contact_sets_the_next_status(
    live: LiveServer, center: Seeded
) -> None:
    alice = on_duty(live, center, "alice")
    contact = call_in(live, center)
    ok(alice.post(f"/switchboard/ccp/contacts/{contact}/accept"))
    snapshot = ok(
        alice.put("/switchboard/ccp/status", json={"AgentStatusId": center.statuses["Break"]})
    )
    assert snapshot["Agent"]["Status"]["Name"] == "Available"
    assert snapshot["Agent"]["NextStatus"] == {"Id": center.statuses["Break"], "Name": "Break"}
    ok(alice.post(f"/switchboard/ccp/contacts/{contact}/end"))
    after = ok(alice.post(f"/switchboard/ccp/contacts/{contact}/clear"))
    assert after["Agent"]["Status"]["Name"] == "Break"
    assert after["Agent"]["NextStatus"] is None


def test_an_agent_transfers_a_call_to_a_queue_and_it_rings_another_agent(
    live: LiveServer, center: Seeded
) -> None:
    alice = on_duty(live, center, "alice")
    contact = call_in(live, center)
    ok(alice.post(f"/switchboard/ccp/contacts/{contact}/accept"))
    bob = on_duty(live, center, "bob")
    moved = ok(
        alice.post(
            f"/switchboard/ccp/contacts/{contact}/transfer",
            json={"QueueId": center.queues["Sales"]},
        )
    )
    assert moved["PreviousContactId"] == contact
    assert card(ccp(alice), contact)["State"] == "ENDED"
    offered = card(ccp(bob), moved["ContactId"])
    assert (offered["State"], offered["InitiationMethod"]) == ("CONNECTING", "TRANSFER")
    # the customer hangs up on the call they placed: the contact now ringing bob ends
    ok(hang_up(live, center, contact))
    assert card(ccp(bob), moved["ContactId"])["State"] == "MISSED"


# --- refusals -----------------------------------------------------------------------------------


def test_without_the_csrf_token_nothing_changes(live: LiveServer, center: Seeded) -> None:
    alice = live.browser(center.instance_id, "alice")
    alice.headers.pop(CSRF_HEADER)
    before = ccp(alice)
    for answer in [
        alice.post("/switchboard/ccp/login"),
        alice.put("/switchboard/ccp/status", json={"AgentStatusId": center.statuses["Available"]}),
        alice.post("/switchboard/ccp/dial", json={"PhoneNumber": "+14155550100"}),
    ]:
        refused(answer, 403, CSRF_HEADER)
    alice.headers[CSRF_HEADER] = "not-the-token"
    refused(alice.post("/switchboard/ccp/login"), 403, CSRF_HEADER)
    after = ccp(alice)
    assert {**after, "ServerTime": 0} == {**before, "ServerTime": 0}


def test_an_agent_cannot_act_on_another_agents_contact(live: LiveServer, center: Seeded) -> None:
    alice = on_duty(live, center, "alice")
    bob = on_duty(live, center, "bob", "Break")
    contact = call_in(live, center)
    assert card(ccp(alice), contact)["State"] == "CONNECTING"
    for action in ("accept", "reject", "end", "clear"):
        refused(
            bob.post(f"/switchboard/ccp/contacts/{contact}/{action}"),
            404,
            f"ContactId {contact!r} is not on your CCP (bob)",
        )
    refused(
        bob.post(
            f"/switchboard/ccp/contacts/{contact}/transfer",
            json={"QueueId": center.queues["Sales"]},
        ),
        404,
        "not on your CCP",
    )
    assert card(ccp(alice), contact)["State"] == "CONNECTING"
    assert ccp(bob)["Contacts"] == []


def test_the_engine_refuses_moves_the_contact_state_does_not_allow(
    live: LiveServer, center: Seeded
) -> None:
    alice = on_duty(live, center, "alice")
    contact = call_in(live, center)
    body = refused(alice.post(f"/switchboard/ccp/contacts/{contact}/hold"), 409, "CONNECTING")
    assert "hold" in body["message"]
    refused(alice.post("/switchboard/ccp/dial", json={"PhoneNumber": "+14155550100"}), 409, "slot")
    assert card(ccp(alice), contact)["State"] == "CONNECTING"
    refused(alice.post("/switchboard/ccp/logout"), 409, "end the contact first")


def test_the_phone_line_refuses_unsigned_requests_and_keys_that_are_not_an_admins(
    live: LiveServer, center: Seeded
) -> None:
    path = f"/switchboard/instances/{center.instance_id}/contacts/inbound"
    body = {"Channel": "VOICE", "QueueId": center.queues["Sales"]}
    refused(httpx.post(live.url + path, json=body), 401, "Missing Authentication Token")
    refused(line(live, path, body, key=(live.key_id, "wrong-secret")), 401, "signature")
    agent_key = live.server.accounts.create_key(
        username="alice", instance_id=center.instance_id, user_id=center.users["alice"]
    )
    refused(
        line(live, path, body, key=(agent_key.access_key_id, agent_key.secret_access_key)),
        403,
        "'alice'",
        "Admin",
    )
    instance = live.server.registry.get(center.instance_id)
    assert instance is not None
    assert live.on_loop(lambda: len(instance.engine.state.contact_ids)) == 0


def test_malformed_requests_are_refused_with_a_message(live: LiveServer, center: Seeded) -> None:
    alice = on_duty(live, center, "alice")
    broken = alice.put(
        "/switchboard/ccp/status",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    refused(broken, 422, "JSON")
    refused(alice.put("/switchboard/ccp/status", json={}), 422, "AgentStatusId")
    refused(alice.put("/switchboard/ccp/status", json={"AgentStatusId": "nope"}), 404, "'nope'")
    refused(alice.post("/switchboard/ccp/dial", json={"PhoneNumber": "555-0100"}), 400, "E.164")
    path = f"/switchboard/instances/{center.instance_id}/contacts/inbound"
    refused(line(live, path, b"{not json"), 400, "Invalid JSON")
    refused(line(live, path, {"Channel": "FAX", "QueueId": "q"}), 400, "Channel")
    refused(line(live, path, {"QueueId": "no-such-queue"}), 404, "'no-such-queue'")
    refused(
        line(live, f"/switchboard/instances/{center.instance_id}/contacts/nope/customer-hangup"),
        404,
        "'nope'",
    )
    assert ccp(alice)["Contacts"] == []


def test_openapi_documents_the_ccp_and_the_phone_line(live: LiveServer) -> None:
    spec = ok(httpx.get(f"{live.url}/openapi.json"))
    paths = spec["paths"]
    for path in [
        "/switchboard/login",
        "/switchboard/ccp",
        "/switchboard/ccp/status",
        "/switchboard/ccp/contacts/{ContactId}/transfer",
        "/switchboard/instances/{InstanceId}/contacts/inbound",
        "/switchboard/instances/{InstanceId}/contacts/{ContactId}/customer-hangup",
    ]:
        assert path in paths, path
    inbound = paths["/switchboard/instances/{InstanceId}/contacts/inbound"]["post"]
    schema = inbound["requestBody"]["content"]["application/json"]["schema"]
    assert {"Channel", "QueueId"} <= set(schema["properties"])
    assert "LoginRequest" in spec["components"]["schemas"]
    assert httpx.get(f"{live.url}/docs").status_code == 200
