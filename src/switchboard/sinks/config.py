"""Sinks from a YAML file: which sinks each instance of `switchboard serve --sinks FILE` feeds.

```yaml
"*":                      # every instance (or an instance alias: that instance only)
  - type: jsonl           # jsonl | nats | redis | webhook | kinesis
    folder: out/stream    # each instance writes to <folder>/<instance alias>/
    hourly: true
  - type: webhook
    url: https://example.com/hook
    secret_env: HOOK_SECRET   # the HMAC key is read from this environment variable
```
Each sink's name (its durable offset in the instance's outbox) is `name`, else its type.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from switchboard.sinks.base import Sink
from switchboard.sinks.jetstream import JetStreamSink
from switchboard.sinks.jsonl import JsonlSink
from switchboard.sinks.kinesis import KinesisSink
from switchboard.sinks.redis_streams import RedisStreamsSink
from switchboard.sinks.webhook import WebhookSink

__all__ = ["SinkConfigError", "SinkSpec", "load_sink_config"]


class SinkConfigError(ValueError):
    """The sinks file is wrong; the message names the file, the entry and the field."""


SinkSpec = Callable[[str], Sink]
"""Builds one sink for an instance, given the instance's alias."""

_FIELDS: dict[str, set[str]] = {
    "jsonl": {"folder", "hourly", "max_bytes", "layout", "prefix"},
    "nats": {"servers", "stream", "subject_prefix"},
    "redis": {"url", "prefix", "maxlen"},
    "webhook": {"url", "secret_env", "dead_letter", "max_attempts"},
    "kinesis": {"stream_agent_events", "stream_contact_records", "endpoint_url", "region"},
}


def load_sink_config(
    path: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, list[SinkSpec]]:
    """The sinks of each instance alias (`"*"`: every instance), checked before any is built."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise SinkConfigError(f"{path}: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise SinkConfigError(f"{path}: expected a mapping of instance alias to a list of sinks")
    config: dict[str, list[SinkSpec]] = {}
    for alias, entries in document.items():
        if not isinstance(entries, list):
            raise SinkConfigError(f"{path}: {alias!r} must be a list of sinks")
        config[str(alias)] = [
            _spec(entry, f"{path}: {alias}[{index}]", environ)
            for index, entry in enumerate(entries)
        ]
    return config


def _spec(entry: Any, where: str, environ: Mapping[str, str]) -> SinkSpec:
    if not isinstance(entry, dict) or "type" not in entry:
        raise SinkConfigError(f"{where}: each sink is a mapping with a 'type'")
    kind = str(entry["type"])
    if kind not in _FIELDS:
        raise SinkConfigError(f"{where}: unknown sink type {kind!r} (one of {', '.join(_FIELDS)})")
    unknown = set(entry) - _FIELDS[kind] - {"type", "name"}
    if unknown:
        raise SinkConfigError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))} for a {kind} sink "
            f"(allowed: {', '.join(sorted(_FIELDS[kind]))}, name)"
        )
    name = str(entry.get("name", kind))
    options = {k: v for k, v in entry.items() if k not in {"type", "name"}}
    if kind == "jsonl":
        if "folder" not in options:
            raise SinkConfigError(f"{where}: a jsonl sink needs 'folder'")
        folder = Path(str(options.pop("folder")))
        return lambda alias: JsonlSink(folder / alias, name=name, **options)
    if kind == "nats":
        return lambda alias: JetStreamSink(name=name, **options)
    if kind == "redis":
        return lambda alias: RedisStreamsSink(name=name, **options)
    if kind == "webhook":
        for required in ("url", "secret_env"):
            if required not in options:
                raise SinkConfigError(f"{where}: a webhook sink needs {required!r}")
        variable = str(options.pop("secret_env"))
        secret = environ.get(variable)
        if not secret:
            raise SinkConfigError(f"{where}: the environment variable {variable} is not set")
        url = str(options.pop("url"))
        dead = Path(str(options.pop("dead_letter", f"{name}.dead-letter.jsonl")))
        return lambda alias: WebhookSink(
            url,
            secret=secret.encode(),
            dead_letter=dead.with_name(f"{alias}.{dead.name}"),
            name=name,
            **options,
        )
    for required in ("stream_agent_events", "stream_contact_records"):
        if required not in options:
            raise SinkConfigError(f"{where}: a kinesis sink needs {required!r}")
    return lambda alias: KinesisSink(name=name, **options)
