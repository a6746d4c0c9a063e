"""Compile requirements/*.in into the hashed locks every make target installs from (``make lock``).

Each input ``requirements/<name>.in`` gives ``requirements/<name>-py<X.Y>.txt``: exact versions
with the sha256 of every file PyPI has for them, resolved by ``uv pip compile`` (from
``.venv-lock``, itself installed from ``lock-tools-py3.11.txt`` with ``--require-hashes``) for
Python X.Y on Linux x86_64. The make targets install them with ``pip install --require-hashes``;
pip alone, no uv. ``pythons`` has one lock per Python of ``make pythons`` (3.9-3.13: awscli
1.46 needs 3.10, so 3.9 resolves 1.45.x); the others are for ``LOCK_PYTHON``, the Python of
``make test``'s venvs (``PYTHON=python3``, pyenv's 3.11).

    python scripts/lock.py                     # every lock: the newest releases the inputs allow
    python scripts/lock.py --keep              # keep every pin still allowed (after an input edit)
    python scripts/lock.py --upgrade moto ...  # only these packages move
    python scripts/lock.py --out DIR           # write the locks elsewhere (make deps-newest)

``release`` is compiled under ``dev``'s lock (the same awscli as ``.venv``: ``.wheelhouse`` holds
the AWS CLI v1 releases of ``.venv`` and ``.venv-v145``), every other lock under dev's setuptools.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements"
UV = REPO / ".venv-lock" / "bin" / "uv"
LOCK_PYTHON = "3.11"
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Lock:
    name: str  # requirements/<name>.in
    python: str = LOCK_PYTHON
    under: str | None = None  # a lock (name) whose pins constrain this one: "dev" all, "setuptools"

    def path(self, directory: Path = REQUIREMENTS) -> Path:
        return directory / f"{self.name}-py{self.python}.txt"

    @property
    def source(self) -> Path:
        return REQUIREMENTS / f"{self.name}.in"


LOCKS = (
    Lock("lock-tools"),
    Lock("dev"),
    Lock("release", under="dev"),
    Lock("v145", under="setuptools"),
    Lock("dist", under="setuptools"),
    Lock("pipx"),
    Lock("wheelhouse", under="setuptools"),
    *(Lock("pythons", version, under="setuptools" if version == LOCK_PYTHON else None)
      for version in PYTHONS),
)


def lock_named(name: str, python: str = LOCK_PYTHON) -> Lock:
    return next(lock for lock in LOCKS if (lock.name, lock.python) == (name, python))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file."""
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def compile_lock(lock: Lock, out: Path, *, keep: bool, upgrade: tuple[str, ...] = (),
                 scratch: Path) -> None:
    target = lock.path(out)
    argv = [str(UV), "pip", "compile", "--quiet", "--generate-hashes",
            "--python-version", lock.python, "--python-platform", "x86_64-unknown-linux-gnu",
            "--custom-compile-command", "make lock", "--output-file", str(target)]
    if not keep:
        argv.append("--upgrade")
    for package in upgrade:
        argv += ["--upgrade-package", package]
    if lock.under == "dev":
        argv += ["--constraints", str(lock_named("dev").path(out))]
    elif lock.under == "setuptools":
        constraint = scratch / "setuptools.txt"
        constraint.write_text(f"setuptools=={pins(lock_named('dev').path(out))['setuptools']}\n")
        argv += ["--constraints", str(constraint)]
    argv.append(str(lock.source.relative_to(REPO)))
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"uv pip compile for {target.name} failed:\n{done.stderr.strip()}")
    # The locks name their input relative to the repository, wherever they are written, and
    # the scratch constraint by what it holds.
    text = target.read_text().replace(str(scratch / "setuptools.txt"), "(dev's setuptools)")
    text = text.replace(str(REPO) + "/", "")
    target.write_text(text)


def compile_all(out: Path = REQUIREMENTS, *, keep: bool = False,
                upgrade: tuple[str, ...] = ()) -> list[Path]:
    if not UV.exists():
        raise SystemExit(f"{UV} is missing: run make lock (it installs uv first)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for lock in LOCKS:
            compile_lock(lock, out, keep=keep or bool(upgrade), upgrade=upgrade,
                         scratch=Path(scratch))
            written.append(lock.path(out))
            shown = (lock.path(out).relative_to(REPO) if out.is_relative_to(REPO)
                     else lock.path(out))
            print(f"{shown}: {len(pins(lock.path(out)))} packages", flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep every pin the inputs still allow")
    parser.add_argument("--upgrade", nargs="+", default=(), metavar="PACKAGE",
                        help="move only these packages (the others keep their pins)")
    parser.add_argument("--out", type=Path, default=REQUIREMENTS,
                        help="write the locks into this directory instead")
    args = parser.parse_args(argv)
    compile_all(args.out.resolve(), keep=args.keep, upgrade=tuple(args.upgrade))
    return 0


if __name__ == "__main__":
    sys.exit(main())
