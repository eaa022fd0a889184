"""Contacts in a real browser: search, and the summary of an abandoned and of a handled call."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from switchboard.formats.summary import NO_AGENT
from tests.browser.conftest import SCREENSHOTS, Center, PhoneLine
from tests.browser.test_dashboard import DESKTOP, Agent

SignIn = Any


def field(page: Any, label: str) -> Any:
    """The value cell of one line of the contact record's table."""
    return page.get_by_role("table", name="Contact record").locator(f"tr[data-label='{label}'] td")


def test_an_abandoned_calls_summary_says_no_agent_was_found(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    contact_id = phone.call()
    phone.hang_up(contact_id)  # nobody was there to answer
    page = sign_in("sam", viewport=DESKTOP)
    page.goto("/contacts")
    results = page.get_by_role("table", name="Contacts found")
    row = results.locator("tbody tr").filter(has_text=contact_id[:8])
    expect(row).to_contain_text("CUSTOMER_DISCONNECT")
    expect(row).to_contain_text("no agent")
    expect(row).to_contain_text("Sales")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/contacts/{contact_id}$"))
    expect(page.get_by_role("heading", name="Contact summary")).to_be_visible()
    expect(page.locator("[data-no-agent]")).to_have_text(
        "We couldn't find this agent. Use the agent's user name to identify them."
    )
    expect(field(page, "Agent")).to_contain_text(NO_AGENT)
    expect(field(page, "Disconnect reason")).to_contain_text("CUSTOMER_DISCONNECT")
    expect(field(page, "Recording")).to_contain_text("no recording")
    steps = page.get_by_role("list", name="Timeline").locator("li .what")
    expect(steps).to_have_text(
        ["Initiated (INBOUND)", "Queued in Sales", "Disconnected (CUSTOMER_DISCONNECT)"]
    )
    # Times in the viewer's zone (the browser is in New York, the server in UTC).
    expect(page.locator(".timeline time").first).to_contain_text(re.compile("EST|EDT"))
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "contact-abandoned.png"), full_page=True)


def test_a_handled_calls_summary_has_its_agent_timeline_and_recording(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    alice = Agent(center, "alice")
    alice.status("Available")
    contact_id = phone.call()
    accepted = alice.client.post(f"/switchboard/ccp/contacts/{contact_id}/hold")
    assert accepted.status_code == 409  # not connected yet: a ringing call cannot be held
    assert alice.client.post(f"/switchboard/ccp/contacts/{contact_id}/accept").status_code == 200
    assert alice.client.post(f"/switchboard/ccp/contacts/{contact_id}/hold").status_code == 200
    assert alice.client.post(f"/switchboard/ccp/contacts/{contact_id}/resume").status_code == 200
    phone.hang_up(contact_id)
    assert alice.client.post(f"/switchboard/ccp/contacts/{contact_id}/clear").status_code == 200
    # Another, abandoned one, to search around.
    other = phone.call()
    phone.hang_up(other)

    page = sign_in("sam", viewport=DESKTOP)
    page.goto("/contacts")
    rows = page.get_by_role("table", name="Contacts found").locator("tbody tr")
    expect(rows).to_have_count(2)
    page.locator("select[name='agent']").select_option("alice")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("alice")
    page.locator("select[name='agent']").select_option("")
    page.locator("select[name='reason']").select_option("CUSTOMER_DISCONNECT")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(2)
    # The range is in the viewer's zone (New York): from an hour ahead, nothing has ended yet.
    expect(page.get_by_text("From (America/New_York)")).to_be_visible()
    later = page.evaluate(
        """() => {
          const at = new Date(Date.now() + 3600e3);
          const p = (n) => String(n).padStart(2, "0");
          const day = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}`;
          return `${day}T${p(at.getHours())}:${p(at.getMinutes())}`;
        }"""
    )
    page.get_by_label(re.compile("^From")).fill(later)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No finished contact matches.")).to_be_visible()
    expect(page.get_by_label(re.compile("^From"))).to_have_value(later)

    page.goto(f"/contacts/{contact_id}")
    expect(page.locator("[data-no-agent]")).to_have_count(0)
    expect(field(page, "Agent")).to_contain_text("alice")
    expect(field(page, "Recording")).to_contain_text("available")
    expect(field(page, "Number of holds")).to_contain_text("1")
    steps = page.get_by_role("list", name="Timeline").locator("li .what")
    expect(steps).to_have_text(
        [
            "Initiated (INBOUND)",
            "Queued in Sales",
            "Offered alice",
            "Connected alice",
            "On hold alice",
            "Resumed alice",
            "Disconnected (CUSTOMER_DISCONNECT)",
            "After contact work alice",
            "Cleared alice",
        ]
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "contact-handled.png"), full_page=True)


def test_an_unknown_contact_is_a_not_found_page(center: Center, sign_in: SignIn) -> None:
    page = sign_in("sam", viewport=DESKTOP)
    answer = page.goto("/contacts/no-such-contact")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Contact not found")).to_be_visible()
