"""The lock files pin every dependency of pyproject.toml (refresh: scripts/lock.sh)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
REFRESH = "pyproject.toml changed: run scripts/lock.sh and commit the lock files"


def pins(lock: str) -> dict[str, str]:
    """name -> version; every pinned package must carry hashes (pip's --require-hashes)."""
    found: dict[str, str] = {}
    text = (ROOT / lock).read_text()
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match is None:
            continue
        assert "--hash=sha256:" in block, f"{lock}: {match[1]} has no hash"
        name = canonicalize_name(match[1])
        # --universal may pin one package twice under exclusive markers (numpy per Python).
        found.setdefault(name, match[2])
    return found


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"": data["dependencies"], **data["optional-dependencies"]}


def extra_packages(requirement: Requirement) -> set[str]:
    """What an extra such as psycopg[binary] adds, from the installed package's metadata."""
    try:
        declared = requires(requirement.name) or []
    except PackageNotFoundError:
        return set()
    names: set[str] = set()
    for line in declared:
        dependency = Requirement(line)
        marker = dependency.marker
        for extra in requirement.extras:
            if (
                marker is not None
                and marker.evaluate({"extra": extra})
                and not marker.evaluate({"extra": ""})
            ):
                names.add(canonicalize_name(dependency.name))
    return names


CASES = [
    ("requirements.lock", ""),
    ("requirements-test.lock", ""),
    ("requirements-test.lock", "test"),
]


@pytest.mark.parametrize(
    ("lock", "group"), CASES, ids=[f"{lock} {group or 'app'}" for lock, group in CASES]
)
def test_every_dependency_is_pinned_within_its_range(lock: str, group: str) -> None:
    locked = pins(lock)
    for line in project()[group]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {lock}: {REFRESH}"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {name}=={locked[name]}, outside {requirement.specifier}: {REFRESH}"
        )
        for extra in extra_packages(requirement):
            assert extra in locked, f"{extra} ({line}) is not in {lock}: {REFRESH}"


def test_the_app_runs_in_production_with_the_versions_ci_tests() -> None:
    app, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: test.get(name) for name in app} == app


def test_an_extra_adds_what_its_metadata_declares() -> None:
    # The check above would pass vacuously if extras were never found.
    assert "psycopg-binary" in extra_packages(Requirement("psycopg[binary]>=3.1"))
