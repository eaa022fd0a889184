"""Browser tests: Playwright for Python drives Debian's Chromium against a live `serve`.

Each test gets its own server (tests/server_harness.py) with the web pages and a seeded instance,
and a fresh browser context. Chromium is launched by its path, headless, with its network
features off (this machine's network is closed; the pages need nothing but the server). Every
page a test opened is saved as `screenshots/<test>.png` (or `<test>-<n>.png`) when it ends.

Without /usr/bin/chromium the tests skip with that reason; under CI (`CI=true`) they fail,
as tests/services.py does for a missing server.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.engine.clock import SystemClock
from switchboard.web import pages
from tests.server_harness import PASSWORD, REGION, LiveServer, Seeded

CHROMIUM = Path(os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # root in a container has no user namespace for Chromium's sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
]
TIME_ZONE = "America/New_York"
"""The browser's zone, unlike the server's UTC: pages must show times in the viewer's zone."""
PHONE = {"width": 390, "height": 844}
"""A phone-sized screen: the CCP fills it."""


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must install it (.ci/run)")
    pytest.skip(message)


class SkippingClock(SystemClock):
    """The real clock, which a test can move forward (an offer timeout without the wait)."""

    def __init__(self) -> None:
        self._skipped = 0
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            return super().now() + self._skipped

    def skip(self, ms: int) -> None:
        with self._lock:
            self._skipped += ms


@dataclass
class Center:
    """A live server with the web pages, one seeded instance and a clock that can skip ahead."""

    live: LiveServer
    seeded: Seeded
    clock: SkippingClock

    @property
    def url(self) -> str:
        return self.live.url

    def skip(self, ms: int) -> None:
        """Move the server's clock forward; its timers fire as they would have."""
        self.clock.skip(ms)
        self.live.on_loop(self.live.server.poke)


@pytest.fixture
def center(tmp_path: Path) -> Iterator[Center]:
    _require_chromium()
    clock = SkippingClock()
    live = LiveServer.start(tmp_path, clock=clock, routers=pages.routers())
    try:
        seeded = live.seed_instance()
        yield Center(live, seeded, clock)
    finally:
        live.stop()


@dataclass
class PhoneLine:
    """The test's telephone network: customers call in and hang up, signed by the admin key."""

    center: Center
    calls: list[str] = field(default_factory=list)

    def _signed(self, path: str, body: dict[str, Any]) -> httpx.Response:
        live = self.center.live
        data = orjson.dumps(body)
        request = AWSRequest(method="POST", url=live.url + path, data=data)
        request.headers["Content-Type"] = "application/json"
        SigV4Auth(Credentials(live.key_id, live.secret), "connect", REGION).add_auth(request)
        return httpx.post(live.url + path, headers=dict(request.headers), content=data, timeout=10)

    def call(self, queue: str = "Sales", channel: str = "VOICE") -> str:
        """A customer calls `queue`; the new ContactId."""
        seeded = self.center.seeded
        answer = self._signed(
            f"/switchboard/instances/{seeded.instance_id}/contacts/inbound",
            {"Channel": channel, "QueueId": seeded.queues[queue]},
        )
        assert answer.status_code in (200, 201), answer.text
        contact_id = str(answer.json()["ContactId"])
        self.calls.append(contact_id)
        return contact_id

    def hang_up(self, contact_id: str) -> None:
        """The customer hangs up."""
        seeded = self.center.seeded
        answer = self._signed(
            f"/switchboard/instances/{seeded.instance_id}/contacts/{contact_id}/customer-hangup",
            {},
        )
        assert answer.status_code in (200, 202, 204), answer.text


@pytest.fixture
def phone(center: Center) -> PhoneLine:
    return PhoneLine(center)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API keeps an asyncio loop running on the
    # main thread while it is open, and every later test that calls asyncio.run there would fail.
    _require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only once Chromium is there)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")


@pytest.fixture
def sign_in(
    browser: Any, center: Center, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """`sign_in(username)`: a new browser (phone-sized, in TIME_ZONE) signed in through /login;
    its page, already on the user's home page. Every page is screenshotted when the test ends."""
    contexts: list[Any] = []
    opened: list[Any] = []

    def open_page(
        username: str, *, password: str = PASSWORD, viewport: dict[str, int] | None = None
    ) -> Any:
        context = browser.new_context(
            base_url=center.url,
            viewport=viewport or PHONE,
            timezone_id=TIME_ZONE,
            locale="en-US",
            device_scale_factor=2 if viewport is None else 1,
        )
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        opened.append(page)
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/(ccp|dashboard)$"))
        return page

    yield open_page

    SCREENSHOTS.mkdir(exist_ok=True)
    name = _test_name(request)
    for index, page in enumerate(opened):
        suffix = "" if index == 0 else f"-{index + 1}"
        if not page.is_closed():
            page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
    for context in contexts:
        context.close()
