"""Event sinks: the engine's published records delivered at-least-once from the outbox.

What each sink writes, and how consumers dedupe and verify it: docs/sinks.md.
"""

from __future__ import annotations

from switchboard.sinks.base import STREAM_NAMES, Sink
from switchboard.sinks.runner import Backoff, SinkRunner

__all__ = ["STREAM_NAMES", "Backoff", "Sink", "SinkRunner"]
