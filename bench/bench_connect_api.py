"""Connect API: PutUserStatus requests per second, beside a bare uvicorn endpoint in the same run.

One instance, one user, statuses alternating Break / Available (each call is a real status
change through the engine). Four rows, one client at a time, keep-alive connections:

* boto3 -> Switchboard: the SDK user's figure (botocore signs and parses every call);
* boto3 -> bare: the same client against a Starlette app on uvicorn that answers `{}` to the same
  PUT with no auth, no parsing and no engine: what the client and the server loop cost alone;
* httpx -> Switchboard: two requests signed once by botocore and replayed (the server still
  verifies each signature, parses the body and runs the command): the server's own cost;
* httpx -> bare: the same requests against the bare app.

    .venv/bin/python bench/bench_connect_api.py [--requests N] [--repeats R]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from center import seed_center
from switchboard.api.connect import create_app
from switchboard.api.registry import InstanceRegistry
from switchboard.api.sigv4 import SigV4Verifier
from switchboard.engine.clock import SystemClock

REGION = "us-east-1"
KEY_ID = "SBAKBENCHBENCHBENCHB"
SECRET = "bench-secret-access-key-000000000000000"


def serve(app: Any) -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def bare_app() -> Starlette:
    async def ok(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[Route("/users/{instance}/{user}/status", ok, methods=["PUT"])])


def client(url: str) -> Any:
    return boto3.client(
        "connect",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


def setup(url: str) -> tuple[str, str, str, str]:
    instance, (user,), brk, available = seed_center(client(url), users=1)
    return instance, user, brk, available


def rate(run: Callable[[int], None], n: int, repeats: int) -> float:
    run(min(n, 200))  # warm up: connections, caches
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(n)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    registry = InstanceRegistry(region=REGION)
    verifier = SigV4Verifier(region=REGION, lookup={KEY_ID: SECRET}.get)
    ours, ours_url = serve(create_app(registry, verifier, SystemClock()))
    bare, bare_url = serve(bare_app())
    instance, user, brk, available = setup(ours_url)
    statuses = (brk, available)

    def with_boto3(url: str) -> Callable[[int], None]:
        c = client(url)

        def run(n: int) -> None:
            for i in range(n):
                c.put_user_status(InstanceId=instance, UserId=user, AgentStatusId=statuses[i % 2])

        return run

    def with_httpx(url: str) -> Callable[[int], None]:
        session = httpx.Client()
        path = f"/users/{instance}/{user}/status"
        presigned = []
        for status in statuses:
            body = f'{{"AgentStatusId": "{status}"}}'.encode()
            request = AWSRequest(method="PUT", url=url + path, data=body)
            SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION).add_auth(request)
            presigned.append((dict(request.headers.items()), body))

        def run(n: int) -> None:
            for i in range(n):
                headers, body = presigned[i % 2]
                response = session.put(url + path, headers=headers, content=body)
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code}: {response.text}")

        return run

    n, r = args.requests, args.repeats
    rows = [
        ("boto3 -> Switchboard PutUserStatus", rate(with_boto3(ours_url), n, r)),
        ("boto3 -> bare uvicorn PUT", rate(with_boto3(bare_url), n, r)),
        ("httpx (pre-signed) -> Switchboard PutUserStatus", rate(with_httpx(ours_url), n, r)),
        ("httpx (pre-signed) -> bare uvicorn PUT", rate(with_httpx(bare_url), n, r)),
    ]
    engine = registry.get(instance)
    changes = engine.engine.log.next_seq if engine is not None else 0
    print(f"PutUserStatus, {n} requests x {r} repeats (median), one client, keep-alive")
    for name, value in rows:
        print(f"  {name:<50} {value:8.0f} req/s")
    boto3_ratio = rows[0][1] / rows[1][1]
    httpx_ratio = rows[2][1] / rows[3][1]
    print(
        f"  Switchboard/bare: boto3 {boto3_ratio:.2f}, httpx {httpx_ratio:.2f}; "
        f"events logged: {changes}"
    )
    ours.should_exit = True
    bare.should_exit = True


if __name__ == "__main__":
    main()
