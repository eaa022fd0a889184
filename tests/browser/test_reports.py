"""The historical report in a real browser: tables, a chart per table, and the CSV download."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from switchboard.web.reports import AGENT_COLUMNS, QUEUE_COLUMNS
from tests.browser.conftest import SCREENSHOTS, Center, PhoneLine
from tests.browser.test_dashboard import DESKTOP, Agent

SignIn = Any


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def a_few_calls(center: Center, phone: PhoneLine) -> None:
    """One call answered by alice, one abandoned."""
    alice = Agent(center, "alice")
    alice.status("Available")
    answered = phone.call()
    assert alice.client.post(f"/switchboard/ccp/contacts/{answered}/accept").status_code == 200
    phone.hang_up(answered)
    assert alice.client.post(f"/switchboard/ccp/contacts/{answered}/clear").status_code == 200
    alice.status("Break")
    abandoned = phone.call()
    phone.hang_up(abandoned)


def test_the_queue_report_shows_a_table_a_chart_and_downloads_as_csv(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    a_few_calls(center, phone)
    page = sign_in("sam", viewport=DESKTOP)
    page.goto("/reports")
    table = page.get_by_role("table", name="Queue metrics")
    expect(table.locator("thead th")).to_have_text(
        ["Interval start", "Queue", *(c.heading for c in QUEUE_COLUMNS)]
    )
    sales = table.locator("tbody tr").filter(has_text="Sales")
    expect(sales).to_have_count(1)
    total = table.locator("tfoot tr")
    expect(total).to_contain_text("Total")
    chart = page.get_by_role(
        "img", name="Contacts handled and abandoned, and service level, per interval (all queues)"
    )
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(2)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-queues.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("switchboard-queues-1h-")
    rows = read_csv(saved.path())
    assert rows[0] == ["Interval start", "Queue", *(c.heading for c in QUEUE_COLUMNS)]
    total_row = dict(zip(rows[0], rows[-1], strict=True))
    assert total_row["Interval start"] == "Total"
    assert total_row["Queue"] == "Sales"
    assert total_row["Contacts queued"] == "2"
    assert total_row["Contacts handled"] == "1"
    assert total_row["Contacts abandoned"] == "1"
    assert all(len(row) == len(rows[0]) for row in rows)


def test_the_agent_report_by_15_minutes_downloads_as_csv(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    a_few_calls(center, phone)
    page = sign_in("sam", viewport=DESKTOP)
    page.goto("/reports")
    page.get_by_label("Interval", exact=True).select_option(label="15 minutes")
    page.get_by_label("Agents", exact=True).check()
    page.get_by_role("button", name="Show report").click()
    table = page.get_by_role("table", name="Agent metrics")
    expect(table.locator("tbody tr").filter(has_text="alice").first).to_be_visible()
    chart = page.get_by_role("img", name="Agent time by activity per interval (all agents)")
    expect(chart).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "reports-agents.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("switchboard-agents-15min-")
    rows = read_csv(saved.path())
    assert rows[0] == ["Interval start", "Agent", *(c.heading for c in AGENT_COLUMNS)]
    alice_total = next(row for row in rows if row[:2] == ["Total", "alice"])
    assert dict(zip(rows[0], alice_total, strict=True))["Contacts handled"] == "1"
