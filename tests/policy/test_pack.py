"""The ready pack in policy-pack/: composition, files, example config and README table.

The folder is what ``pulumi_datadog_testing.policy.pack`` writes; the pack's real process
(its policies, schemas and levels as served) is exercised in test_pack_process.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pulumi_datadog_testing.policy import (
    CONFIG_MODELS,
    PACK_NAME,
    POLICY_FACTORIES,
    all_policies,
    default_config,
)
from pulumi_datadog_testing.policy._config import load_config
from pulumi_datadog_testing.policy.pack import ready_pack_files
from tests.policy.harness import wire
from tests.policy.test_config_schemas import engine_schema

PACK = Path(__file__).resolve().parents[2] / "policy-pack"


def test_the_folder_is_the_library_ready_pack() -> None:
    """policy-pack/ holds exactly what the library writes (launcher choosing Python at run time),
    so the pack in the repository and the one `policy-pack` materialises cannot drift."""
    for name, file in ready_pack_files().items():
        assert (PACK / name).read_text() == file.text, name
        assert os.access(PACK / name, os.X_OK) == file.executable, name


def test_pack_main_only_starts_the_library_pack() -> None:
    source = (PACK / "__main__.py").read_text()
    assert "from pulumi_datadog_testing.policy.pack import serve" in source
    assert re.findall(r"^def (\w+)", source, re.MULTILINE) == []
    assert PACK_NAME == "datadog-testing-guardrails"


def test_pulumi_policy_yaml_is_minimal_python() -> None:
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == "python"
    assert set(project) <= {"runtime", "version", "description"}


def test_launcher_is_executable_and_runs_this_folder_with_pulumi_policy() -> None:
    launcher = PACK / "run"
    assert os.access(launcher, os.X_OK)
    text = launcher.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "python=${PULUMI_PYTHON_CMD:-}" in text
    assert 'exec "${python:-python3}" -u -m pulumi.policy "$@" "$here"' in text


def test_requirements_list_the_policy_sdk_and_the_package() -> None:
    lines = [
        line.strip()
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == ["pulumi-policy>=1.21,<2", "-e .."]
    assert (PACK / ".." / "pyproject.toml").exists()


EXAMPLE: dict[str, Any] = json.loads((PACK / "policy-config.example.json").read_text())


def test_example_config_tunes_every_policy_and_shows_every_key() -> None:
    assert list(EXAMPLE) == list(POLICY_FACTORIES)
    for name, value in EXAMPLE.items():
        keys = set(CONFIG_MODELS[name].model_fields)
        if isinstance(value, str):
            assert value in {"advisory", "mandatory", "disabled"}
            assert keys == set(), f"{name} has config keys the example should show"
        else:
            assert set(value) - {"enforcementLevel"} == keys, name


@pytest.mark.parametrize("name", list(POLICY_FACTORIES))
def test_example_config_is_valid_for_the_engine_and_the_policy(name: str) -> None:
    value = EXAMPLE[name]
    properties = (
        {}
        if isinstance(value, str)
        else {k: v for k, v in value.items() if k != "enforcementLevel"}
    )
    schema = next(p.config_schema for p in all_policies() if p.name == name)
    assert schema is not None
    defaults = {key: prop["default"] for key, prop in schema.properties.items()}
    jsonschema.Draft7Validator(engine_schema(schema)).validate({**defaults, **properties})
    parsed = load_config(CONFIG_MODELS[name], name, wire({**defaults, **properties}))
    assert parsed.model_dump(mode="json") == {**defaults, **properties}


def readme_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (PACK / "README.md").read_text().splitlines():
        match = re.match(r"^\| `([a-z-]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return rows


def test_readme_table_matches_the_library() -> None:
    rows = readme_rows()
    assert list(rows) == list(POLICY_FACTORIES)
    kinds = {
        p.name: ("resource" if type(p).__name__ == "ResourceValidationPolicy" else "stack")
        for p in all_policies()
    }
    for name, config in default_config().items():
        kind, _types, level, keys, _what = rows[name]
        assert kind == kinds[name], name
        assert level == config.pop("enforcementLevel"), name
        expected = ", ".join(
            f"`{key}` = `{json.dumps(default)}`" for key, default in config.items()
        )
        assert keys == (expected or "(none)"), name
