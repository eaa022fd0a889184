"""The supervisor API on a live server: the agent table, real-time metrics, actions and audit.

`tests/server_harness.py`'s `LiveServer` (the real app over SQLite, uvicorn on a free port);
configuration and agents' statuses through boto3, customers' calls on the phone line, the
agents' own moves through their CCP, and the supervisor "sam" through Switchboard's JSON API,
each signed in through `POST /switchboard/login`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.api.session import CSRF_HEADER
from switchboard.domain.model import AgentId
from tests.server_harness import REGION, LiveServer, Seeded

BASE = "/switchboard/instances/{}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(Path(tmp_path_factory.mktemp("supervisor")))
    yield server
    server.stop()


@pytest.fixture
def center(live: LiveServer) -> Seeded:
    """A fresh instance: statuses Break and Training, queue and profile Sales, agents alice and
    bob (Offline), supervisor sam."""
    return live.seed_instance(f"sup-{uuid.uuid4().hex[:8]}")


def set_status(live: LiveServer, center: Seeded, username: str, status: str) -> None:
    live.connect().put_user_status(
        InstanceId=center.instance_id,
        UserId=center.users[username],
        AgentStatusId=center.statuses[status],
    )


def call(live: LiveServer, center: Seeded) -> str:
    """A customer's voice call into Sales on the phone line (signed by the admin's key)."""
    url = f"{live.url}/switchboard/instances/{center.instance_id}/contacts/inbound"
    body = orjson.dumps({"Channel": "VOICE", "QueueId": center.queues["Sales"]})
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(live.key_id, live.secret), "connect", REGION).add_auth(request)
    answer = httpx.post(url, headers=dict(request.headers.items()), content=body)
    assert answer.status_code == 200, answer.text
    contact_id: str = answer.json()["ContactId"]
    return contact_id


def ccp(live: LiveServer, center: Seeded, username: str) -> httpx.Client:
    """The agent's own CCP, signed in and logged in."""
    agent = live.browser(center.instance_id, username)
    assert agent.post("/switchboard/ccp/login").status_code == 200
    return agent


def act(agent: httpx.Client, contact: str, action: str) -> None:
    """The agent clicks `action` (accept, reject, ...) on one of their contacts."""
    answer = agent.post(f"/switchboard/ccp/contacts/{contact}/{action}")
    assert answer.status_code == 200, answer.text


def row_of(rows: list[dict[str, Any]], center: Seeded, username: str) -> dict[str, Any]:
    return next(r for r in rows if r["UserId"] == center.users[username])


def voice_line(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in rows if r["QueueName"] == "Sales" and r["Channel"] == "VOICE")


# --------------------------------------------------------------------------- reading


