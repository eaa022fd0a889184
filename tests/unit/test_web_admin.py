"""The admin page's data: statuses in display order (disabled ones too) and users' settings."""

from __future__ import annotations

from switchboard.api.registry import UserExtras
from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, Channel, StatusId
from switchboard.web.admin import status_lines, user_lines
from tests.unit.test_web_dashboard import START, center


def test_status_lines_list_every_status_in_display_order_and_say_which_can_be_disabled() -> None:
    instance, _ = center()
    lines = status_lines(instance)
    assert [(s["name"], s["order"], s["enabled"], s["custom"]) for s in lines] == [
        ("Available", 1, True, False),
        ("Lunch", 2, True, True),
        ("Offline", 2, True, False),
        ("Training", 2, False, True),
        ("Break", 3, True, True),
    ]


def test_user_lines_show_security_profiles_routing_profile_and_voice_settings() -> None:
    instance, _ = center()
    manager = next(p for p in instance.security_profiles.values() if p.name == "CallCenterManager")
    instance.users[AgentId("bob")] = UserExtras(security_profile_ids=(manager.id,))
    instance.engine.execute(
        cmd.UpdateUserPhoneConfig(
            agent_id=AgentId("bob"),
            acw_timeout_ms=((Channel.VOICE, 30_000),),
            auto_accept=((Channel.VOICE, True),),
        ),
        at=START,
    )
    alice, bob = user_lines(instance)
    assert (alice.username, alice.acw_limit_s, alice.auto_accept) == ("alice", 0, False)
    assert (bob.username, bob.name, bob.routing_profile) == ("bob", "Bob Tester", "Sales")
    assert bob.security_profiles == ("CallCenterManager",)
    assert (bob.acw_limit_s, bob.auto_accept) == (30, True)


def test_a_renamed_status_keeps_its_place() -> None:
    instance, _ = center()
    instance.engine.execute(
        cmd.UpdateAgentStatus(status_id=StatusId("break"), name="Coffee", display_order=1),
        at=START,
    )
    assert [s["name"] for s in status_lines(instance)][:2] == ["Available", "Coffee"]
