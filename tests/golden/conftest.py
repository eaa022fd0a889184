"""Each example is run once per test session; tests read the files it wrote."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.golden.records import Output, run_example


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Output]:
    runs: dict[str, Output] = {}

    def get(name: str) -> Output:
        if name not in runs:
            runs[name] = run_example(name, tmp_path_factory.mktemp(name))
        return runs[name]

    return get
