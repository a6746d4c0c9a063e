"""Prove the package on every Python 3.9+ this machine has (``make pythons``).

For each interpreter (``PYTHONS="/path/to/python ..."``, else every pyenv version and
Debian's ``/usr/bin/python3``, those of 3.9 and newer), in ``.venv-pythons/<version>``
(rebuilt when pyproject.toml changes):

1. a venv with AWS CLI v1 (the release ``requirements/pythons-py<X.Y>.txt`` pins for that
   Python, the newest one a user got at the last ``make lock``: 1.44 on 3.9, 1.46+ on 3.10+),
   installed from that lock with ``--require-hashes``, and a regular (not editable) install of
   this package, built with the lock's setuptools;
2. ``compileall`` of the installed package, and an import of every module (but
   ``__main__``, and the v2-only ``v2_completion_index``);
3. ``awscli-ecr-login-ext install --cli v1`` into a throwaway HOME, then
   ``aws ecr2 get-login-password`` against moto's server;
4. ``aws ecr2 get-login-password --cache`` against the fake ECR, then
   ``docker-credential-ecr2 get`` on that cache entry: the right secret and no request;
5. the core's unit tests (UNIT_TESTS) under that Python.

Also checks that ruff, with this project's settings, rejects 3.10+ syntax. Run it with the
dev venv's Python (it needs moto): ``.venv/bin/python scripts/check_pythons.py``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers.fake_ecr import FakeEcr

VENVS = REPO / ".venv-pythons"
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
MOTO_PASSWORD = "123456789012-auth-token"
IMPORT_ALL = """
import importlib, pkgutil, awscli, awscli_ecr_login_ext as p
names = [m.name for m in pkgutil.walk_packages(p.__path__, p.__name__ + ".")
         if m.name.rsplit(".", 1)[1] not in ("__main__", "v2_completion_index")]
for name in names:
    importlib.import_module(name)
