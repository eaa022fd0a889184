"""The pages' shell in a real browser: where an unsigned visitor lands, the sign-in form, assets."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREENSHOTS, TIME_ZONE, Center


def new_page(browser: Any, center: Center, **options: Any) -> Any:
    context = browser.new_context(
        base_url=center.url, timezone_id=TIME_ZONE, viewport=PHONE, **options
    )
    context.set_default_timeout(5_000)
    return context.new_page()


def test_a_visitor_who_is_not_signed_in_lands_on_the_sign_in_page(
    center: Center, browser: Any
) -> None:
    page = new_page(browser, center)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/ccp")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fccp$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.close()


def test_the_sign_in_form_has_labelled_fields_and_no_instance_choice_with_one_instance(
    center: Center, browser: Any
) -> None:
    page = new_page(browser, center)
    page.goto("/login")
    expect(page.get_by_label("Username")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    expect(page.get_by_label("Instance")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # Times are the viewer's, and the page says which zone that is.
    expect(page.locator("[data-zone]")).to_contain_text(f"Times in {TIME_ZONE}")
    # Empty fields are named before anything is sent.
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Enter your username.")
    expect(page.get_by_label("Username")).to_be_focused()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
    page.context.close()


def test_the_sign_in_form_offers_the_instance_when_the_server_holds_several(
    center: Center, browser: Any
) -> None:
    center.live.seed_instance("second", agents=("carol",), supervisors=())
    page = new_page(browser, center)
    page.goto("/login")
    instance = page.get_by_label("Instance")
    expect(instance.locator("option")).to_have_text(["second", "test"])
    page.context.close()


def test_pages_fetch_nothing_from_outside_the_server(center: Center, browser: Any) -> None:
    page = new_page(browser, center)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    assert requested, "the page loaded nothing"
    assert all(url.startswith(center.url) for url in requested), requested
    assert not failed, failed
    assert {url.removeprefix(center.url) for url in requested} >= {
        "/login",
        "/static/app.css",
        "/static/api.js",
        "/static/login.js",
    }
    page.context.close()


def test_static_files_come_from_the_package_and_nothing_else(center: Center, browser: Any) -> None:
    page = new_page(browser, center)
    answer = page.request.get("/static/app.css")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "--activity-available" in answer.text()
    script = page.request.get("/static/api.js")
    assert script.headers["content-type"].startswith("text/javascript")
    for missing in ("/static/nothing.js", "/static/..%2Fshell.py", "/static/%2E%2E/pages.py"):
        assert page.request.get(missing).status == 404, missing
    page.context.close()
