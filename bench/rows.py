"""The benchmark rows (see docs/benchmarks.md for what each one answers)."""

from __future__ import annotations

import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO

from .baseline import build_helper, compile_package, plugin_folder
from .harness import BenchError, Command, Pair, Runner, compare
from .workspace import (
    GO_HELPER,
    HELPER,
    HELPER_SIBLING,
    PASSWORD,
    V1,
    V2,
    V2_36,
    Workspace,
    available,
    aws,
    helper,
    interpreter_of,
)

CLIS = [("v1", V1), ("v2", V2), ("v2.36", V2_36)]
HELPER_RSS_TARGET_MIB = 15.0
MINIMAL_HIT = Path(__file__).with_name("minimal_hit.py")


@dataclass
class Row:
    number: int
    name: str
    cli: str
    pair: Pair
    target: float | None = None  # paired ratio must be <= target; None: informational
    rss_target_mib: float | None = None  # A's median peak RSS must be <= this
    untargeted: str = "floor"  # what the Target column says when there is none

    @property
    def met(self) -> bool | None:
        if self.target is None and self.rss_target_mib is None:
            return None
        ok = self.target is None or self.pair.ratio <= self.target
        if self.rss_target_mib is not None:
            ok = ok and self.pair.a_stats.rss_mib[0] <= self.rss_target_mib
        return ok


@dataclass
class ScaleRow:
    concurrency: int
    ours_walls: list[float] = field(default_factory=list)
    go_walls: list[float] = field(default_factory=list)
    ours_requests: list[int] = field(default_factory=list)
    go_requests: list[int] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(o / g for o, g in zip(self.ours_walls, self.go_walls))

    @property
    def met(self) -> bool:
        return all(r == 1 for r in self.ours_requests)


def measured(ws: Workspace, runner: Runner, baseline: Command, others: list[Command],
             pairs: int) -> list[Pair]:
    return compare(runner, baseline, others, pairs, requests=lambda: ws.request_count)


def cli_rows(runner: Runner, ws: Workspace, pairs: int, log) -> list[Row]:
    rows: list[Row] = []
    ecr = ("--endpoint-url", ws.ecr.url)
    for label, cli in CLIS:
        if not available(cli):
            log(f"skipping AWS CLI {label}: {cli} not found")
            continue
        log(f"row 1 ({label}): plugin tax")
        sts = ("sts", "get-caller-identity", "--endpoint-url", ws.moto_url)
        [tax] = measured(ws, runner, aws("without plugin", cli, ws.plain, *sts, expect="Account"),
                         [aws("with plugin", cli, ws.plugin, *sts, expect="Account")], pairs)
        rows.append(Row(1, "Plugin tax: `sts get-caller-identity`", label, tax, 1.01))

        log(f"rows 2 and 3 ({label}): parity, cache hit, start-up floor")
        stock = aws("aws ecr get-login-password", cli, ws.plugin, "ecr", "get-login-password",
                    *ecr, expect=PASSWORD)
        ours = aws("aws ecr2 get-login-password", cli, ws.plugin, "ecr2", "get-login-password",
                   *ecr, expect=PASSWORD)
        hit = aws("aws ecr2 get-login-password --cache", cli, ws.plugin, "ecr2",
                  "get-login-password", "--cache", *ecr, expect=PASSWORD)
        floor = aws("aws --version", cli, ws.plugin, "--version", expect="aws-cli/")
        parity, cached, start_up = measured(ws, runner, stock, [ours, hit, floor], pairs)
        rows.append(Row(2, "Parity, no cache", label, parity, 1.01))
        rows.append(Row(3, "Cache hit in the CLI", label, cached, 0.90))
        rows.append(Row(3, "Floor: CLI start-up alone", label, start_up))
        if cached.a_requests:
            raise BenchError(f"aws ecr2 --cache ({label}): {cached.a_requests} requests on a "
                             "warm cache")
    return rows


BASELINE_CLI_TARGET = 1.03  # rows 1 to 3 "stay within 3%" of the build before the refactor