def test_table_and_metrics_show_an_available_agent_and_a_queued_call(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    set_status(live, center, "alice", "Available")

    rows = sam.get(f"{base}/agents").json()
    alice = row_of(rows, center, "alice")
    assert alice["Username"] == "alice"
    assert alice["RoutingProfile"] == {"Id": center.profiles["Sales"], "Name": "Sales"}
    assert alice["Status"]["Name"] == "Available"
    assert alice["Status"]["Type"] == "ROUTABLE"
    assert alice["Activity"]["Name"] == "Available"
    assert alice["Contacts"] == []
    assert alice["Slots"] == [
        {"Channel": "VOICE", "Total": 1, "Busy": 0},
        {"Channel": "CHAT", "Total": 2, "Busy": 0},
        {"Channel": "TASK", "Total": 1, "Busy": 0},
    ]
    assert alice["NextStatus"] is None
    assert row_of(rows, center, "bob")["Activity"]["Name"] == "Offline"
    line = voice_line(sam.get(f"{base}/metrics/realtime").json())
    assert (line["AgentsOnline"], line["AgentsAvailable"], line["AgentsStaffed"]) == (1, 1, 1)
    assert (line["ContactsInQueue"], line["OldestContactAgeSeconds"]) == (0, None)

    # alice on a break: the call waits in the queue
    set_status(live, center, "alice", "Break")
    contact = call(live, center)
    line = voice_line(sam.get(f"{base}/metrics/realtime", params={"Channel": "VOICE"}).json())
    assert line["ContactsInQueue"] == 1
    assert line["OldestContactAgeSeconds"] is not None
    assert line["OldestContactAgeSeconds"] >= 0
    assert (line["AgentsAvailable"], line["AgentsStaffed"], line["AgentsNonProductive"]) == (
        0,
        0,
        1,
    )
    assert row_of(sam.get(f"{base}/agents").json(), center, "alice")["Activity"]["Name"] == "Break"

    # back to Available: the call is offered to her, then she answers at once
    set_status(live, center, "alice", "Available")
    alice = row_of(sam.get(f"{base}/agents").json(), center, "alice")
    assert alice["Activity"]["Name"] == "Incoming"
    assert [(c["ContactId"], c["State"], c["QueueName"]) for c in alice["Contacts"]] == [
        (contact, "CONNECTING", "Sales")
    ]
    assert alice["Slots"][0] == {"Channel": "VOICE", "Total": 1, "Busy": 1}
    act(ccp(live, center, "alice"), contact, "accept")
    line = voice_line(sam.get(f"{base}/metrics/realtime").json())
    assert (line["ContactsInQueue"], line["AgentsOnContact"], line["AgentsAvailable"]) == (0, 1, 0)
    assert line["ServiceLevel"]["ThresholdSeconds"] == 20
    assert line["ServiceLevel"]["AnsweredWithin"] == 1
    assert line["ServiceLevel"]["Percent"] == 100.0
    alice = row_of(sam.get(f"{base}/agents").json(), center, "alice")
    assert alice["Activity"]["Name"] == "On contact"
    assert alice["Contacts"][0]["State"] == "CONNECTED"


def test_filters_pick_agents_and_lines_and_name_what_is_unknown(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    by_queue = sam.get(f"{base}/agents", params={"QueueId": center.queues["Sales"]}).json()
    assert {r["Username"] for r in by_queue} == {"alice", "bob", "sam"}
    by_profile = sam.get(
        f"{base}/agents", params={"RoutingProfileId": center.profiles["Sales"]}
    ).json()
    assert len(by_profile) == 3
    chat = sam.get(f"{base}/metrics/realtime", params={"Channel": "chat"}).json()
    assert [(r["QueueName"], r["Channel"]) for r in chat] == [("Sales", "CHAT")]

    unknown = sam.get(f"{base}/agents", params={"QueueId": "no-such-queue"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "QueueNotFound"
    assert "no-such-queue" in unknown.json()["message"]
    fax = sam.get(f"{base}/metrics/realtime", params={"Channel": "FAX"})
    assert fax.status_code == 400
    assert "FAX" in fax.json()["message"]


# --------------------------------------------------------------------------- actions


def test_a_status_change_by_a_supervisor_is_audited_with_actor_and_reason(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    alice_id = center.users["alice"]

    changed = sam.put(
        f"{base}/agents/{alice_id}/status",
        json={"AgentStatusId": center.statuses["Training"], "Reason": "Product training at 10"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["Status"]["Name"] == "Training"
    engine = live.server.registry.get(center.instance_id)
    assert engine is not None
    state = engine.engine.state
    status = live.on_loop(lambda: state.statuses[state.agents[AgentId(alice_id)].status_id].name)
    assert status == "Training"

    trail = sam.get(f"{base}/audit", params={"Limit": 5}).json()
    assert trail[0]["Actor"] == "sam"
    assert trail[0]["Action"] == "SET_STATUS"
    assert trail[0]["UserId"] == alice_id
    assert trail[0]["Reason"] == "Product training at 10"
    assert trail[0]["Detail"]["AgentStatusName"] == "Training"
    assert trail[0]["Detail"]["Username"] == "alice"


def test_an_action_needs_a_reason_a_csrf_token_and_known_ids(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    alice_id = center.users["alice"]
    status = {"AgentStatusId": center.statuses["Break"]}

    blank = sam.put(f"{base}/agents/{alice_id}/status", json={**status, "Reason": "   "})
    assert blank.status_code == 422
    assert "Reason" in blank.json()["message"]
    missing = sam.put(f"{base}/agents/{alice_id}/status", json=status)
    assert missing.status_code == 422
    no_csrf = sam.put(
        f"{base}/agents/{alice_id}/status",
        json={**status, "Reason": "x"},
        headers={CSRF_HEADER: "forged"},
    )
    assert no_csrf.status_code == 403
    assert no_csrf.json()["code"] == "BadCsrfToken"
    nobody = sam.put(f"{base}/agents/nobody/status", json={**status, "Reason": "x"})
    assert nobody.status_code == 404
    assert "nobody" in nobody.json()["message"]
    no_status = sam.put(
        f"{base}/agents/{alice_id}/status", json={"AgentStatusId": "lunch", "Reason": "x"}
    )
    assert no_status.status_code == 404
    assert sam.get(f"{base}/audit").json() == []


def test_a_supervisor_clears_a_missed_contact_but_not_a_connected_one(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    alice = center.users["alice"]
    desk = ccp(live, center, "alice")
    set_status(live, center, "alice", "Available")
    missed = call(live, center)
    act(desk, missed, "reject")
    row = row_of(sam.get(f"{base}/agents").json(), center, "alice")
    assert [(c["ContactId"], c["State"]) for c in row["Contacts"]] == [(missed, "MISSED")]
    assert row["Activity"]["Name"] == "Missed"

    cleared = sam.post(
        f"{base}/agents/{alice}/contacts/{missed}/clear", json={"Reason": "stuck after a reject"}
    )
    assert cleared.status_code == 200, cleared.text
    # cleared, alice is routable again and the requeued call is offered to her once more
    assert [(c["ContactId"], c["State"]) for c in cleared.json()["Contacts"]] == [
        (missed, "CONNECTING")
    ]
    entry = sam.get(f"{base}/audit").json()[0]
    assert (entry["Action"], entry["Actor"], entry["Reason"]) == (
        "CLEAR_CONTACT",
        "sam",
        "stuck after a reject",
    )
    assert entry["Detail"]["State"] == "MISSED"

    # once connected it is no stuck slot
    act(desk, missed, "accept")
    refused = sam.post(f"{base}/agents/{alice}/contacts/{missed}/clear", json={"Reason": "try"})
    assert refused.status_code == 409
    assert "CONNECTED" in refused.json()["message"]
    unknown = sam.post(f"{base}/agents/{alice}/contacts/nope/clear", json={"Reason": "try"})
    assert unknown.status_code == 404


def test_a_forced_logout_ends_the_call_and_sets_offline(live: LiveServer, center: Seeded) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    alice = center.users["alice"]
    desk = ccp(live, center, "alice")
    set_status(live, center, "alice", "Available")
    contact = call(live, center)
    act(desk, contact, "accept")

    out = sam.post(f"{base}/agents/{alice}/logout", json={"Reason": "left for the day"})
    assert out.status_code == 200, out.text
    row = out.json()
    assert (row["LoggedIn"], row["Status"]["Name"], row["Contacts"]) == (False, "Offline", [])
    entry = sam.get(f"{base}/audit").json()[0]
    assert (entry["Action"], entry["Reason"], entry["Detail"]["ClearedContacts"]) == (
        "LOGOUT",
        "left for the day",
        [contact],
    )
    again = sam.post(f"{base}/agents/{alice}/logout", json={"Reason": "again"})
    assert again.status_code == 409
    assert "logged out" in again.json()["message"]


def test_bulk_logout_of_two_agents_reports_each_and_audits_each(
    live: LiveServer, center: Seeded
) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    for name in ("alice", "bob"):
        ccp(live, center, name)
        set_status(live, center, name, "Available")

    done = sam.post(
        f"{base}/agents/bulk",
        json={
            "UserIds": [center.users["alice"], "ghost", center.users["bob"]],
            "Action": "LOGOUT",
            "Reason": "end of shift",
        },
    )
    assert done.status_code == 200, done.text
    results = done.json()
    assert [(r["UserId"], r["Ok"]) for r in results] == [
        (center.users["alice"], True),
        ("ghost", False),
        (center.users["bob"], True),
    ]
    assert "ghost" in results[1]["Message"]
    for name in ("alice", "bob"):
        row = row_of(sam.get(f"{base}/agents").json(), center, name)
        assert (row["LoggedIn"], row["Status"]["Name"]) == (False, "Offline")
    trail = sam.get(f"{base}/audit").json()
    assert [(e["Action"], e["UserId"], e["Reason"]) for e in trail] == [
        ("LOGOUT", center.users["bob"], "end of shift"),
        ("LOGOUT", center.users["alice"], "end of shift"),
    ]


def test_bulk_set_status_needs_a_status(live: LiveServer, center: Seeded) -> None:
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(center.instance_id)
    users = [center.users["alice"], center.users["bob"]]
    refused = sam.post(
        f"{base}/agents/bulk", json={"UserIds": users, "Action": "SET_STATUS", "Reason": "x"}
    )
    assert refused.status_code == 422
    assert "AgentStatusId" in refused.json()["message"]
    done = sam.post(
        f"{base}/agents/bulk",
        json={
            "UserIds": users,
            "Action": "SET_STATUS",
            "AgentStatusId": center.statuses["Available"],
            "Reason": "queue is long",
        },
    )
    assert [r["Ok"] for r in done.json()] == [True, True]
    rows = sam.get(f"{base}/agents").json()
    assert {row_of(rows, center, n)["Status"]["Name"] for n in ("alice", "bob")} == {"Available"}


# --------------------------------------------------------------------------- who may


def test_an_agent_is_refused_every_supervisor_route(live: LiveServer, center: Seeded) -> None:
    alice = live.browser(center.instance_id, "alice")
    base = BASE.format(center.instance_id)
    bob_id = center.users["bob"]
    reason = {"Reason": "x"}
    answers = [
        alice.get(f"{base}/agents"),
        alice.get(f"{base}/metrics/realtime"),
        alice.get(f"{base}/audit"),
        alice.put(
            f"{base}/agents/{bob_id}/status",
            json={"AgentStatusId": center.statuses["Break"], **reason},
        ),
        alice.post(f"{base}/agents/{bob_id}/contacts/c1/clear", json=reason),
        alice.post(f"{base}/agents/{bob_id}/logout", json=reason),
        alice.post(f"{base}/agents/bulk", json={"UserIds": [bob_id], "Action": "LOGOUT", **reason}),
    ]
    for answer in answers:
        assert answer.status_code == 403, (answer.request.url, answer.text)
        assert answer.json()["code"] == "AccessDenied"
        assert "CallCenterManager" in answer.json()["message"]
    anonymous = httpx.get(f"{live.url}{base}/agents")
    assert anonymous.status_code == 401


def test_a_supervisor_cannot_touch_another_instance(live: LiveServer, center: Seeded) -> None:
    other = live.seed_instance(f"other-{uuid.uuid4().hex[:8]}")
    sam = live.browser(center.instance_id, "sam")
    base = BASE.format(other.instance_id)
    reads = [sam.get(f"{base}/agents"), sam.get(f"{base}/metrics/realtime")]
    change = sam.put(
        f"{base}/agents/{other.users['alice']}/status",
        json={"AgentStatusId": other.statuses["Break"], "Reason": "x"},
    )
    for answer in [*reads, change]:
        assert answer.status_code == 403
        assert center.instance_id in answer.json()["message"]
    alice = row_of(
        live.browser(other.instance_id, "sam").get(f"{base}/agents").json(), other, "alice"
    )
    assert alice["Status"]["Name"] == "Offline"


def test_the_openapi_document_describes_the_request_bodies(live: LiveServer) -> None:
    schemas = httpx.get(f"{live.url}/openapi.json").json()["components"]["schemas"]
    assert {"StatusChange", "Reasoned", "BulkAction"} <= schemas.keys()
    assert "Reason" in schemas["BulkAction"]["required"]
