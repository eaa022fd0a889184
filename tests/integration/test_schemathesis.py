"""Switchboard's own API never answers a server error, whatever it is sent (schemathesis).

The schema is the live server's `/openapi.json` (Switchboard's own routes; the Connect API is
mounted beside it and has its contract in botocore). Every operation is called with cases that
schemathesis generates from it, valid and invalid, as a signed-in instance admin (the session
cookie and CSRF header of POST /switchboard/login): with random path parameters, and with the
real instance (and a real user where the path names one) so the handlers get past the lookups.
Only `not_a_server_error` is checked: a refusal is fine, a 5xx is a bug. Streaming endpoints
(Server-Sent Events) never end, so they are left out; signing out ends the session the others
run in, so it runs last. Examples per operation are bounded so the file runs in well under a
minute; every 5xx found is listed with the request that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup

from switchboard.api.session import COOKIE, CSRF_HEADER
from tests.server_harness import PASSWORD, LiveServer, Seeded

EXAMPLES = 5
"""Generated cases per operation and way of choosing its path parameters."""
STREAMING = "text/event-stream"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(tmp_path_factory.mktemp("schemathesis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def center(live: LiveServer) -> Seeded:
    seeded = live.seed_instance("fuzz", agents=("alice", "bob"), supervisors=("sam",))
    seeded.users["ada"] = live.connect().create_user(
        InstanceId=seeded.instance_id,
        Username="ada",
        Password=PASSWORD,
        IdentityInfo={"FirstName": "Ada", "LastName": "Admin"},
        PhoneConfig={"PhoneType": "SOFT_PHONE"},
        SecurityProfileIds=[seeded.security_profiles["Admin"]],
        RoutingProfileId=seeded.profiles["Sales"],
    )["UserId"]
    return seeded


def _streams(operation: Any) -> bool:
    """Whether an operation answers an endless event stream."""
    responses = operation.definition.raw.get("responses", {})
    media = {kind for answer in responses.values() for kind in answer.get("content", {})}
    return STREAMING in media


def _path_choices(path: str, center: Seeded) -> list[dict[str, str]]:
    """Fixed path parameters to fuzz with: none (all random), then the real instance and user."""
    choices: list[dict[str, str]] = [{}]
    if "{InstanceId}" in path:
        choices.append({"InstanceId": center.instance_id})
        if "{UserId}" in path:
            choices.append({"InstanceId": center.instance_id, "UserId": center.users["alice"]})
    return choices


def _fuzz(operation: Any, cases: Any, examples: int, send: Callable[[Any, Any], None]) -> None:
    """Send `examples` generated cases of one operation (no shrinking: a 5xx is listed as found,
    and the other cases still run)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        send(operation, case)

    run()


def test_no_operation_of_switchboards_own_api_answers_a_server_error(
    live: LiveServer, center: Seeded
) -> None:
    with closing(live.browser(center.instance_id, "ada")) as browser:  # POST /switchboard/login
        token = str(browser.cookies[COOKIE])
        csrf = str(browser.headers[CSRF_HEADER])
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()  # a schema the generator cannot read is a failure too
        if not _streams(operation):
            operations.append(operation)
    operations.sort(key=lambda operation: operation.path.endswith("/logout"))
    labels = {operation.label for operation in operations}
    assert any("access-keys" in label for label in labels), sorted(labels)
    failures: list[str] = []
    calls = 0

    def send(operation: Any, case: Any) -> None:
        nonlocal calls
        try:
            response = case.call(
                base_url=live.url,
                headers={CSRF_HEADER: csrf},
                cookies={COOKIE: token},
                timeout=10,
            )
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL):
            return  # the client would not send it: nothing reached the server
        calls += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Failure, FailureGroup):
            failures.append(
                f"{operation.label} -> {response.status_code} {response.text[:200]!r}\n"
                f"  {case.as_curl_command()}"
            )

    for operation in operations:
        strategies = [
            operation.as_strategy(mode, path_parameters=fixed or None)
            for fixed in _path_choices(operation.path, center)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        _fuzz(operation, st.one_of(strategies), EXAMPLES * len(strategies), send)
    assert calls >= len(operations) * EXAMPLES, f"only {calls} requests were sent"
    assert not failures, "server errors:\n" + "\n".join(failures)
