"""The suite against the newest releases, beside the locks (``make deps-newest``).

1. Every lock of ``scripts/lock.py`` compiled afresh (the newest releases their inputs allow)
   into ``.venv-newest-locks/``; ``requirements/`` is left as it is.
2. ``.venv-newest`` and ``.venv-newest-v145`` built from the fresh dev and v145 locks (hash-checked,
   the project editable), rebuilt only when those locks change.
3. pytest (arguments: this script's, e.g. ``make deps-newest PYTEST_ARGS=tests/test_parity.py``;
   the whole suite without) with ``ECR2_TEST_VENV=.venv-newest``: the v1 CLIs and the test tools
   (moto's server among them) from the newest releases. The other venvs (.venv-release,
   .venv-pipx, .wheelhouse, the v2 builds) stay the locked ones; their moves are reported.
4. The report, also written to ``.venv-newest-locks/report.txt``: each package whose newest
   version differs from the lock (``moto 5.2.5 -> 5.2.6  (dev-py3.11)``), then the failing test
   ids, or a pass line. Exits with pytest's status.

When the report is clean, ``make lock`` writes the same locks into requirements/.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lock import LOCKS, PYTHONS, REPO, REQUIREMENTS, compile_all, lock_named, pins

OUT = REPO / ".venv-newest-locks"
VENV = REPO / ".venv-newest"
PIP_QUIET = ["-q", "--disable-pip-version-check"]
PYTHON = os.environ.get("PYTHON", "python3")


def moves() -> list[str]:
    """``name old -> new  (locks)`` for each package whose pin differs, in name order."""
    changed: dict[tuple[str, str, str], list[str]] = {}
    for lock in LOCKS:
        old, new = pins(lock.path(REQUIREMENTS)), pins(lock.path(OUT))
        label = lock.path().stem
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                key = (name, old.get(name, "(none)"), new.get(name, "(none)"))
                changed.setdefault(key, []).append(label)
    return [f"{name} {old} -> {new}  ({', '.join(labels)})"
            for (name, old, new), labels in sorted(changed.items())]


def build_venv(venv: Path, lock: Path) -> None:
    stamp = venv / ".installed"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(venv, ignore_errors=True)
    print(f"building {venv.name} from {lock.relative_to(REPO)}", flush=True)
    subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", *PIP_QUIET]
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", "-e", ".",
                    "--config-settings", "editable_mode=compat"], check=True, cwd=REPO)
    stamp.write_text(wanted)


def failing(output: str) -> list[str]:
    return [line.split(" - ", 1)[0] for line in output.splitlines()
            if re.match(r"^(FAILED|ERROR) ", line)]


def main(pytest_args: list[str]) -> int:
    print(f"compiling the locks afresh into {OUT.name}/ (newest releases)", flush=True)
    compile_all(OUT)
    build_venv(VENV, lock_named("dev").path(OUT))
    build_venv(VENV.with_name(VENV.name + "-v145"), lock_named("v145").path(OUT))
    env = {**os.environ, "ECR2_TEST_VENV": VENV.name}
    argv = [str(VENV / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
            *pytest_args]
    print("running:", " ".join(argv[2:]), flush=True)
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    status = proc.wait()
    output = "".join(lines)
    summary = next((line.strip("= \n") for line in reversed(lines) if line.strip()), "")
    moved = moves()
    report = ["deps-newest report (the newest releases against requirements/)"]
    report += [f"  {line}" for line in moved] or ["  no package moved: the locks are the newest"]
    report.append(f"suite ({' '.join(pytest_args) or 'all tests'}) on .venv-newest, "
                  f".venv-newest-v145 (Python {', '.join(PYTHONS)} locks compiled too):")
    broken = failing(output)
    if broken:
        report += [f"  {test}" for test in broken]
        report.append(f"  {summary}")
    elif status == 0:
        report.append(f"  passed: {summary}")
    else:
        report.append(f"  pytest exited {status}: {summary}")
    text = "\n".join(report) + "\n"
    (OUT / "report.txt").write_text(text)
    print("\n" + text, end="")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
