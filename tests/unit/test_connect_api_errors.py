"""The Connect app's last line of defence: an unexpected failure is Connect's JSON 500, no trace.

In-process (httpx.ASGITransport), signed by botocore as an SDK would sign.
"""

from __future__ import annotations

import asyncio

import httpx
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.api.connect import create_app
from switchboard.api.registry import InstanceRegistry
from switchboard.api.sigv4 import SigV4Verifier
from switchboard.engine.clock import SystemClock

REGION = "us-east-1"
KEY_ID = "SBAKUNITUNITUNITUNIT"
SECRET = "unit-secret-access-key-00000000000000000"


def send(verifier: SigV4Verifier, method: str, path: str, body: bytes = b"") -> httpx.Response:
    app = create_app(InstanceRegistry(region=REGION), verifier, SystemClock())
    url = f"http://testserver{path}"
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION).add_auth(request)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.request(
                method, url, headers=dict(request.headers.items()), content=body
            )

    return asyncio.run(call())


def test_an_unexpected_failure_is_an_internal_service_exception_without_a_traceback() -> None:
    def broken_lookup(_: str) -> str | None:
        raise RuntimeError("key store went away: /secret/path")

    response = send(SigV4Verifier(region=REGION, lookup=broken_lookup), "GET", "/instance")
    assert response.status_code == 500
    assert response.headers["x-amzn-ErrorType"] == "InternalServiceException"
    message = orjson.loads(response.content)["message"]
    assert "RuntimeError" in message
    assert "/secret/path" not in response.text
    assert "Traceback" not in response.text


def test_a_second_instance_with_the_same_alias_is_refused() -> None:
    verifier = SigV4Verifier(region=REGION, lookup={KEY_ID: SECRET}.get)
    app = create_app(InstanceRegistry(region=REGION), verifier, SystemClock())
    body = orjson.dumps(
        {
            "IdentityManagementType": "CONNECT_MANAGED",
            "InstanceAlias": "twice",
            "InboundCallsEnabled": True,
            "OutboundCallsEnabled": True,
        }
    )

    async def create() -> httpx.Response:
        url = "http://testserver/instance"
        request = AWSRequest(method="PUT", url=url, data=body)
        SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION).add_auth(request)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            return await client.put(url, headers=dict(request.headers.items()), content=body)

    assert asyncio.run(create()).status_code == 200
    again = asyncio.run(create())
    assert again.status_code == 400
    assert again.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    assert "twice" in orjson.loads(again.content)["message"]


def test_a_request_without_a_signature_is_missing_authentication_token() -> None:
    app = create_app(
        InstanceRegistry(region=REGION),
        SigV4Verifier(region=REGION, lookup={KEY_ID: SECRET}.get),
        SystemClock(),
    )

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            return await client.get("http://testserver/instance")

    response = asyncio.run(call())
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
