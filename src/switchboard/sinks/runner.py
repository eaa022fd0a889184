"""The sink runner: a thread per sink reads from its offset, delivers, commits, backs off on error.

A thread, not an asyncio task: the engine and its drivers are synchronous, and some sinks block
(fsync, redis-py); a thread per sink means the engine thread only appends to the outbox and never
waits on any sink, and one slow or failing sink never delays another. Sinks built on asyncio
clients (nats-py) run their own event loop inside their runner's thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from switchboard.engine.outbox import Outbox
from switchboard.sinks.base import Sink

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff between failed attempts: initial, times factor each time, at most cap."""

    initial_s: float = 0.1
    factor: float = 2.0
    cap_s: float = 30.0

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th consecutive failure (1, 2, 3, …)."""
        if failures < 1:
            return 0.0
        # Past the cap the power would only overflow; the exponent is bounded first.
        exponent = min(failures - 1, 64)
        return min(self.cap_s, self.initial_s * self.factor**exponent)


class SinkRunner:
    """Delivers one sink's records from its committed offset, at least once, in outbox order.

    `pump_once` is one step (read a batch, deliver, commit) for deterministic tests and benches;
    `start` runs the steps in a daemon thread until `stop`.
    """

    def __init__(
        self,
        outbox: Outbox,
        sink: Sink,
        *,
        batch_size: int = 500,
        backoff: Backoff | None = None,
        poll_s: float = 0.05,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._outbox = outbox
        self._sink = sink
        self._batch_size = batch_size
        self._backoff = backoff or Backoff()
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stopping = False
        self._drain = True
        self._thread: threading.Thread | None = None
        self.failures = 0
        """Consecutive failed deliveries (0 after any success)."""
        self.last_error: BaseException | None = None
        self.delivered = 0
        """Records delivered (and committed) by this runner."""

    @property
    def sink(self) -> Sink:
        return self._sink

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def pump_once(self) -> int:
        """Deliver the next batch after the committed offset and commit it; the count delivered.

        Raises whatever the sink raised, having committed nothing.
        """
        name = self._sink.name
        records = self._outbox.read(self._outbox.offset(name), self._batch_size)
        if not records:
            return 0
        self._sink.deliver(records)
        self._outbox.commit(name, records[-1].position)
        self.delivered += len(records)
        return len(records)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"sink runner {self._sink.name!r} already started")
        self._thread = threading.Thread(
            target=self._run, name=f"sink-{self._sink.name}", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """New records are in the outbox: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, *, drain: bool = True, timeout_s: float | None = 10.0) -> bool:
        """Stop the thread and close the sink; True when the thread ended within `timeout_s`.

        With `drain`, the runner first delivers what the outbox holds, unless the sink is failing
        (what is left stays in the outbox, uncommitted, and is delivered after the next start).
        Without it, the runner stops after the batch in hand.
        """
        self._drain = drain
        self._stopping = True
        self._wake.set()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            ended = not self._thread.is_alive()
        if ended:
            self._sink.close()
        return ended

    def _run(self) -> None:
        while True:
            try:
                count = self.pump_once()
            except Exception as error:  # any sink failure: back off and try the same batch again
                self.failures += 1
                self.last_error = error
                delay = self._backoff.delay(self.failures)
                log.warning(
                    "sink %s: delivery failed (%d in a row, next try in %.2fs): %r",
                    self._sink.name,
                    self.failures,
                    delay,
                    error,
                )
                if self._stopping:
                    return
                self._wake.wait(delay)
                self._wake.clear()
                continue
            self.failures = 0
            if self._stopping and (count == 0 or not self._drain):
                return
            if count == 0:
                self._wake.wait(self._poll_s)
                self._wake.clear()
