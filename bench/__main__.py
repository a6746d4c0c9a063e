"""``python -m bench``: whole-process benchmarks of the plugin and the credential helper.

Writes docs/benchmarks.md (``--write PATH`` elsewhere, ``--no-write`` to only print).
``BENCH_PAIRS`` (default 21) sets the A/B pairs per comparison; ``--quick`` is a smoke run
(3 pairs, fewer concurrency levels) that writes nothing unless ``--write`` is given.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import REPO

from . import importprof, rows
from .explain import explain
from .harness import BenchError, Command, Runner
from .report import Results, render
from .workspace import (
    FROZEN_V2,
    GO_HELPER,
    HELPER,
    REGISTRY,
    V1,
    V2,
    V2_36,
    Workspace,
    available,
    interpreter_of,
)

DOC = REPO / "docs" / "benchmarks.md"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def version(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                   "HOME": tempfile.gettempdir()})
    except OSError as e:
        return f"not available ({e.strerror})"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if text else f"exit {proc.returncode}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(runner: Runner, floor_env: dict, cwd: str) -> list[tuple[str, str]]:
    floor = runner.once(Command("/bin/true", ["/bin/true"], floor_env, cwd))
    info = [
        ("`nproc`", str(os.cpu_count())),
        ("CPU", cpu_model()),
        ("Kernel", platform.release()),
        ("Python (bench, AWS CLI v1)", f"{sys.version.split()[0]} at `{sys.executable}`"),
        ("AWS CLI v1", f"`{version([str(V1), '--version'])}`"),
        ("AWS CLI v2", f"`{version([str(V2), '--version'])}`"),
        ("AWS CLI v2.36", f"`{version([str(V2_36), '--version'])}`"),
        ("Go helper", f"`{GO_HELPER}`: `{version([str(GO_HELPER), 'version'])}`"),
        ("RSS floor of the runner", (f"{floor.maxrss_kib / 1024:.1f} MiB (`/bin/true`'s peak "
                                     "RSS as measured here: smaller values cannot be seen)")),
    ]
    if HELPER.exists():
        python = rows.helper_python()
        info.insert(4, ("Python (credential helper)",
                        f"`{version([str(python), '-VV'])}` at `{python}`"))
    return info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 pairs, small scale")
    parser.add_argument("--write", metavar="PATH", help=f"the report (default: {DOC})")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--pairs", type=int, help="A/B pairs per comparison "
                        "(default: $BENCH_PAIRS, else 21; 3 with --quick)")
    args = parser.parse_args(argv)
    if args.pairs is None:
        args.pairs = 3 if args.quick else int(os.environ.get("BENCH_PAIRS", "21"))
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if args.write is None and not args.no_write and not args.quick:
        args.write = str(DOC)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain SIGTERM would skip the clean-up below (servers, temporary homes).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    for variable in ("BENCH_PAIRS", "BENCH_BASELINE"):
        if os.environ.get(variable):
            command = f"{variable}={os.environ[variable]} {command}"
    command = f"make bench  # {command}" if not sys.argv[1:] and argv is None else command
    started = time.monotonic()
    # As `pip install` does: with PYTHONDONTWRITEBYTECODE set (as on these machines) a
    # changed module would otherwise be recompiled on every measured run.
    compileall.compile_dir(str(REPO / "awscli_ecr_login_ext"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="ecr2-bench-") as tmp:
        root = Path(tmp)
        log("starting moto and the fake ECR endpoint")
        ws = Workspace(root)
        runner = Runner(root / "runner")
        try:
            res = Results(command, machine(runner, ws.plain.env, str(ws.plain.root)),
                          args.pairs, warmup=1 if args.quick else 2)
            run(args, ws, runner, res)
        except BenchError as e:
            log(f"failed: {e}")
            return 1
        finally:
            runner.close()
            ws.close()
    res.misses = explain(res)
    res.machine.append(("Whole run", f"{time.monotonic() - started:.0f} s"))
    text = render(res)
    print(text)
    if args.write and not args.no_write:
        Path(args.write).write_text(text)
        log(f"wrote {args.write}")
    return 0


def run(args: argparse.Namespace, ws: Workspace, runner: Runner, res: Results) -> None:
    pairs = args.pairs
    res.rows += rows.cli_rows(runner, ws, pairs, log)
    if os.environ.get("BENCH_BASELINE"):
        res.rows += rows.baseline_cli_rows(runner, ws, pairs, log, os.environ["BENCH_BASELINE"])
    helper_ok = HELPER.exists() and FROZEN_V2.exists()
    go_ok = available(GO_HELPER)
    if not helper_ok:
        res.notes.append(f"rows 4 and 5 and the helper's import profile: `{HELPER}` or "
                         f"`{FROZEN_V2}` (whose `aws` the helper's misses run) is not built yet")
    elif not go_ok:
        res.notes.append(f"rows 4 and 5: the Go helper `{GO_HELPER}` is not installed")
    if helper_ok and go_ok:
        res.rows += rows.helper_rows(runner, ws, pairs, log,
                                     os.environ.get("BENCH_BASELINE") or None)
        res.rows += rows.growth_rows(runner, ws, pairs, log)
        levels = [1, 10] if args.quick else [1, 10, 50]
        res.scale_rounds = 1 if args.quick else int(os.environ.get("BENCH_SCALE_ROUNDS", "3"))
        res.scale = rows.scale_rows(runner, ws, levels, res.scale_rounds, log)
        res.import_rss = rows.import_rss(runner, rows.helper_python(), ws.helpers.env,
                                         str(ws.helpers.root))

    runs = 1 if args.quick else 5
    log("row 6: import profiles")
    res.profiles.append(importprof.plugin_profile(sys.executable, ws.plugin.env, runs))
    for label, cli in rows.CLIS:
        if not available(cli):
            continue
        python = str(interpreter_of(cli))
        res.profiles.append(importprof.profile(
            f"`aws sts get-caller-identity` with the plugin configured (AWS CLI {label})",
            [python, str(cli), "sts", "get-caller-identity", "--endpoint-url", ws.moto_url],
            ws.plugin.env, str(ws.plugin.root), runs))
        res.profiles.append(importprof.profile(
            f"`aws ecr2 get-login-password`, no cache (AWS CLI {label})",
            [python, str(cli), "ecr2", "get-login-password", "--endpoint-url", ws.ecr.url],
            ws.plugin.env, str(ws.plugin.root), runs))
    if helper_ok:
        env = {**ws.helpers.env, **ws.proxy_env()}
        res.profiles.append(importprof.profile(
            "the credential helper's cache-hit path (`docker-credential-ecr2 get`, warm)",
            [str(HELPER), "get"], env, str(ws.helpers.root), runs, stdin=REGISTRY,
            launcher=True))
    res.profiles.append(importprof.profile(
        "`aws ecr2 get-login-password --cache`, warm (AWS CLI v1): what a hit still loads",
        [str(interpreter_of(V1)), str(V1), "ecr2", "get-login-password", "--cache",
         "--endpoint-url", ws.ecr.url], ws.plugin.env, str(ws.plugin.root), runs))


if __name__ == "__main__":
    sys.exit(main())
