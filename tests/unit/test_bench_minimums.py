"""The benchmark's call minimums agree with the provider they measure.

``benchmarks/pdt_bench/minimums.py`` repeats how the provider splits flaky-test ids into search
queries on purpose: the hand-written baseline script must not import this package (its time and
memory are a plain ``datadog-api-client`` script's). This test keeps the copy honest, so the
documented minimum number of searches is the provider's."""

from __future__ import annotations

import pytest
from benchmarks.pdt_bench import minimums
from benchmarks.pdt_bench.shape import BULK_REPOSITORY, REPOSITORY, fake_test_ids

from pulumi_datadog_testing.resources import _flaky


def test_the_query_length_cap_is_the_providers() -> None:
    assert minimums.MAX_QUERY_CHARS == _flaky.MAX_QUERY_CHARS


@pytest.mark.parametrize("count", [0, 1, 389, 390, 391, 1_000, 20_000])
@pytest.mark.parametrize("repository", [REPOSITORY, BULK_REPOSITORY])
def test_the_benchmark_splits_ids_into_the_providers_queries(repository: str, count: int) -> None:
    ids = fake_test_ids(count, salt=7)
    assert minimums.flaky_queries(repository, ids) == _flaky.id_queries(repository, ids)
