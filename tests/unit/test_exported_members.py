"""The public surface: ``__all__`` is sorted, complete, and every name resolves."""

from __future__ import annotations

import pulumi_datadog_testing as pkg


def test_all_is_sorted_and_matches_the_lazy_exports() -> None:
    assert pkg.__all__ == sorted(pkg.__all__)
    assert set(pkg.__all__) == {*pkg._EXPORTS, "__version__"}


def test_every_exported_name_resolves_to_its_class() -> None:
    for name in pkg._EXPORTS:
        value = getattr(pkg, name)
        assert value.__name__ == name, name


def test_resource_classes_carry_their_type_tokens() -> None:
    from pulumi_datadog_testing.type_tokens import TYPE_TOKENS

    resources = [n for n in pkg._EXPORTS if not n.endswith("Args")]
    tokens = {getattr(pkg, n)._resource_type_name for n in resources}
    assert {f"pulumi-python:{t}" for t in tokens} == set(TYPE_TOKENS)
