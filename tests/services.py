"""Real servers for integration tests: PostgreSQL, Redis and NATS on their standard local ports.

On a newcomer's machine without a server, its tests skip with a reason naming it; under CI
(`CI=true`) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import socket

import pytest

SERVICES = {
    "postgresql": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
    "nats": ("127.0.0.1", 4222),
}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require(service: str) -> tuple[str, int]:
    """The (host, port) of `service`, or skip (fail under CI) when nothing listens there."""
    host, port = SERVICES[service]
    if not reachable(host, port):
        message = f"{service} is not running on {host}:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must start it (.ci/run)")
        pytest.skip(f"{message}; start it to run this test")
    return host, port