def baseline_cli_rows(runner: Runner, ws: Workspace, pairs: int, log,
                      baseline: str) -> list[Row]:
    """Row 8: rows 1 to 3's commands with this tree's plugin against the same commands with
    ``baseline``'s, side by side: both plugins load the same way (from a folder first on
    ``PYTHONPATH``, and v2's ``cli_legacy_plugin_path``), so only their code differs."""
    python = Path(sys.executable)
    this_tree = ws.root / "this-tree"
    shutil.copytree(REPO / "awscli_ecr_login_ext", this_tree / "awscli_ecr_login_ext",
                    ignore=shutil.ignore_patterns("__pycache__"))
    compile_package(python, this_tree)
    old_tree = plugin_folder(baseline, python, ws.root / "baseline-plugin")
    commands = [  # (row, the command as shown, its endpoint, what it prints)
        ("Plugin tax", ("sts", "get-caller-identity"), ws.moto_url, "Account"),
        ("Parity, no cache", ("ecr2", "get-login-password"), ws.ecr.url, PASSWORD),
        ("Cache hit in the CLI", ("ecr2", "get-login-password", "--cache"), ws.ecr.url,
         PASSWORD),
    ]
    rows: list[Row] = []
    for label, cli in CLIS:
        if not available(cli):
            continue
        major = 1 if label == "v1" else 2
        new_home = ws.plugin_home(f"this-tree-{label}", this_tree, major)
        old_home = ws.plugin_home(f"baseline-{label}", old_tree, major)
        log(f"row 8 ({label}): rows 1 to 3 against {baseline}'s plugin")
        for name, args, endpoint, expect in commands:
            shown = " ".join(args)
            old = aws(f"aws {shown} ({baseline})", cli, old_home, *args, "--endpoint-url",
                      endpoint, expect=expect)
            new = aws(f"aws {shown} (this tree)", cli, new_home, *args, "--endpoint-url",
                      endpoint, expect=expect)
            [pair] = measured(ws, runner, old, [new], pairs)
            if "--cache" in args and (pair.a_requests or pair.b_requests):
                raise BenchError(f"{name} ({label}): requests reached the endpoint on a warm "
                                 "cache")
            rows.append(Row(8, f"{name} vs {baseline}'s plugin", label, pair,
                            BASELINE_CLI_TARGET))
    return rows


def helper_rows(runner: Runner, ws: Workspace, pairs: int, log,
                baseline: str | None = None) -> list[Row]:
    env = ws.proxy_env()
    ours = helper("docker-credential-ecr2 get (warm)", HELPER, ws.helpers, env)
    mapped = helper("docker-credential-ecr2 get (warm, registry mapped to a profile)", HELPER,
                    ws.mapped, env)
    go = helper("docker-credential-ecr-login get (warm)", GO_HELPER, ws.helpers, env)
    python = str(helper_python())

    def floor(label: str, argv: list[str], expect: str | None = None) -> Command:
        return Command(label, argv, ours.env, ours.cwd, input=ours.input, expect_stdout=expect)

    bare = floor("python -S -c pass", [python, "-S", "-c", "pass"])
    site = floor("python -c pass", [python, "-c", "pass"])
    for command in (ours, mapped, go):  # fill the caches once, through the proxy
        runner.once(command)
    # Through the same /bin/sh hop as the launcher (pip drops interpreter flags from shebangs).
    hop = ["/bin/sh", "-c", 'exec "$0" "$@"', python, "-S"]
    sh_hop = floor("sh: exec python -S -c pass", [*hop, "-c", "pass"])
    with_os = floor("sh: exec python -S -c 'import os'", [*hop, "-c", "import os"])
    minimal = floor("sh: exec python -S bench/minimal_hit.py",
                    [*hop, str(MINIMAL_HIT), str(_our_entry(ws))], expect=PASSWORD)
    # What every pip console script runs before our code: site, then its template's imports.
    console = floor("python -c 'import re, sys'", [python, "-c", "import re, sys"])
    log("row 4: warm helper hits, ours and Go's, and the interpreter floors")
    [vs_bare, hop_vs_bare, os_vs_bare, minimal_vs_bare, console_vs_bare, vs_site, vs_go,
     bare_vs_go, mapped_vs_plain] = (
        measured(ws, runner, bare, [ours, sh_hop, with_os, minimal, console], pairs)
        + measured(ws, runner, site, [ours], pairs)
        + measured(ws, runner, go, [ours, bare], pairs)
        + measured(ws, runner, ours, [mapped], pairs))
    compared = [vs_bare, vs_site, vs_go, mapped_vs_plain]
    # The ratio targets of 1.25× python -S and 1.50× the Go helper are retired (issue 20): they
    # could only be met with more stand-ins for the standard library, and a few milliseconds on
    # a pull are worth less than code a maintainer can trust. The hit's target is now "no slower
    # than before": BENCH_BASELINE names the build it is compared with, side by side.
    before: list[Row] = []
    if baseline:
        old = helper(f"docker-credential-ecr2 get (warm) of {baseline}",
                     build_helper(baseline, Path(python), ws.root / "baseline"), ws.helpers, env)
        runner.once(old)
        log(f"row 4: the warm hit against {baseline}'s")
        [vs_old] = measured(ws, runner, old, [ours], pairs)
        compared.append(vs_old)
        before.append(Row(4, f"Helper hit vs the same hit of {baseline}", "-", vs_old, 1.0))
    for pair in compared:
        if pair.a_requests or pair.b_requests:
            raise BenchError(f"{pair.a.label} / {pair.b.label}: requests reached the endpoint "
                             "on a warm cache")
    return before + [
        Row(4, "Helper hit vs bare interpreter", "-", vs_bare, None, HELPER_RSS_TARGET_MIB),
        Row(4, "Floor: the launcher's /bin/sh hop vs bare interpreter", "-", hop_vs_bare),
        Row(4, "Floor: the hop plus `import os` vs bare interpreter", "-", os_vs_bare),
        Row(4, "Floor: a minimal hit vs bare interpreter", "-", minimal_vs_bare),
        Row(4, "For comparison: a console script's start-up vs bare interpreter", "-",
            console_vs_bare),
        Row(4, "Helper hit vs interpreter with site", "-", vs_site),
        Row(4, "Helper hit vs Go helper", "-", vs_go, None, HELPER_RSS_TARGET_MIB),
        Row(4, "Floor: bare interpreter vs Go helper", "-", bare_vs_go),
        Row(4, "Helper hit with ecr2_registry_profiles vs without", "-", mapped_vs_plain, 1.05),
    ]


