"""Check that the locks in requirements/ still match what they were compiled from
(``make lock-check``).

For every lock of ``scripts/lock.py``: each requirement of its input (``requirements/<name>.in``)
and each range pyproject.toml declares for what that lock installs (the ``dev`` extra for dev's
lock; the ``awscli-v1`` extra for every lock holding the AWS CLI v1; ``build-system.requires`` for
every lock holding setuptools) must be satisfied by the version the lock pins. Also checks that
this Python (make's ``PYTHON``) is the one the venvs' locks are for.

Under ``CI=true`` a mismatch fails (exit 1) with one line: the lock, the package, the pin, the
declared range and the command that refreshes the locks. Elsewhere each mismatch is a warning
(exit 0); ``--strict`` fails there too. Stdlib plus ``packaging`` (pip's vendored copy when the
interpreter has no other), so it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a bare interpreter: pip's vendored copy
    from pip._vendor.packaging.markers import default_environment
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python < 3.11
    from pip._vendor import tomli as tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lock import LOCK_PYTHON, LOCKS, REPO, Lock, pins

REFRESH = "make lock (LOCK_ARGS=--keep to move only what must)"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def input_requirements(path: Path) -> list[Requirement]:
    found = []
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            found.append(Requirement(line))
    return found


def declared(pyproject: dict, lock: Lock, locked: dict[str, str]) -> list[tuple[Requirement, str]]:
    """pyproject.toml's requirements that apply to ``lock`` (given its pins), with where each is."""
    extras = pyproject["project"].get("optional-dependencies", {})
    found = []
    if lock.name == "dev":
        found += [(Requirement(text), "pyproject.toml dev extra") for text in extras.get("dev", [])]
    if "awscli" in locked:
        found += [(Requirement(text), "pyproject.toml awscli-v1 extra")
                  for text in extras.get("awscli-v1", [])]
    if "setuptools" in locked:
        found += [(Requirement(text), "pyproject.toml build-system.requires")
                  for text in pyproject["build-system"]["requires"]]
    return found


def mismatches(repo: Path = REPO, locks: tuple[Lock, ...] = LOCKS) -> list[str]:
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    problems = []
    for lock in locks:
        path = lock.path(repo / "requirements")
        name = path.relative_to(repo)
        if not path.exists():
            problems.append(f"{name} is missing: run {REFRESH}")
            continue
        locked = pins(path)
        environment = {**default_environment(), "python_version": lock.python,
                       "python_full_version": lock.python + ".0"}
        source = (repo / "requirements" / f"{lock.name}.in")
        wanted = declared(pyproject, lock, locked)
        wanted += [(req, str(source.relative_to(repo))) for req in input_requirements(source)]
        for requirement, where in wanted:
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            version = locked.get(canonicalize_name(requirement.name))
            if version is None:
                problems.append(f"{name} does not pin {requirement.name}, which {where} "
                                f"requires ({requirement}): run {REFRESH}")
            elif not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{name} pins {requirement.name}=={version}, outside {where}'s "
                                f"{requirement}: run {REFRESH}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail outside CI too")
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    problems = mismatches(args.repo)
    running = "{}.{}".format(*sys.version_info[:2])
    if running != LOCK_PYTHON:
        problems.append(f"PYTHON is Python {running}, but the venvs' locks in requirements/ are "
                        f"for {LOCK_PYTHON}: use PYTHON=python{LOCK_PYTHON}")
    if not problems:
        return 0
    if in_ci() or args.strict:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"lock mismatch: {problems[0]}{more}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"warning: lock mismatch: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
