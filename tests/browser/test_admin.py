"""The admin page in a real browser: statuses, users and access keys, for admins only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, Center
from tests.browser.test_dashboard import DESKTOP
from tests.server_harness import PASSWORD

SignIn = Any


@pytest.fixture
def admin(center: Center) -> str:
    """A user with the Admin security profile."""
    seeded = center.seeded
    center.live.connect().create_user(
        InstanceId=seeded.instance_id,
        Username="ada",
        Password=PASSWORD,
        IdentityInfo={"FirstName": "Ada", "LastName": "Admin"},
        PhoneConfig={"PhoneType": "SOFT_PHONE"},
        SecurityProfileIds=[seeded.security_profiles["Admin"]],
        RoutingProfileId=seeded.profiles["Sales"],
    )
    return "ada"


def saved(page: Any, text: str) -> None:
    expect(page.locator("[data-admin-status]")).to_have_text(text)


def test_an_admin_creates_renames_orders_and_disables_a_status(
    center: Center, sign_in: SignIn, admin: str
) -> None:
    page = sign_in(admin, viewport=DESKTOP)
    page.goto("/admin")
    create = page.get_by_role("form", name="New status")
    create.get_by_label("Name").fill("Lunch")
    create.get_by_role("button", name="Create status").click()
    saved(page, "Status created")
    lunch = page.get_by_role("form", name="Status Lunch")
    expect(lunch.get_by_label("Name of Lunch")).to_have_value("Lunch")
    lunch.get_by_label("Name of Lunch").fill("Long lunch")
    lunch.get_by_label("Display order of Lunch").fill("2")
    lunch.get_by_label("Enabled").uncheck()
    lunch.get_by_role("button", name="Save").click()
    saved(page, "Saved Lunch")
    statuses = {
        s["Name"]: s
        for s in center.live.connect().list_agent_statuses(InstanceId=center.seeded.instance_id)[
            "AgentStatusSummaryList"
        ]
    }
    assert "Lunch" not in statuses
    described = center.live.connect().describe_agent_status(
        InstanceId=center.seeded.instance_id, AgentStatusId=statuses["Long lunch"]["Id"]
    )["AgentStatus"]
    assert (described["State"], described["DisplayOrder"]) == ("DISABLED", 2)
    # The domain's rules answer in words: status names are unique.
    create.get_by_label("Name").fill("Break")
    create.get_by_role("button", name="Create status").click()
    saved(page, "an agent status named 'Break' already exists")
    page.screenshot(path=str(SCREENSHOTS / "admin.png"), full_page=True)


def test_an_admin_creates_a_user_sets_acw_and_auto_accept_and_resets_a_password(
    center: Center, sign_in: SignIn, admin: str, browser: Any
) -> None:
    page = sign_in(admin, viewport=DESKTOP)
    page.goto("/admin")
    create = page.get_by_role("form", name="New user")
    create.get_by_label("Username").fill("dora")
    create.get_by_label("First name").fill("Dora")
    create.get_by_label("Last name").fill("Agent")
    create.get_by_label("Password").fill("weak")
    create.get_by_label("Security profile").select_option(label="Agent")
    create.get_by_role("button", name="Create user").click()
    saved(page, re.compile("^Password must be 8 to 64 characters"))
    create.get_by_label("Password").fill("D0raPassword")
    create.get_by_role("button", name="Create user").click()
    saved(page, "User created")
    row = page.locator("tr[data-user-row='dora']")
    expect(row).to_contain_text("Agent")
    expect(row).to_contain_text("Sales")
    row.get_by_label("ACW limit of dora in seconds").fill("30")
    row.get_by_label("Auto-accept for dora").check()
    row.get_by_role("button", name="Save").click()
    saved(page, "Saved dora's phone settings")
    user_id = page.locator("tr[data-user-row='dora']").get_attribute("data-user-id")
    phone = center.live.connect().describe_user(
        InstanceId=center.seeded.instance_id, UserId=user_id
    )
    assert phone["User"]["PhoneConfig"]["AfterContactWorkTimeLimit"] == 30
    assert phone["User"]["PhoneConfig"]["AutoAccept"] is True

    row = page.locator("tr[data-user-row='dora']")
    row.get_by_label("New password for dora").fill("N3wPassword")
    row.get_by_role("button", name="Reset password").click()
    saved(page, "Password of dora reset")
    dora = sign_in("dora", password="N3wPassword")
    expect(dora).to_have_url(re.compile(r"/ccp$"))


def test_an_admin_issues_and_deletes_an_access_key(
    center: Center, sign_in: SignIn, admin: str
) -> None:
    page = sign_in(admin, viewport=DESKTOP)
    page.goto("/admin")
    row = page.locator("tr[data-user-row='alice']")
    row.get_by_role("button", name="Create an access key for alice").click()
    secret = page.locator("[data-secret]")
    expect(secret).to_be_visible()
    key_id = secret.locator("[data-secret-id]").inner_text()
    secret_key = secret.locator("[data-secret-key]").inner_text()
    assert key_id.startswith("SBAK")
    expect(row.get_by_role("list", name="Access keys of alice")).to_contain_text(key_id)
    # The key signs Connect API calls as alice.
    client = center.live.connect(key_id, secret_key)
    client.describe_user(InstanceId=center.seeded.instance_id, UserId=center.seeded.users["alice"])
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Delete access key {key_id}").click()
    saved(page, f"Access key {key_id} deleted")
    expect(row.get_by_role("list", name="Access keys of alice")).not_to_contain_text(key_id)


def test_a_supervisor_cannot_change_the_configuration(center: Center, sign_in: SignIn) -> None:
    page = sign_in("sam", viewport=DESKTOP)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    answer = page.request.post(
        "/admin/api/queues",
        data={"Name": "Sneaky"},
        headers={"X-CSRF-Token": page.locator("meta[name='csrf-token']").get_attribute("content")},
    )
    assert answer.status == 403
    assert answer.json()["code"] == "AccessDenied"


def test_an_admin_creates_a_queue_and_a_routing_profile_that_serves_it(
    center: Center, sign_in: SignIn, admin: str
) -> None:
    page = sign_in(admin, viewport=DESKTOP)
    page.goto("/admin")
    queue = page.get_by_role("form", name="New queue")
    queue.get_by_label("Name").fill("Support")
    queue.get_by_label("Description").fill("Help desk")
    queue.get_by_role("button", name="Create queue").click()
    saved(page, "Queue created")
    expect(page.get_by_role("table", name="Queues")).to_contain_text("Support")
    profile = page.get_by_role("form", name="New routing profile")
    profile.get_by_label("Name").fill("Support desk")
    profile.get_by_label("Description").fill("Support agents")
    profile.get_by_label("Default outbound queue").select_option(label="Support")
    profile.get_by_label("Chat slots").fill("3")
    profile.get_by_role("checkbox", name="Support").check()
    profile.get_by_role("button", name="Create routing profile").click()
    saved(page, "Routing profile created")
    row = (
        page.get_by_role("table", name="Routing profiles")
        .get_by_role("row")
        .filter(has_text="Support desk")
    )
    expect(row).to_contain_text("Voice 1 · Chat 3")
    expect(row).to_contain_text("Support (Chat), Support (Voice)")
    profiles = center.live.connect().list_routing_profiles(InstanceId=center.seeded.instance_id)
    assert "Support desk" in {p["Name"] for p in profiles["RoutingProfileSummaryList"]}
