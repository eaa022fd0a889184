"""SigV4 verification: µs per request, cold and with a cached signing key, beside botocore's signer.

The requests are what boto3's Connect client sends (captured before sending): `put_user_status`
(PUT, JSON body, ARN-encoded path) and `list_users` (GET with MaxResults and NextToken). Figures
are medians of several repeats, all from this run:

* verify, cold: a fresh `SigV4Verifier` per request, so the signing key is derived each time
  (four HMACs more);
* verify, cached: one verifier, its signing key cached per (access key, day);
* peer: botocore's `SigV4Auth.add_auth` signing the same request (what DESIGN §9 calls
  ~170 µs), which also builds the canonical request and derives the key every time;
* floor: hashlib/hmac alone on the same canonical request (sha256 + one HMAC), what any
  verifier must spend.

    .venv/bin/python bench/bench_sigv4.py [--requests N] [--repeats R]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from switchboard.api.sigv4 import SigV4Verifier

KEY_ID = "SBAKBENCHKEY234567AB"
SECRET = "bench-secret-0123456789abcdefghijklmnopq"
REGION = "us-east-1"
INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
ARN = f"arn:aws:connect:{REGION}:123456789012:instance/{INSTANCE}"


class _Body:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


def capture(call: str, **kwargs: Any) -> Any:
    """The prepared request boto3's Connect client would send for one call."""
    client = boto3.client(
        "connect",
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:9",
    )
    seen: list[Any] = []

    def hook(request: Any, **_: Any) -> AWSResponse:
        seen.append(request)
        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, _Body())

    client.meta.events.register("before-send.connect.*", hook)
    getattr(client, call)(**kwargs)
    return seen[0]


def as_received(prepared: Any) -> dict[str, Any]:
    parts = urlsplit(prepared.url)
    headers = [
        (n, v.decode() if isinstance(v, bytes) else v) for n, v in prepared.headers.items()
    ] + [("Host", parts.netloc)]
    body = prepared.body or b""
    return {
        "method": prepared.method,
        "path": parts.path,
        "query": parts.query,
        "headers": headers,
        "body": body.encode() if isinstance(body, str) else body,
    }


def per_call_us(func: Callable[[], object], n: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            func()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def bench(name: str, prepared: Any, n: int, repeats: int) -> None:
    request = as_received(prepared)
    date = next(v for k, v in request["headers"] if k == "X-Amz-Date")
    now = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) + timedelta(seconds=1)
    lookup = {KEY_ID: SECRET}.get
    cached = SigV4Verifier(region=REGION, lookup=lookup)
    assert cached.verify(now=now, **request) == KEY_ID

    def cold() -> object:
        return SigV4Verifier(region=REGION, lookup=lookup).verify(now=now, **request)

    def warm() -> object:
        return cached.verify(now=now, **request)

    credentials = Credentials(KEY_ID, SECRET)
    signer = SigV4Auth(credentials, "connect", REGION)
    to_sign = [
        AWSRequest(
            method=prepared.method,
            url=prepared.url,
            data=request["body"],
            headers={k: v for k, v in request["headers"] if k.lower() != "authorization"},
        )
        for _ in range(n)
    ]
    pending = iter(to_sign * repeats)

    def botocore_sign() -> object:
        signer.add_auth(next(pending))
        return None

    canonical = "\n".join((request["method"], request["path"], request["query"], "x" * 200))
    key = hashlib.sha256(b"k").digest()

    def floor() -> object:
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()

    figures = {
        "verify, cold (key derived)": per_call_us(cold, n, repeats),
        "verify, signing key cached": per_call_us(warm, n, repeats),
        "peer: botocore SigV4Auth.add_auth": per_call_us(botocore_sign, n, repeats),
        "floor: sha256 + one hmac": per_call_us(floor, n, repeats),
    }
    peer = figures["peer: botocore SigV4Auth.add_auth"]
    print(f"\n{name}: {request['method']} {request['path'][:60]}?{request['query'][:40]}")
    print("| what | µs per request | vs botocore's signer |\n|---|---:|---:|")
    for what, us in figures.items():
        print(f"| {what} | {us:.1f} | {us / peer:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"SigV4: medians of {args.repeats} repeats of {args.requests} requests")
    put = capture("put_user_status", InstanceId=ARN, UserId="agent:1", AgentStatusId="st-1")
    bench("put_user_status", put, args.requests, args.repeats)
    lst = capture("list_users", InstanceId=INSTANCE, MaxResults=25, NextToken="tok/en+==")
    bench("list_users", lst, args.requests, args.repeats)


if __name__ == "__main__":
    main()