PROFILE_COUNTS = (4, 100, 1000, 5000)
GROWTH_TARGET = 1.10  # at 1,000 profiles, against the same helper's 4-profile hit (issue 21)


def growth_rows(runner: Runner, ws: Workspace, pairs: int, log) -> list[Row]:
    """Row 7: the warm hit as the AWS config grows to thousands of SSO profiles, each helper
    against its own 4-profile hit (ours for an unmapped and a mapped registry, and Go's)."""
    env = ws.proxy_env()
    rows: list[Row] = []
    sides = [("ours", "registry unmapped", HELPER, False),
             ("ours", "registry mapped to a profile", HELPER, True),
             ("Go", "", GO_HELPER, False)]
    for who, how, executable, mapped in sides:
        commands = [helper(f"{executable.name} get, {n} profiles", executable,
                           ws.sso_home(n, mapped=mapped), env) for n in PROFILE_COUNTS]
        for command in commands:  # fill each HOME's cache once, through the proxy
            runner.once(command)
        log(f"row 7: the warm hit at {', '.join(map(str, PROFILE_COUNTS))} profiles "
            f"({who}{', ' + how if how else ''})")
        for n, pair in zip(PROFILE_COUNTS[1:], measured(ws, runner, commands[0], commands[1:],
                                                        pairs)):
            if pair.a_requests or pair.b_requests:
                raise BenchError(f"{pair.a.label}: requests reached the endpoint on a warm "
                                 "cache")
            whose = "our helper" if who == "ours" else "the Go helper"
            name = f"Warm hit, {n} SSO profiles vs 4: growth of {whose}" + (
                f" ({how})" if how else "")
            target = GROWTH_TARGET if who == "ours" and n == 1000 else None
            rows.append(Row(7, name, "-", pair, target, untargeted="–"))
    return rows


def helper_python() -> Path:
    """The Python the launcher runs: the one in its sibling console script's shebang."""
    return interpreter_of(HELPER_SIBLING)


def _our_entry(ws: Workspace) -> Path:
    entries = list((ws.helpers.root / ".aws" / "ecr2" / "cache").glob("*.json"))
    if len(entries) != 1:
        raise BenchError(f"expected one cache entry of ours after the fill, found {entries}")
    return entries[0]


def scale_rows(runner: Runner, ws: Workspace, levels: list[int], reps: int,
               log) -> list[ScaleRow]:
    env = ws.proxy_env()
    results = []
    for n in levels:
        log(f"row 5: {n} concurrent cold-cache gets, {reps} rounds")
        row = ScaleRow(n)
        for rep in range(reps):
            sides = [("ours", HELPER), ("go", GO_HELPER)]
            for side, executable in sides if rep % 2 == 0 else sides[::-1]:
                command = helper(f"{executable.name} get (cold, x{n})", executable,
                                 ws.fresh_home(), env)
                before = ws.request_count
                wall, _ = runner.batch(command, n)
                getattr(row, f"{side}_walls").append(wall)
                getattr(row, f"{side}_requests").append(ws.request_count - before)
        results.append(row)
    return results


RSS_PROBES = ["pass", "import hashlib", "import _sha256", "import dataclasses", "import json",
              "import configparser", "import typing", "import re"]


def import_rss(runner: Runner, python: Path, env: dict, cwd: str, runs: int = 3,
               ) -> list[tuple[str, float]]:
    """Peak RSS (MiB, median of ``runs``) of ``python -S -c STATEMENT``, and of ``python -c
    pass`` (site): what each import the hit path might make costs in memory on its own."""
    probes = [([str(python), "-S", "-c", code], f"python -S -c '{code}'") for code in RSS_PROBES]
    probes.append(([str(python), "-c", "pass"], "python -c 'pass' (with site)"))
    results = []
    for argv, label in probes:
        command = Command(label, argv, env, cwd)
        rss = [runner.once(command).maxrss_kib / 1024 for _ in range(runs)]
        results.append((label, statistics.median(rss)))
    return results
