"""Who may do what on a live server (DESIGN §9), as SDK users and browsers meet it.

boto3 against `tests/server_harness.py`'s `LiveServer` (the real app over SQLite): unsigned,
wrongly signed and unknown-key requests are refused with Connect's error types; an access key
acts as its user with their security profiles (agent, supervisor, instance admin, server
admin) and within their own instance only; every Connect route has a line in the authorization
table; users' access keys are issued, listed and revoked through `api/access_keys.py`; and
passwords and secrets are never stored or logged in clear.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3
import botocore
import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from fastapi.routing import APIRoute, iter_route_contexts

from switchboard.api.authz import CONNECT_PERMISSIONS
from switchboard.api.connect import create_app
from switchboard.api.registry import InstanceRegistry
from switchboard.api.session import CSRF_HEADER
from switchboard.api.sigv4 import SigV4Verifier
from switchboard.engine.clock import SystemClock
from tests.server_harness import PASSWORD, REGION, LiveServer, Seeded

KEYS = "/switchboard/instances/{}/users/{}/access-keys"


# --------------------------------------------------------------------------- helpers


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def signed(
    live: LiveServer,
    method: str,
    path: str,
    *,
    key: tuple[str, str] | None = None,
    body: bytes = b"",
) -> httpx.Response:
    """A request to the live server signed with SigV4 by botocore's signer (the admin key by
    default), sent with httpx: the access-key routes are Switchboard's own, not boto3's."""
    key_id, secret = key or (live.key_id, live.secret)
    request = AWSRequest(method=method, url=live.url + path, data=body)
    if body:
        request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials(key_id, secret), "connect", REGION).add_auth(request)
    return httpx.request(method, live.url + path, headers=dict(request.headers), content=body)


def new_key(live: LiveServer, instance_id: str, user_id: str) -> tuple[str, str]:
    answer = signed(live, "POST", KEYS.format(instance_id, user_id))
    assert answer.status_code == 201, answer.text
    made = answer.json()
    return made["AccessKeyId"], made["SecretAccessKey"]


def admin_user(live: LiveServer, seeded: Seeded, username: str) -> str:
    """An instance user with the Admin security profile (and a password)."""
    user_id: str = (
        live.connect()
        .create_user(
            InstanceId=seeded.instance_id,
            Username=username,
            Password=PASSWORD,
            IdentityInfo={"FirstName": "Ada", "LastName": "Admin"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[seeded.security_profiles["Admin"]],
            RoutingProfileId=seeded.profiles["Sales"],
        )
        .get("UserId")
    )
    return user_id


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(tmp_path_factory.mktemp("authz"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def center(live: LiveServer) -> Seeded:
    seeded = live.seed_instance("authz-main", agents=("alice", "bob"), supervisors=("sam",))
    seeded.users["ada"] = admin_user(live, seeded, "ada")
    return seeded


@pytest.fixture(scope="module")
def other(live: LiveServer) -> Seeded:
    """A second instance: nobody of the first may touch it."""
    return live.seed_instance("authz-other", agents=("olga",), supervisors=("oscar",))


@pytest.fixture(scope="module")
def keys(live: LiveServer, center: Seeded) -> dict[str, tuple[str, str]]:
    """An access key for each user of the main instance, issued through the access-keys API."""
    return {name: new_key(live, center.instance_id, uid) for name, uid in center.users.items()}


def client_of(live: LiveServer, key: tuple[str, str]) -> Any:
    return live.connect(*key)


# --------------------------------------------------------------------------- authentication


def test_an_unsigned_request_is_refused_with_missing_authentication_token(
    live: LiveServer, center: Seeded
) -> None:
    unsigned = boto3.client(
        "connect",
        endpoint_url=live.url,
        region_name=REGION,
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as refused:
        unsigned.list_queues(InstanceId=center.instance_id)
    assert code_of(refused) == "MissingAuthenticationTokenException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_wrongly_signed_request_is_refused_with_invalid_signature(
    live: LiveServer, center: Seeded
) -> None:
    wrong = live.connect(live.key_id, "not-the-secret-" + "x" * 25)
    with pytest.raises(ClientError) as refused:
        wrong.list_queues(InstanceId=center.instance_id)
    assert code_of(refused) == "InvalidSignatureException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_access_key_is_refused_as_unrecognized(live: LiveServer, center: Seeded) -> None:
    stranger = live.connect("SBAKUNKNOWNUNKNOWN00", "s" * 40)
    with pytest.raises(ClientError) as refused:
        stranger.list_queues(InstanceId=center.instance_id)
    assert code_of(refused) == "UnrecognizedClientException"


# --------------------------------------------------------------------------- roles


def test_an_agent_sets_their_own_status_but_nobody_elses(
    live: LiveServer, center: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    alice = client_of(live, keys["alice"])
    instance, users, statuses = center.instance_id, center.users, center.statuses
    alice.put_user_status(
        InstanceId=instance, UserId=users["alice"], AgentStatusId=statuses["Break"]
    )
    described = alice.describe_user(InstanceId=instance, UserId=users["alice"])
    assert described["User"]["Username"] == "alice"
    with pytest.raises(ClientError) as refused:
        alice.put_user_status(
            InstanceId=instance, UserId=users["bob"], AgentStatusId=statuses["Break"]
        )
    assert code_of(refused) == "AccessDeniedException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    bob = live.connect().describe_user(InstanceId=instance, UserId=users["bob"])["User"]
    assert bob["Username"] == "bob"
    engine = live.server.registry.get(instance).engine  # type: ignore[union-attr]
    assert engine.state.agents[users["bob"]].status_id != statuses["Break"]  # type: ignore[index]


def test_an_agent_cannot_configure_or_look_at_other_users(
    live: LiveServer, center: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    alice = client_of(live, keys["alice"])
    hours = live.connect().list_hours_of_operations(InstanceId=center.instance_id)
    with pytest.raises(ClientError) as queue:
        alice.create_queue(
            InstanceId=center.instance_id,
            Name="Alice's own queue",
            HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
        )
    assert code_of(queue) == "AccessDeniedException"
    with pytest.raises(ClientError) as describe:
        alice.describe_user(InstanceId=center.instance_id, UserId=center.users["bob"])
    assert code_of(describe) == "AccessDeniedException"
    with pytest.raises(ClientError) as listing:
        alice.list_users(InstanceId=center.instance_id)
    assert code_of(listing) == "AccessDeniedException"
    with pytest.raises(ClientError) as instance:
        alice.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias="alices-instance",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )
    assert code_of(instance) == "AccessDeniedException"
    queues = live.connect().list_queues(InstanceId=center.instance_id)["QueueSummaryList"]
    assert "Alice's own queue" not in {q.get("Name") for q in queues}


def test_a_supervisor_changes_agents_statuses_but_not_the_configuration(
    live: LiveServer, center: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    sam = client_of(live, keys["sam"])
    for agent in ("alice", "bob"):
        sam.put_user_status(
            InstanceId=center.instance_id,
            UserId=center.users[agent],
            AgentStatusId=center.statuses["Training"],
        )
    engine = live.server.registry.get(center.instance_id).engine  # type: ignore[union-attr]
    for agent in ("alice", "bob"):
        status = engine.state.agents[center.users[agent]].status_id  # type: ignore[index]
        assert status == center.statuses["Training"]
    assert sam.list_users(InstanceId=center.instance_id)["UserSummaryList"]
    hours = sam.list_hours_of_operations(InstanceId=center.instance_id)
    with pytest.raises(ClientError) as refused:
        sam.create_queue(
            InstanceId=center.instance_id,
            Name="Sam's queue",
            HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
        )
    assert code_of(refused) == "AccessDeniedException"


def test_an_instance_admin_configures_their_instance_but_makes_no_instances(
    live: LiveServer, center: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    ada = client_of(live, keys["ada"])
    hours = ada.list_hours_of_operations(InstanceId=center.instance_id)
    made = ada.create_queue(
        InstanceId=center.instance_id,
        Name="Ada's queue",
        HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
    )
    assert made["QueueId"]
    with pytest.raises(ClientError) as refused:
        ada.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias="adas-instance",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )
    assert code_of(refused) == "AccessDeniedException"


def test_the_server_admin_creates_instances(live: LiveServer) -> None:
    alias = f"authz-{uuid.uuid4().hex[:8]}"
    made = live.connect().create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
    )
    described = live.connect().describe_instance(InstanceId=made["Id"])
    assert described["Instance"]["InstanceAlias"] == alias


def test_an_instance_user_cannot_touch_another_instance(
    live: LiveServer, center: Seeded, other: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    for name in ("ada", "sam", "alice"):
        client = client_of(live, keys[name])
        with pytest.raises(ClientError) as listing:
            client.list_queues(InstanceId=other.instance_id)
        assert code_of(listing) == "AccessDeniedException", name
        with pytest.raises(ClientError) as status:
            client.put_user_status(
                InstanceId=other.instance_id,
                UserId=other.users["olga"],
                AgentStatusId=other.statuses["Break"],
            )
        assert code_of(status) == "AccessDeniedException", name
        # The instance named in the body (GetMetricDataV2's ResourceArn) counts as well.
        arn = live.connect().describe_instance(InstanceId=other.instance_id)["Instance"]["Arn"]
        with pytest.raises(ClientError) as metrics:
            client.get_metric_data_v2(
                ResourceArn=arn,
                StartTime=time.time() - 3600,
                EndTime=time.time(),
                Filters=[{"FilterKey": "QUEUE", "FilterValues": list(other.queues.values())}],
                Metrics=[{"Name": "CONTACTS_HANDLED"}],
            )
        assert code_of(metrics) == "AccessDeniedException", name
    ada = client_of(live, keys["ada"])
    hours = live.connect().list_hours_of_operations(InstanceId=other.instance_id)
    with pytest.raises(ClientError) as queue:
        ada.create_queue(
            InstanceId=other.instance_id,
            Name="Intruder",
            HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
        )
    assert code_of(queue) == "AccessDeniedException"


def test_only_the_server_admin_lists_instances(
    live: LiveServer, center: Seeded, other: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    # ListInstances names every instance of the server: an instance's own users, even its
    # admins, would learn of the others' (they describe their own with DescribeInstance).
    for name in ("ada", "sam", "alice"):
        with pytest.raises(ClientError) as refused:
            client_of(live, keys[name]).list_instances()
        assert code_of(refused) == "AccessDeniedException", name
    own = client_of(live, keys["sam"]).describe_instance(InstanceId=center.instance_id)
    assert own["Instance"]["Id"] == center.instance_id
    listed = live.connect().list_instances()["InstanceSummaryList"]
    assert {center.instance_id, other.instance_id} <= {i["Id"] for i in listed}


def test_an_instance_named_in_the_body_in_any_form_is_checked(
    live: LiveServer, center: Seeded, other: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    arn = live.connect().describe_instance(InstanceId=other.instance_id)["Instance"]["Arn"]
    window = {"StartTime": time.time() - 3600, "EndTime": time.time()}
    query = {
        **window,
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": list(other.queues.values())}],
        "Metrics": [{"Name": "CONTACTS_HANDLED"}],
    }
    sam = keys["sam"]
    for body in (
        {"ResourceArn": other.instance_id, **query},  # a bare id is a ResourceArn too
        {"InstanceId": center.instance_id, "ResourceArn": arn, **query},  # own id, foreign ARN
    ):
        answer = signed(live, "POST", "/metrics/data", key=sam, body=orjson.dumps(body))
        assert answer.status_code == 403, (body, answer.text)
        assert answer.headers["x-amzn-errortype"].startswith("AccessDeniedException")


def test_every_connect_route_has_a_line_in_the_authorization_table() -> None:
    verifier = SigV4Verifier(region=REGION, lookup=lambda _: None)
    app = create_app(InstanceRegistry(region=REGION), verifier, SystemClock())
    # FastAPI keeps included routers as branches: walk them to every operation's full path.
    routes = {
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.original_route.methods
    }
    assert routes, "the Connect API has no routes"
    missing = sorted(routes - CONNECT_PERMISSIONS.keys())
    assert not missing, f"Connect routes without a line in authz.CONNECT_PERMISSIONS: {missing}"
    stale = sorted(CONNECT_PERMISSIONS.keys() - routes)
    assert not stale, f"lines of authz.CONNECT_PERMISSIONS for no Connect route: {stale}"


# --------------------------------------------------------------------------- access keys API


def test_the_server_admin_issues_lists_and_revokes_a_users_keys(
    live: LiveServer, center: Seeded
) -> None:
    path = KEYS.format(center.instance_id, center.users["bob"])
    first = new_key(live, center.instance_id, center.users["bob"])
    second = new_key(live, center.instance_id, center.users["bob"])
    listed = signed(live, "GET", path)
    assert listed.status_code == 200
    rows = listed.json()
    ids = [row["AccessKeyId"] for row in rows]
    assert {first[0], second[0]} <= set(ids)
    assert all(set(row) == {"AccessKeyId", "CreatedAt"} for row in rows), "no secret is listed"
    assert first[1] not in listed.text
    bob = client_of(live, first)
    assert bob.describe_user(InstanceId=center.instance_id, UserId=center.users["bob"])
    gone = signed(live, "DELETE", f"{path}/{first[0]}")
    assert gone.status_code == 204
    with pytest.raises(ClientError) as revoked:
        bob.describe_user(InstanceId=center.instance_id, UserId=center.users["bob"])
    assert code_of(revoked) == "UnrecognizedClientException"
    assert client_of(live, second).describe_user(
        InstanceId=center.instance_id, UserId=center.users["bob"]
    )
    again = signed(live, "DELETE", f"{path}/{first[0]}")
    assert again.status_code == 404
    assert again.json()["code"] == "ResourceNotFound"


def test_a_signed_in_admin_manages_keys_of_their_own_instance_only(
    live: LiveServer, center: Seeded, other: Seeded
) -> None:
    with closing(live.browser(center.instance_id, "ada")) as browser:
        path = KEYS.format(center.instance_id, center.users["alice"])
        made = browser.post(path)
        assert made.status_code == 201, made.text
        key = (made.json()["AccessKeyId"], made.json()["SecretAccessKey"])
        assert key[0] in {row["AccessKeyId"] for row in browser.get(path).json()}
        alice = client_of(live, key)
        alice.put_user_status(
            InstanceId=center.instance_id,
            UserId=center.users["alice"],
            AgentStatusId=center.statuses["Break"],
        )
        foreign = browser.get(KEYS.format(other.instance_id, other.users["olga"]))
        assert foreign.status_code == 403
        assert foreign.json()["code"] == "AccessDenied"
        no_csrf = browser.post(path, headers={CSRF_HEADER: "forged"})
        assert no_csrf.status_code == 403
        assert no_csrf.json()["code"] == "BadCsrfToken"
        assert browser.delete(f"{path}/{key[0]}").status_code == 204
    missing = signed(live, "POST", KEYS.format(center.instance_id, "no-such-user"))
    assert missing.status_code == 404
    assert missing.json()["code"] == "ResourceNotFound"


def test_only_admins_and_the_server_admin_key_manage_keys(
    live: LiveServer, center: Seeded, keys: dict[str, tuple[str, str]]
) -> None:
    path = KEYS.format(center.instance_id, center.users["alice"])
    with closing(live.browser(center.instance_id, "sam")) as supervisor:
        answer = supervisor.post(path)
        assert answer.status_code == 403
        assert answer.json()["code"] == "AccessDenied"
    with closing(live.browser(center.instance_id, "alice")) as agent:
        assert agent.get(path).status_code == 403
    for name in ("ada", "alice"):  # an instance user's key is not the server admin's
        answer = signed(live, "POST", path, key=keys[name])
        assert answer.status_code == 403, name
        assert answer.json()["code"] == "AccessDenied"
    anonymous = httpx.post(live.url + path)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "NotSignedIn"
    forged = signed(live, "POST", path, key=(live.key_id, "w" * 40))
    assert forged.status_code == 401
    assert forged.json()["code"] == "InvalidSignatureException"
    unknown = signed(live, "GET", path, key=("SBAKUNKNOWNUNKNOWN00", "s" * 40))
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "UnrecognizedClientException"


# --------------------------------------------------------------------------- secrets at rest


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(repr(record.__dict__))  # extras and arguments too


def _stored_bytes(folder: Path) -> dict[Path, bytes]:
    """Every file the server keeps: the catalog and each instance's store, with their WALs."""
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_passwords_and_secrets_are_never_stored_or_logged_in_clear(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    password = f"Pw-{uuid.uuid4().hex}"
    lines = _Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    caplog.set_level(logging.DEBUG)
    # The client's own DEBUG logs print its request bodies; this test is about the server's.
    quiet = {name: logging.getLogger(name) for name in ("botocore", "boto3", "urllib3")}
    levels = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():
        logger.setLevel(logging.INFO)
    live = LiveServer.start(tmp_path)
    try:
        seeded = live.seed_instance("secrets", agents=("alice",), supervisors=())
        client = live.connect()
        user_id = client.create_user(
            InstanceId=seeded.instance_id,
            Username="Pat",
            Password=password,
            IdentityInfo={"FirstName": "Pat", "LastName": "Secret"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[seeded.security_profiles["Agent"]],
            RoutingProfileId=seeded.profiles["Sales"],
        )["UserId"]
        key_id, secret = new_key(live, seeded.instance_id, user_id)
        pat = live.connect(key_id, secret)
        pat.put_user_status(
            InstanceId=seeded.instance_id, UserId=user_id, AgentStatusId=seeded.statuses["Break"]
        )
        with closing(live.browser(seeded.instance_id, "Pat", password)) as browser:
            assert browser.get("/switchboard/me").status_code == 200
        wrong = httpx.post(
            live.url + "/switchboard/login",
            json={"InstanceId": seeded.instance_id, "Username": "Pat", "Password": password[:-1]},
        )
        assert wrong.status_code == 401
        stored = live.server.accounts.catalog.get("password", f"{seeded.instance_id}/pat")
        assert stored is not None
        assert stored["hash"].startswith("$argon2id$")
        assert live.server.accounts.hasher.verify(stored["hash"], password)
        assert live.server.accounts.check_password(seeded.instance_id, "pat", password) == user_id
    finally:
        live.stop()
        root.removeHandler(lines)
        for name, logger in quiet.items():
            logger.setLevel(levels[name])
    logged = [*lines.lines, *(r.getMessage() for r in caplog.records)]
    for line in logged:
        assert password not in line
        assert secret not in line
    files = _stored_bytes(tmp_path)
    assert any(p.suffix == ".db" and ".instances" in str(p) for p in files), files.keys()
    for path, content in files.items():
        assert password.encode() not in content, f"the password is in clear in {path}"
        assert secret.encode() not in content, f"a secret access key is in clear in {path}"
