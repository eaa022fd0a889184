"""Hypothesis profiles for the property suite.

`fast` is the default (the whole suite in well under a minute); `thorough` is for a long hunt:
`HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/property`. Neither reads or writes the
example database, so a run depends only on its seed.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    max_examples=300,
    stateful_step_count=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2_000,
    stateful_step_count=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
