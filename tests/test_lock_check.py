"""scripts/check_lock.py: the locks in requirements/ against pyproject.toml and their inputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CHECK = REPO / "scripts" / "check_lock.py"


def run_check(repo: Path, ci: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, str(CHECK), "--repo", str(repo), *args],
                          capture_output=True, text=True, env=env, check=False, timeout=60)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """pyproject.toml and requirements/ of this tree, to break."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(REPO / "requirements", tmp_path / "requirements")
    return tmp_path


def test_the_committed_locks_match(copy):
    done = run_check(copy, "true")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_pin_outside_pyproject_range_fails_under_ci_with_one_line(copy):
    lock = copy / "requirements" / "dev-py3.11.txt"
    pinned = next(line for line in lock.read_text().splitlines() if line.startswith("moto=="))
    version = pinned.split("==")[1].split()[0]
    lock.write_text(lock.read_text().replace(f"moto=={version}", "moto==4.2.14"))
    done = run_check(copy, "true")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [(
        "lock mismatch: requirements/dev-py3.11.txt pins moto==4.2.14, outside pyproject.toml "
        "dev extra's moto[server]>=5: run make lock (LOCK_ARGS=--keep to move only what must) "
        "(and 1 more)")]


def test_a_narrowed_build_requirement_names_every_lock_with_setuptools(copy):
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"setuptools>=77.0.3,<85"',
                                                       '"setuptools>=99"'))
    done = run_check(copy, "true")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("lock mismatch: requirements/")
    assert "outside pyproject.toml build-system.requires's setuptools>=99" in line
    assert line.endswith(" more)")
    # Outside CI: a warning per mismatch, and make goes on.
    done = run_check(copy, None)
    assert done.returncode == 0
    warnings = done.stderr.splitlines()
    assert len(warnings) > 1 and all(w.startswith("warning: lock mismatch: ") for w in warnings)
    assert run_check(copy, None, "--strict").returncode == 1


def test_a_package_the_input_needs_but_the_lock_lacks(copy):
    (copy / "requirements" / "pipx.in").write_text("pipx\nuserpath>=1\nrich>=13\n")
    done = run_check(copy, "true")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "lock mismatch: requirements/pipx-py3.11.txt does not pin rich, which "
        "requirements/pipx.in requires (rich>=13): run make lock (LOCK_ARGS=--keep to move "
        "only what must)")
