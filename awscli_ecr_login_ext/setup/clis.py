"""Finding the AWS CLIs on PATH and asking them about themselves (core: stdlib only)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core.executables import on_path

_VERSION = re.compile(r"aws-cli/(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class AwsCli:
    executable: str
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


def run_cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an ``aws`` for its output, with no input, for at most two minutes."""
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, check=False, capture_output=True, text=True,
        timeout=120
    )


def find_clis() -> list[AwsCli]:
    """Every distinct ``aws`` on PATH, in PATH order, with its version.

    Versions are read with an empty config file, so a broken ``[plugins]``
    section cannot hide a CLI.
    """
    seen: set[str] = set()
    found = []
    env = dict(os.environ, AWS_CONFIG_FILE=os.devnull)
    for candidate in on_path("aws", os.environ.get("PATH", "")):
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        try:
            completed = run_cli([str(candidate), "--version"], env)
        except (OSError, subprocess.TimeoutExpired):
            continue
        match = _VERSION.search(completed.stdout + completed.stderr)
        if match:
            found.append(AwsCli(str(candidate), ".".join(match.groups())))
    return found


def ecr2_loads(cli: AwsCli, config_file: Path) -> tuple[bool, str]:
    """Whether ``aws ecr2`` is a known command for this CLI with this config file.

    ``aws ecr2`` without a subcommand fails with the group's own usage line when
    the plugin loaded, and with "Invalid choice" or a traceback when it did not.
    """
    env = dict(os.environ, AWS_CONFIG_FILE=str(config_file))
    try:
        completed = run_cli([cli.executable, "ecr2"], env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    if "ecr2 <subcommand>" in completed.stderr:
        return True, "loads"
    return False, last_line(completed.stderr)


def last_line(stderr: str) -> str:
    """The line a failed command ends its error output with: what went wrong."""
    return (stderr.strip().splitlines() or ["no output"])[-1]
