"""What `switchboard serve` reads and writes besides requests: the sinks file and its JSON logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import orjson
import pytest

from switchboard.api.logs import JsonFormatter
from switchboard.sinks.config import SinkConfigError, load_sink_config
from switchboard.sinks.jsonl import JsonlSink
from switchboard.sinks.webhook import WebhookSink


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sinks.yaml"
    path.write_text(text)
    return path


def test_sinks_are_built_per_instance_alias_with_their_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
"*":
  - type: jsonl
    folder: {tmp_path / "stream"}
    hourly: true
acme:
  - type: webhook
    name: crm
    url: http://127.0.0.1:9/hook
    secret_env: HOOK_SECRET
""",
    )
    config = load_sink_config(path, environ={"HOOK_SECRET": "s3cret"})
    (files,) = config["*"]
    (hook,) = config["acme"]
    built = files("acme")
    assert isinstance(built, JsonlSink)
    assert built.name == "jsonl"
    webhook = hook("acme")
    assert isinstance(webhook, WebhookSink)
    assert webhook.name == "crm"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping of instance alias"),
        ('"*": {type: jsonl}', "must be a list of sinks"),
        ('"*": [{folder: x}]', "with a 'type'"),
        ('"*": [{type: kafka}]', "unknown sink type 'kafka'"),
        ('"*": [{type: jsonl, folder: x, colour: red}]', "unknown field(s) colour"),
        ('"*": [{type: jsonl}]', "needs 'folder'"),
        ('"*": [{type: webhook, url: "http://x", secret_env: NOPE}]', "NOPE is not set"),
        ('"*": [{type: kinesis, stream_agent_events: a}]', "needs 'stream_contact_records'"),
        ('"*": [unclosed', "sinks.yaml"),
    ],
)
def test_a_wrong_sinks_file_names_the_entry_and_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SinkConfigError) as refused:
        load_sink_config(write(tmp_path, text), environ={})
    assert message in str(refused.value)
    assert str(tmp_path / "sinks.yaml") in str(refused.value)


def test_an_empty_sinks_file_configures_none(tmp_path: Path) -> None:
    assert load_sink_config(write(tmp_path, ""), environ={}) == {}


def test_log_lines_are_json_objects_with_time_level_logger_message_and_extras() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("switchboard.test-logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("instance %s reopened", "acme", extra={"events": 12})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("a write failed")
    finally:
        logger.removeHandler(handler)
    first, second = (orjson.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "warning"
    assert first["logger"] == "switchboard.test-logs"
    assert first["message"] == "instance acme reopened"
    assert first["events"] == 12
    assert first["time"].endswith("+00:00")
    assert second["message"] == "a write failed"
    assert "ValueError: boom" in second["error"]
