"""The CCP in a real browser: an agent's day, from sign-in to Clear contact, by push alone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREENSHOTS, TIME_ZONE, Center, PhoneLine

SignIn = Any


def status_of(page: Any) -> Any:
    return page.get_by_label("Status", exact=True)


def activity(page: Any) -> Any:
    return page.locator("[data-activity]")


def card(page: Any, state: str) -> Any:
    return page.locator(f"[data-contact][data-state='{state}']")


def go_available(page: Any) -> None:
    status_of(page).select_option(label="Available")
    expect(activity(page)).to_have_text("Available")
    expect(activity(page)).to_have_attribute("data-kind", "available")


def test_sign_in_page_asks_username_and_password_and_says_what_went_wrong(
    center: Center, browser: Any
) -> None:
    context = browser.new_context(base_url=center.url, timezone_id=TIME_ZONE)
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    # One instance on this server: no Instance field.
    expect(page.get_by_label("Instance")).to_have_count(0)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("[data-zone]")).to_contain_text(TIME_ZONE)
    context.close()


def test_sign_in_page_offers_the_instance_when_the_server_holds_several(
    center: Center, sign_in: SignIn, browser: Any
) -> None:
    second = center.live.seed_instance("second", agents=("carol",), supervisors=())
    context = browser.new_context(base_url=center.url, viewport=PHONE)
    page = context.new_page()
    page.goto("/login")
    instance = page.get_by_label("Instance")
    expect(instance.locator("option")).to_have_text(["second", "test"])
    instance.select_option(label="second")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill("Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ccp$"))
    expect(page.get_by_role("heading", name="carol")).to_be_visible()
    expect(page.locator(".viewer")).to_contain_text("second")
    assert second.instance_id != center.seeded.instance_id
    context.close()


def test_an_agent_takes_a_call_from_offer_to_clear(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    client = center.live.connect()
    client.update_user_phone_config(
        InstanceId=center.seeded.instance_id,
        UserId=center.seeded.users["alice"],
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 120},
    )
    page = sign_in("alice")
    expect(page).to_have_url(re.compile(r"/ccp$"))
    expect(page.get_by_role("heading", name="alice")).to_be_visible()
    # The selector lists the enabled statuses in display order.
    expect(status_of(page).locator("option")).to_have_text(
        ["Available", "Offline", "Break", "Training"]
    )
    expect(page.locator("[data-slots]")).to_have_text("Voice 0/1 · Chat 0/2 · Task 0/1")
    go_available(page)

    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    contact_id = phone.call()
    offer = page.locator("[data-offers] [data-contact]")
    expect(offer).to_be_visible()
    # The offer came by push: the page asked the server nothing for it.
    assert asked == []
    expect(offer).to_have_attribute("data-contact-id", contact_id)
    expect(offer).to_contain_text("Incoming voice")
    expect(offer).to_contain_text("Sales")
    expect(offer.get_by_role("progressbar")).to_be_visible()
    expect(offer).to_contain_text("Offer expires in")
    expect(activity(page)).to_have_text("Incoming")
    expect(activity(page)).to_have_attribute("data-kind", "incoming")
    page.screenshot(path=str(_shot("ccp-incoming")), full_page=True)
    # Enter accepts.
    page.locator("body").focus()
    page.keyboard.press("Enter")

    connected = card(page, "CONNECTED")
    expect(connected).to_be_visible()
    expect(page.locator("[data-offers] [data-contact]")).to_have_count(0)
    expect(activity(page)).to_have_text("On contact")
    expect(page.locator("[data-slots]")).to_have_text("Voice 1/1 · Chat 0/2 · Task 0/1")
    expect(connected.get_by_label("Transfer to queue")).to_be_visible()
    # Timers tick in the browser, from the snapshot's timestamps.
    expect(connected.locator("[data-timer]")).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=3_000)

    connected.get_by_role("button", name="Hold").click()
    held = card(page, "CONNECTED_ONHOLD")
    expect(held).to_contain_text("On hold")
    expect(held.get_by_role("button", name="Hold")).to_have_count(0)

    held.get_by_role("button", name="Resume").click()
    expect(card(page, "CONNECTED")).to_contain_text("Connected")

    phone.hang_up(contact_id)
    acw = card(page, "ENDED")
    expect(acw).to_contain_text("After contact work")
    expect(activity(page)).to_have_text("After contact work")
    expect(activity(page)).to_have_attribute("data-kind", "acw")
    expect(acw).to_contain_text("After contact work ends in")
    expect(acw.get_by_role("progressbar")).to_be_visible()

    acw.get_by_role("button", name="Clear contact").click()
    expect(page.locator("[data-contact]")).to_have_count(0)
    expect(activity(page)).to_have_text("Available")
    expect(status_of(page)).to_have_value(center.seeded.statuses["Available"])
    expect(page.locator("[data-slots]")).to_have_text("Voice 0/1 · Chat 0/2 · Task 0/1")


def test_a_break_agent_dials_out_and_is_on_contact_at_once(center: Center, sign_in: SignIn) -> None:
    page = sign_in("bob")
    status_of(page).select_option(label="Break")
    expect(activity(page)).to_have_text("Break")
    expect(activity(page)).to_have_attribute("data-kind", "npt")

    page.get_by_label("Phone number").fill("+1 555 0100")
    page.get_by_role("button", name="Call").click()
    expect(activity(page)).to_have_text("On contact", timeout=1_000)
    expect(status_of(page)).to_have_value(center.seeded.statuses["Break"])
    expect(card(page, "CONNECTING")).to_contain_text("Dialing")
    expect(page.get_by_label("Phone number")).to_have_value("")


def test_dialing_works_offline(center: Center, sign_in: SignIn) -> None:
    page = sign_in("bob")
    status_of(page).select_option(label="Offline")
    expect(activity(page)).to_have_text("Offline")
    expect(activity(page)).to_have_attribute("data-kind", "offline")
    for key in "+15550100":
        page.get_by_role("group", name="Dial pad").get_by_role("button", name=key).click()
    expect(page.get_by_label("Phone number")).to_have_value("+15550100")
    page.get_by_role("button", name="Call").click()
    expect(activity(page)).to_have_text("On contact")
    contact = card(page, "CONNECTING")
    contact.get_by_role("button", name="End contact").click()
    expect(card(page, "ENDED").get_by_role("button", name="Clear contact")).to_be_visible()


def test_a_missed_offer_shows_the_banner_until_clear_contact(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    page = sign_in("alice")
    go_available(page)
    contact_id = phone.call()
    expect(page.locator("[data-offers] [data-contact]")).to_be_visible()
    # The offer times out (20 s by default): the server's clock skips ahead instead of waiting.
    center.skip(21_000)
    banner = page.locator("[data-banners] [data-contact]")
    expect(banner).to_contain_text("Missed")
    expect(banner).to_have_attribute("data-kind", "failed")
    expect(activity(page)).to_have_text("Missed")
    expect(page.locator("[data-offers] [data-contact]")).to_have_count(0)
    # It stays until the agent clears it.
    page.wait_for_timeout(600)
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Clear contact").click()
    expect(page.locator("[data-banners] [data-contact]")).to_have_count(0)
    # The customer is still waiting in the queue: cleared, the agent is offered the call again.
    expect(page.locator("[data-offers] [data-contact]")).to_have_attribute(
        "data-contact-id", contact_id
    )
    expect(activity(page)).to_have_text("Incoming")


def test_a_rejected_offer_shows_the_banner_until_clear_contact(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    page = sign_in("alice")
    go_available(page)
    # A rejected voice call reads Missed, as in Amazon Connect; a rejected chat reads Rejected.
    contact_id = phone.call(channel="CHAT")
    offer = page.locator("[data-offers] [data-contact]")
    expect(offer).to_contain_text("Incoming chat")
    offer.get_by_role("button", name="Reject").click()
    banner = page.locator("[data-banners] [data-contact]")
    expect(banner).to_contain_text("Rejected: you rejected a Chat contact from Sales")
    expect(activity(page)).to_have_text("Rejected")
    expect(activity(page)).to_have_attribute("data-kind", "failed")
    expect(page.locator("[data-offers] [data-contact]")).to_have_count(0)
    banner.get_by_role("button", name="Clear contact").click()
    expect(page.locator("[data-banners] [data-contact]")).to_have_count(0)
    # The chat still waits in the queue: cleared, the agent is offered it again.
    expect(page.locator("[data-offers] [data-contact]")).to_have_attribute(
        "data-contact-id", contact_id
    )
    expect(activity(page)).to_have_text("Incoming")


def test_a_next_status_shows_and_can_be_cancelled(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    page = sign_in("alice")
    go_available(page)
    phone.call()
    page.locator("[data-offers]").get_by_role("button", name="Accept").click()
    expect(activity(page)).to_have_text("On contact")
    status_of(page).select_option(label="Break")
    expect(page.locator("[data-next]")).to_have_text(re.compile(r"Next: Break"))
    expect(status_of(page)).to_have_value(center.seeded.statuses["Available"])
    page.get_by_role("button", name="Cancel next status").click()
    expect(page.locator("[data-next]")).to_be_hidden()


def test_a_supervisor_lands_on_the_dashboard_with_the_pages_of_the_role(
    center: Center, sign_in: SignIn
) -> None:
    page = sign_in("sam")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    links = page.get_by_role("navigation", name="Pages").get_by_role("link")
    expect(links).to_have_text(["CCP", "Dashboard", "Contacts", "Reports"])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/login?next=/reports")
    expect(page).to_have_url(re.compile(r"/reports$"))


@pytest.mark.parametrize("path", ["/dashboard", "/admin"])
def test_an_agent_cannot_open_the_supervisor_pages(
    center: Center, sign_in: SignIn, path: str
) -> None:
    page = sign_in("alice")
    answer = page.goto(path)
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator("main")).to_contain_text(path)
    expect(page.get_by_role("navigation", name="Pages").get_by_role("link")).to_have_text(["CCP"])


def test_signing_out_logs_the_agent_out_and_ends_the_session(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    page = sign_in("alice")
    go_available(page)
    contact_id = phone.call()
    page.locator("[data-offers]").get_by_role("button", name="Accept").click()
    expect(activity(page)).to_have_text("On contact")
    # Not while a customer is on the line: the agent stays, and is told why.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("[data-error]")).to_contain_text("Could not sign out")
    expect(page).to_have_url(re.compile(r"/ccp$"))
    phone.hang_up(contact_id)
    card(page, "ENDED").get_by_role("button", name="Clear contact").click()
    expect(page.locator("[data-contact]")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    instance = center.live.server.registry.get(center.seeded.instance_id)
    assert instance is not None
    agent = instance.engine.state.agents[center.seeded.users["alice"]]
    assert not agent.logged_in
    assert agent.status_id == center.seeded.statuses["Offline"]
    page.goto("/ccp")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fccp$"))


def test_a_contact_transferred_to_a_queue_goes_to_acw_here_and_is_offered_there(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    alice = sign_in("alice")
    bob = sign_in("bob")
    go_available(alice)
    contact_id = phone.call()
    offer = alice.locator("[data-offers] [data-contact]")
    expect(offer).to_have_attribute("data-contact-id", contact_id)
    offer.get_by_role("button", name="Accept").click()
    go_available(bob)

    connected = card(alice, "CONNECTED")
    connected.get_by_label("Transfer to queue").select_option(label="Sales")
    connected.get_by_role("button", name="Transfer").click()
    expect(card(alice, "ENDED")).to_contain_text("After contact work")
    expect(activity(alice)).to_have_text("After contact work")
    # The call, as a new contact, waits in Sales for a free agent: bob.
    transferred = bob.locator("[data-offers] [data-contact]")
    expect(transferred).to_contain_text("transfer")
    expect(transferred).not_to_have_attribute("data-contact-id", contact_id)
    expect(activity(bob)).to_have_text("Incoming")


def _shot(name: str) -> Any:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_the_ccp_works_from_the_keyboard_alone(
    center: Center, sign_in: SignIn, phone: PhoneLine
) -> None:
    page = sign_in("alice")
    expect(status_of(page)).to_be_enabled()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "status":
            break
    expect(status_of(page)).to_be_focused()
    page.keyboard.press("ArrowUp")  # Offline -> Available
    expect(activity(page)).to_have_text("Available")

    phone.call()
    accept = page.locator("[data-offers]").get_by_role("button", name="Accept")
    expect(accept).to_be_focused()  # the offer takes the keyboard
    page.keyboard.press("Enter")
    connected = card(page, "CONNECTED")
    expect(connected).to_be_visible()

    page.locator("[data-contacts] [data-contact]").focus()
    page.keyboard.press("Tab")
    expect(connected.get_by_role("button", name="Hold")).to_be_focused()
    page.keyboard.press("Enter")
    resume = card(page, "CONNECTED_ONHOLD").get_by_role("button", name="Resume")
    expect(resume).to_be_focused()  # Hold became Resume under the keyboard
    page.keyboard.press("Space")
    expect(card(page, "CONNECTED").get_by_role("button", name="Hold")).to_be_focused()


def test_the_ccp_is_a_softphone_column_on_a_laptop_and_fills_a_phone(
    center: Center, sign_in: SignIn
) -> None:
    phone_page = sign_in("alice")
    panel = phone_page.locator("[data-ccp]")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None
    assert box["width"] >= PHONE["width"] - 40  # edge to edge, but for the margins
    laptop = sign_in("bob", viewport={"width": 1280, "height": 800})
    box = laptop.locator("[data-ccp]").bounding_box()
    assert box is not None
    assert 340 <= box["width"] <= 380
    assert abs((box["x"] + box["width"] / 2) - 640) < 20  # centred
    # Nothing wider than the screen on the phone: no sideways scrolling.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_times_are_the_viewers_and_the_page_names_the_zone(center: Center, sign_in: SignIn) -> None:
    page = sign_in("alice")
    go_available(page)
    instance = center.live.server.registry.get(center.seeded.instance_id)
    assert instance is not None
    since = instance.engine.state.agents[center.seeded.users["alice"]].status_start
    local = datetime.fromtimestamp(since / 1000, ZoneInfo(TIME_ZONE)).strftime("%H:%M:%S")
    expect(page.locator("[data-status-timer]")).to_have_attribute("title", f"Since {local}")
    expect(page.locator("[data-zone]")).to_contain_text(f"Times in {TIME_ZONE}")
