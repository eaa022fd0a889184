"""GetMetricDataV2 through boto3: historical metrics of a scripted day at the desk.

The script (whole seconds, so that contact records' durations are exact):
amy and ben are Available; a task goes to amy (60 s, ACW 10 s), a queued outbound call to ben
(30 s, ACW 5 s), a second task to amy (20 s, ACW 0 s); both take a Break; a call then waits
25 s in the queue and the customer hangs up; 5 s later the window ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.conftest import KEY_ID, REGION, SECRET, Desk, LiveServer


@dataclass
class Day:
    desk: Desk
    amy: str
    ben: str
    start: int
    """Seconds since the epoch: the window opens once both agents are Available."""
    break_at: int
    end: int

    def ask(self, metrics: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
        extra.setdefault("Filters", [{"FilterKey": "QUEUE", "FilterValues": [self.desk.queue]}])
        extra.setdefault("StartTime", datetime.fromtimestamp(self.start, UTC))
        extra.setdefault("EndTime", datetime.fromtimestamp(self.end, UTC))
        answer = self.desk.client.get_metric_data_v2(
            ResourceArn=self.desk.arn, Metrics=metrics, **extra
        )
        results: list[dict[str, Any]] = answer["MetricResults"]
        return results


def values(result: dict[str, Any]) -> dict[str, float | None]:
    return {c["Metric"]["Name"]: c.get("Value") for c in result["Collections"]}


def named(*names: str) -> list[dict[str, Any]]:
    return [{"Name": name} for name in names]


@pytest.fixture(scope="module")
def day(live_server: LiveServer) -> Day:
    client = boto3.client(
        "connect",
        endpoint_url=live_server.url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    desk = Desk(live_server, client)
    amy = desk.agent("amy")
    desk.advance(1)
    ben = desk.agent("ben")
    desk.advance(1)
    start = live_server.clock.now() // 1000

    first = desk.task("First")
    desk.accept(amy, first)
    desk.advance(60)
    desk.hang_up(amy, first)
    desk.advance(10)
    desk.clear(amy, first)

    call = desk.outbound_call()
    desk.accept(ben, call)
    desk.advance(30)
    desk.hang_up(ben, call)
    desk.advance(5)
    desk.clear(ben, call)

    second = desk.task("Second")
    desk.accept(amy, second)
    desk.advance(20)
    desk.hang_up(amy, second)
    desk.clear(amy, second)

    desk.status(amy, desk.brk)
    desk.status(ben, desk.brk)
    break_at = live_server.clock.now() // 1000
    lost = desk.outbound_call()
    desk.advance(25)
    desk.stop(lost, "CUSTOMER_DISCONNECT")
    desk.advance(5)
    return Day(desk, amy, ben, start, break_at, live_server.clock.now() // 1000)


# --------------------------------------------------------------------------- contact records


def test_contact_metrics_of_the_day_for_the_queue(day: Day) -> None:
    (result,) = day.ask(
        [
            *named(
                "CONTACTS_HANDLED",
                "CONTACTS_ABANDONED",
                "CONTACTS_QUEUED",
                "AVG_HANDLE_TIME",
                "AVG_AFTER_CONTACT_WORK_TIME",
                "SUM_AFTER_CONTACT_WORK_TIME",
                "MAX_QUEUED_TIME",
                "AVG_ABANDON_TIME",
            ),
            {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 20}]},
        ]
    )
    assert result["Dimensions"] == {}
    assert result["MetricInterval"]["Interval"] == "TOTAL"
    assert result["MetricInterval"]["StartTime"].timestamp() == day.start
    assert result["MetricInterval"]["EndTime"].timestamp() == day.end
    assert values(result) == {
        "CONTACTS_HANDLED": 3.0,
        "CONTACTS_ABANDONED": 1.0,
        "CONTACTS_QUEUED": 4.0,
        "AVG_HANDLE_TIME": round((70 + 35 + 20) / 3, 3),
        "AVG_AFTER_CONTACT_WORK_TIME": 5.0,
        "SUM_AFTER_CONTACT_WORK_TIME": 15.0,
        "MAX_QUEUED_TIME": 25.0,
        "AVG_ABANDON_TIME": 25.0,
        "SERVICE_LEVEL": 75.0,  # 3 answered at once, 1 abandoned after 25 s
    }
    service_level = result["Collections"][-1]["Metric"]
    assert service_level["Threshold"] == [{"Comparison": "LTE", "ThresholdValue": 20.0}]


def test_contacts_handled_grouped_by_agent_and_by_channel(day: Day) -> None:
    by_agent = day.ask(named("CONTACTS_HANDLED", "AVG_HANDLE_TIME"), Groupings=["AGENT"])
    handled = {r["Dimensions"]["AGENT"]: values(r) for r in by_agent}
    assert handled == {
        day.amy: {"CONTACTS_HANDLED": 2.0, "AVG_HANDLE_TIME": 45.0},
        day.ben: {"CONTACTS_HANDLED": 1.0, "AVG_HANDLE_TIME": 35.0},
    }
    assert all(r["Dimensions"]["AGENT_ARN"].endswith(r["Dimensions"]["AGENT"]) for r in by_agent)

    by_channel = day.ask(named("CONTACTS_HANDLED", "CONTACTS_ABANDONED"), Groupings=["CHANNEL"])
    assert {r["Dimensions"]["CHANNEL"]: values(r) for r in by_channel} == {
        "TASK": {"CONTACTS_HANDLED": 2.0, "CONTACTS_ABANDONED": 0.0},
        "VOICE": {"CONTACTS_HANDLED": 1.0, "CONTACTS_ABANDONED": 1.0},
    }


def test_an_agent_filter_keeps_only_that_agents_contacts(day: Day) -> None:
    (result,) = day.ask(
        named("CONTACTS_HANDLED"),
        Filters=[{"FilterKey": "AGENT", "FilterValues": [day.ben]}],
    )
    assert values(result) == {"CONTACTS_HANDLED": 1.0}


def test_intervals_split_the_window_and_add_up_to_the_total(day: Day) -> None:
    results = day.ask(named("CONTACTS_HANDLED"), Interval={"IntervalPeriod": "FIFTEEN_MIN"})
    assert results, "the day has contacts"
    assert sum(values(r)["CONTACTS_HANDLED"] or 0 for r in results) == 3
    for result in results:
        interval = result["MetricInterval"]
        assert interval["Interval"] == "FIFTEEN_MIN"
        begin, finish = interval["StartTime"].timestamp(), interval["EndTime"].timestamp()
        assert day.start <= begin < finish <= day.end
        assert finish - begin <= 15 * 60


def test_results_page_with_max_results_and_next_token(day: Day) -> None:
    first = day.desk.client.get_metric_data_v2(
        ResourceArn=day.desk.arn,
        StartTime=datetime.fromtimestamp(day.start, UTC),
        EndTime=datetime.fromtimestamp(day.end, UTC),
        Filters=[{"FilterKey": "QUEUE", "FilterValues": [day.desk.queue]}],
        Groupings=["AGENT"],
        Metrics=named("CONTACTS_HANDLED"),
        MaxResults=1,
    )
    assert len(first["MetricResults"]) == 1
    second = day.desk.client.get_metric_data_v2(
        ResourceArn=day.desk.arn,
        StartTime=datetime.fromtimestamp(day.start, UTC),
        EndTime=datetime.fromtimestamp(day.end, UTC),
        Filters=[{"FilterKey": "QUEUE", "FilterValues": [day.desk.queue]}],
        Groupings=["AGENT"],
        Metrics=named("CONTACTS_HANDLED"),
        MaxResults=1,
        NextToken=first["NextToken"],
    )
    assert len(second["MetricResults"]) == 1
    assert "NextToken" not in second
    agents = {r["Dimensions"]["AGENT"] for r in first["MetricResults"] + second["MetricResults"]}
    assert agents == {day.amy, day.ben}


# --------------------------------------------------------------------------- agent activity


def test_agent_time_in_the_window_from_the_agent_event_stream(day: Day) -> None:
    results = day.ask(
        named(
            "SUM_ONLINE_TIME_AGENT",
            "SUM_NON_PRODUCTIVE_TIME_AGENT",
            "SUM_CONTACT_TIME_AGENT",
            "SUM_IDLE_TIME_AGENT",
            "AGENT_OCCUPANCY",
        ),
        Filters=[{"FilterKey": "AGENT", "FilterValues": [day.amy, day.ben]}],
        Groupings=["AGENT"],
    )
    by_agent = {r["Dimensions"]["AGENT"]: values(r) for r in results}
    window = day.end - day.start
    on_break = day.end - day.break_at
    for agent in (day.amy, day.ben):
        got = by_agent[agent]
        assert got["SUM_ONLINE_TIME_AGENT"] == window, "Available then Break: online throughout"
        assert got["SUM_NON_PRODUCTIVE_TIME_AGENT"] == on_break
        contact, idle = got["SUM_CONTACT_TIME_AGENT"], got["SUM_IDLE_TIME_AGENT"]
        assert contact is not None
        assert idle is not None
        assert contact + idle + on_break == window
        assert got["AGENT_OCCUPANCY"] == round(contact * 100 / (contact + idle), 2)
    assert by_agent[day.amy]["SUM_CONTACT_TIME_AGENT"] == 70 + 20
    assert by_agent[day.ben]["SUM_CONTACT_TIME_AGENT"] == 35


def test_a_window_opening_mid_status_counts_only_its_own_time(day: Day) -> None:
    (result,) = day.ask(
        named("SUM_ONLINE_TIME_AGENT", "SUM_NON_PRODUCTIVE_TIME_AGENT"),
        Filters=[{"FilterKey": "AGENT", "FilterValues": [day.amy]}],
        StartTime=datetime.fromtimestamp(day.break_at + 10, UTC),
    )
    assert values(result) == {
        "SUM_ONLINE_TIME_AGENT": day.end - day.break_at - 10,
        "SUM_NON_PRODUCTIVE_TIME_AGENT": day.end - day.break_at - 10,
    }


def test_a_routing_profile_filter_reads_its_agents(day: Day) -> None:
    (result,) = day.ask(
        named("SUM_NON_PRODUCTIVE_TIME_AGENT", "CONTACTS_HANDLED"),
        Filters=[{"FilterKey": "ROUTING_PROFILE", "FilterValues": [day.desk.profile]}],
    )
    assert values(result) == {
        "SUM_NON_PRODUCTIVE_TIME_AGENT": 2.0 * (day.end - day.break_at),
        "CONTACTS_HANDLED": 3.0,
    }


# --------------------------------------------------------------------------- refusals


def refusal(day: Day, **request: Any) -> tuple[str, str]:
    request.setdefault("ResourceArn", day.desk.arn)
    request.setdefault("StartTime", datetime.fromtimestamp(day.start, UTC))
    request.setdefault("EndTime", datetime.fromtimestamp(day.end, UTC))
    request.setdefault("Filters", [{"FilterKey": "QUEUE", "FilterValues": [day.desk.queue]}])
    request.setdefault("Metrics", named("CONTACTS_HANDLED"))
    with pytest.raises(ClientError) as caught:
        day.desk.client.get_metric_data_v2(**request)
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_an_unsupported_metric_is_named_with_the_supported_ones(day: Day) -> None:
    code, message = refusal(day, Metrics=named("AVG_BOT_CONVERSATION_TIME"))
    assert code == "InvalidParameterException"
    assert "AVG_BOT_CONVERSATION_TIME" in message
    assert "CONTACTS_HANDLED" in message
    assert "AGENT_OCCUPANCY" in message


def test_agent_activity_metrics_refuse_a_queue_filter_or_grouping(day: Day) -> None:
    code, message = refusal(day, Metrics=named("AGENT_OCCUPANCY"))
    assert code == "InvalidParameterException"
    assert "AGENT_OCCUPANCY" in message
    code, _ = refusal(
        day,
        Filters=[{"FilterKey": "AGENT", "FilterValues": [day.amy]}],
        Groupings=["CHANNEL"],
        Metrics=named("SUM_ONLINE_TIME_AGENT"),
    )
    assert code == "InvalidParameterException"


@pytest.mark.parametrize(
    ("request_part", "code", "named_in_message"),
    [
        (
            {"ResourceArn": "arn:aws:connect:us-east-1:1:instance/nope"},
            "ResourceNotFoundException",
            "ResourceArn",
        ),
        (
            {"Filters": [{"FilterKey": "QUEUE", "FilterValues": ["nope"]}]},
            "ResourceNotFoundException",
            "Filters[0].FilterValues[0]",
        ),
        (
            {"Filters": [{"FilterKey": "AGENT", "FilterValues": ["nobody"]}]},
            "ResourceNotFoundException",
            "Filters[0].FilterValues[0]",
        ),
        (
            {"Filters": [{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}]},
            "InvalidParameterException",
            "QUEUE, ROUTING_PROFILE or AGENT",
        ),
        (
            {"Filters": [{"FilterKey": "FEATURE", "FilterValues": ["x"]}]},
            "InvalidParameterException",
            "Filters[0].FilterKey",
        ),
        ({"Groupings": ["ROUTING_STEP_EXPRESSION"]}, "InvalidParameterException", "Groupings[0]"),
        (
            {"Interval": {"IntervalPeriod": "WEEK"}},
            "InvalidParameterException",
            "Interval.IntervalPeriod",
        ),
        (
            {"Interval": {"TimeZone": "Mars/Olympus"}},
            "InvalidParameterException",
            "Interval.TimeZone",
        ),
        ({"Metrics": named("SERVICE_LEVEL")}, "InvalidParameterException", "Threshold"),
        (
            {
                "Metrics": [
                    {
                        "Name": "SERVICE_LEVEL",
                        "Threshold": [{"Comparison": "LTE", "ThresholdValue": 17}],
                    }
                ]
            },
            "InvalidParameterException",
            "ThresholdValue",
        ),
    ],
)
def test_refusals_name_what_is_wrong(
    day: Day, request_part: dict[str, Any], code: str, named_in_message: str
) -> None:
    got_code, message = refusal(day, **request_part)
    assert got_code == code
    assert named_in_message in message


def test_a_window_that_ends_before_it_starts_or_in_the_future_is_refused(day: Day) -> None:
    code, message = refusal(day, EndTime=datetime.fromtimestamp(day.start - 60, UTC))
    assert code == "InvalidParameterException"
    assert "StartTime" in message
    code, message = refusal(day, EndTime=datetime.fromtimestamp(day.end + 3600, UTC))
    assert code == "InvalidParameterException"
    assert "EndTime" in message
