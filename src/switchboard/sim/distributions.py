"""Random durations for the simulator: fixed, exponential, lognormal and empirical lists."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from switchboard.sim.scenario import ScriptError


@dataclass(frozen=True, slots=True)
class Distribution:
    """A duration in seconds; `sample` draws one in whole milliseconds."""

    kind: str
    mean: float
    sd: float = 0.0
    values: tuple[float, ...] = ()

    def sample(self, rng: random.Random) -> int:
        if self.kind == "fixed":
            seconds = self.mean
        elif self.kind == "exponential":
            seconds = rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0
        elif self.kind == "lognormal":
            # parameters of the underlying normal from the distribution's own mean and sd
            sigma2 = math.log(1 + (self.sd / self.mean) ** 2)
            seconds = rng.lognormvariate(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))
        else:  # empirical
            seconds = rng.choice(self.values)
        return round(seconds * 1000)

    @property
    def is_exponential(self) -> bool:
        return self.kind == "exponential"


FIXED_ZERO = Distribution("fixed", 0.0)


def parse_distribution(value: Any, where: str) -> Distribution:
    """`{dist: fixed, value: 5}`, `{dist: exponential, mean: 180}`,
    `{dist: lognormal, mean: 180, sd: 60}`, `{dist: empirical, values: [...]}`, or a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _checked(Distribution("fixed", float(value)), where)
    if not isinstance(value, dict):
        raise ScriptError(f"{where}: expected a number or {{dist: ...}}, got {value!r}")
    kind = value.get("dist")
    try:
        if kind == "fixed":
            dist = Distribution("fixed", float(value["value"]))
        elif kind == "exponential":
            dist = Distribution("exponential", float(value["mean"]))
        elif kind == "lognormal":
            dist = Distribution("lognormal", float(value["mean"]), float(value["sd"]))
        elif kind == "empirical":
            values = tuple(float(v) for v in value["values"])
            if not values:
                raise ScriptError(f"{where}: an empirical distribution needs values")
            dist = Distribution("empirical", sum(values) / len(values), values=values)
        else:
            raise ScriptError(
                f"{where}: unknown dist {kind!r} (fixed, exponential, lognormal, empirical)"
            )
    except ScriptError:
        raise
    except KeyError as missing:
        raise ScriptError(f"{where}: {kind} needs {missing.args[0]!r}") from None
    except (TypeError, ValueError):
        raise ScriptError(f"{where}: not numbers: {value!r}") from None
    return _checked(dist, where)


def _checked(dist: Distribution, where: str) -> Distribution:
    if dist.mean < 0 or dist.sd < 0 or any(v < 0 for v in dist.values):
        raise ScriptError(f"{where}: durations cannot be negative")
    if dist.kind == "lognormal" and dist.mean <= 0:
        raise ScriptError(f"{where}: a lognormal needs a positive mean")
    return dist