print(len(names) + 1, "modules;", "awscli", awscli.__version__)
"""
# The core's own unit tests (no CLI subprocess): they reach code paths the smoke runs do not.
UNIT_TESTS = ["tests/test_registry.py", "tests/test_cache.py", "tests/test_identity.py"]
# 3.10+ syntax that must not pass the linter (target-version py39).
RUFF_PROBES = {
    "match": ("match x:\n    case 1:\n        pass\n",
              "Cannot use `match` statement on Python 3.9"),
    "PEP 604 annotation without the __future__ import": (
        "def f(x: int | None) -> None:\n    pass\n", "FA102"),
}


class Failure(Exception):
    pass


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False,
                          timeout=600, **kwargs)
    if done.returncode != 0:
        raise Failure(f"{' '.join(map(str, argv))} exited {done.returncode}: "
                      f"{(done.stderr or done.stdout).strip()[-800:]}")
    return done


def interpreters() -> list[str]:
    if os.environ.get("PYTHONS"):
        return os.environ["PYTHONS"].split()
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(f"{root}/versions/*/bin/python3"), key=lambda path: [
        int(part) if part.isdigit() else 0 for part in Path(path).parts[-3].split(".")])
    if os.path.exists("/usr/bin/python3"):
        found.append("/usr/bin/python3")
    return found


def version_of(python: str) -> tuple[int, ...]:
    shown = run([python, "-c", "import sys; print(*sys.version_info[:3])"])
    return tuple(int(part) for part in shown.stdout.split())


def build_venv(python: str, label: str, version: tuple[int, ...]) -> Path:
    venv = VENVS / label
    stamp = venv / ".installed"
    lock = REPO / "requirements" / f"pythons-py{version[0]}.{version[1]}.txt"
    if not lock.exists():
        raise Failure(f"{lock.relative_to(REPO)} is missing: add {version[0]}.{version[1]} to "
                      "PYTHONS in scripts/lock.py and run make lock")
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + lock.read_bytes()
                            + python.encode()).hexdigest()
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", venv])
        run([*pip, "--require-hashes", "-r", lock])
    # Always reinstall the package itself: the checkout may have changed. pip builds in
    # ./build, where setuptools never deletes files, so start from an empty one; with the
    # lock's setuptools (--no-build-isolation), nothing unlocked is fetched.
    shutil.rmtree(REPO / "build", ignore_errors=True)
    run([*pip, "--no-deps", "--no-build-isolation", "--force-reinstall", "."], cwd=REPO)
    shutil.rmtree(REPO / "build", ignore_errors=True)
    stamp.write_text(wanted)
    return venv


def throwaway_home(root: Path) -> dict[str, str]:
    aws = root / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text("[default]\nregion = eu-west-1\n")
    (aws / "credentials").write_text("[default]\naws_access_key_id = AKIDEXAMPLE0000000001\n"
                                     "aws_secret_access_key = example-secret-key\n")
    keep = {key: value for key, value in os.environ.items()
            if not key.startswith(("AWS_", "DOCKER_", "PYTHON"))}
    return {**keep, "HOME": str(root), "AWS_CONFIG_FILE": str(aws / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "", "LC_ALL": "C.UTF-8"}


def check(venv: Path, moto_url: str) -> str:
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    where = "import awscli_ecr_login_ext, os; print(os.path.dirname(awscli_ecr_login_ext.__file__))"
    package = run([python, "-c", where]).stdout.strip()
    run([python, "-m", "compileall", "-q", "-f", package])
    imported = run([python, "-c", IMPORT_ALL]).stdout.strip()
    with tempfile.TemporaryDirectory() as home:
        env = throwaway_home(Path(home))
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        run([bin_dir / "awscli-ecr-login-ext", "install", "--cli", "v1"], env=env)
        password = run([bin_dir / "aws", "ecr2", "get-login-password", "--endpoint-url",
                        moto_url], env=env).stdout
        if password != MOTO_PASSWORD + "\n":
            raise Failure(f"aws ecr2 get-login-password printed {password!r}")
        with FakeEcr(password="fake-ecr-password") as ecr:
            env["AWS_ENDPOINT_URL"] = ecr.url  # the helper finds the endpoint the same way
            run([bin_dir / "aws", "ecr2", "get-login-password", "--cache"], env=env)
            answer = run([bin_dir / "docker-credential-ecr2", "get"], env=env,
                         input=REGISTRY).stdout
            if json.loads(answer)["Secret"] != "fake-ecr-password":
                raise Failure("docker-credential-ecr2 get gave the wrong secret")
            if len(ecr.requests) != 1:
                raise Failure(f"the helper's cache hit made a request ({len(ecr.requests)})")
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNIT_TESTS], cwd=REPO)
    return f"{imported}; {tests.stdout.strip().splitlines()[-1]}"


def check_ruff() -> list[str]:
    problems = []
    ruff = Path(sys.executable).with_name("ruff")
    for name, (source, expected) in RUFF_PROBES.items():
        done = subprocess.run([str(ruff), "check", "--no-cache", "--stdin-filename",
                               str(REPO / "awscli_ecr_login_ext" / "probe.py"), "-"],
                              input=source, capture_output=True, text=True, check=False,
                              cwd=REPO)
        if done.returncode == 0 or expected not in done.stdout + done.stderr:
            problems.append(f"ruff does not reject {name}")
    return problems


def main() -> int:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    started = time.monotonic()
    failures = check_ruff()
    print("ruff rejects 3.10+ syntax:", "no" if failures else "yes")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    moto_url = f"http://127.0.0.1:{port}"
    try:
        for python in interpreters():
            version = version_of(python)
            if version < (3, 9):
                continue
            label = ".".join(map(str, version)) + ("-debian" if python.startswith("/usr/") else "")
            began = time.monotonic()
            try:
                venv = build_venv(python, label, version)
                result = "ok: " + check(venv, moto_url)
            except (Failure, subprocess.TimeoutExpired, KeyError, ValueError) as error:
                result = f"FAILED: {error}"
                failures.append(f"Python {label}: {error}")
            print(f"Python {label:<14} {python:<44} {time.monotonic() - began:5.0f} s  {result}",
                  flush=True)
    finally:
        moto.stop()
    print(f"{len(failures)} failed; {time.monotonic() - started:.0f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
