"""Oversized request bodies are refused with 413 before anything runs, declared or streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.api.limits import MAX_BODY_BYTES
from tests.server_harness import REGION, LiveServer, Seeded


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded]]:
    server = LiveServer.start(Path(tmp_path_factory.mktemp("limits")))
    seeded = server.seed_instance("limits")
    yield server, seeded
    server.stop()


def test_a_declared_oversized_body_gets_413_and_changes_nothing(
    live: tuple[LiveServer, Seeded],
) -> None:
    server, seeded = live
    before = server.connect().list_queues(InstanceId=seeded.instance_id)["QueueSummaryList"]
    body = b'{"Name": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    answer = httpx.put(f"{server.url}/queues/{seeded.instance_id}", content=body, timeout=10)
    assert answer.status_code == 413
    assert "larger than" in answer.json()["message"]
    after = server.connect().list_queues(InstanceId=seeded.instance_id)["QueueSummaryList"]
    assert after == before


def test_a_streamed_oversized_body_gets_413(live: tuple[LiveServer, Seeded]) -> None:
    server, _ = live

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    answer = httpx.post(f"{server.url}/switchboard/login", content=chunks(), timeout=10)
    assert answer.status_code == 413


def test_a_streamed_body_within_the_limit_reaches_the_handler(
    live: tuple[LiveServer, Seeded],
) -> None:
    server, seeded = live
    hours = server.connect().list_hours_of_operations(InstanceId=seeded.instance_id)
    body = orjson.dumps(
        {"Name": "Streamed", "HoursOfOperationId": hours["HoursOfOperationSummaryList"][0]["Id"]}
    )
    path = f"/queues/{seeded.instance_id}"
    request = AWSRequest(method="PUT", url=server.url + path, data=body)
    SigV4Auth(Credentials(server.key_id, server.secret), "connect", REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body arrives chunked
        yield body[:10]
        yield body[10:]

    answer = httpx.put(server.url + path, headers=headers, content=chunks(), timeout=10)
    assert answer.status_code == 200, answer.text
    names = [
        q.get("Name")
        for q in server.connect().list_queues(InstanceId=seeded.instance_id)["QueueSummaryList"]
    ]
    assert "Streamed" in names
