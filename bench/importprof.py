"""``python -X importtime`` profiles: which modules a start-up path imports, and what they cost."""

from __future__ import annotations

import shlex
import statistics
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

OURS = "awscli_ecr_login_ext"

# What the AWS CLI does with the plugin on every command: import it, call awscli_initialize.
PLUGIN_PROBE = ('import awscli_ecr_login_ext as p; '
                'p.awscli_initialize(type("E", (), {"register": lambda *a, **k: None})())')


@dataclass
class Profile:
    title: str
    command: str
    total_ms: float  # sum of every module's self time (median run)
    ours_ms: float  # our package and what it alone pulled in (median run)
    modules: int  # modules imported
    top: list[tuple[str, float, float]]  # (module, cumulative ms, self ms), by cumulative
    groups: dict[str, float]  # top-level package -> self ms summed
    ours_top: list[tuple[str, float]]  # our heaviest modules, by cumulative ms


def parse(stderr: str) -> tuple[dict[str, tuple[int, int]], int]:
    """(module -> (self us, cumulative us), us spent importing our package and what it alone
    pulled in) from ``-X importtime`` output (post-order; two spaces of indent per level)."""
    found, entries = {}, []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if own.strip().isdigit():  # skips the header line
            level = (len(name) - len(name.lstrip(" ")) - 1) // 2
            found[name.strip()] = (int(own), int(cumulative))
            entries.append((level, name.strip(), int(cumulative)))
    ours, stack = 0, []  # walk parents before children; count outermost modules of ours
    for level, name, cumulative in reversed(entries):
        while stack and stack[-1][0] >= level:
            stack.pop()
        is_ours = name.split(".")[0] == OURS
        if is_ours and not any(inside for _, inside in stack):
            ours += cumulative
        stack.append((level, is_ours or any(inside for _, inside in stack)))
    return found, ours


def profile(title: str, argv: list[str], env: dict, cwd: str, runs: int, stdin: str = "",
            top: int = 10, launcher: bool = False) -> Profile:
    """``argv`` is a Python and its arguments, or with ``launcher`` a program that starts
    Python itself (it gets PYTHONPROFILEIMPORTTIME=1, the same report as ``-X importtime``)."""
    if launcher:
        env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
        run_argv = argv
        shown = "PYTHONPROFILEIMPORTTIME=1 " + shlex.join([Path(argv[0]).name, *argv[1:]])
    else:
        run_argv = [argv[0], "-X", "importtime", *argv[1:]]
        shown = shlex.join([Path(argv[0]).name, "-X", "importtime", *argv[1:]])
    samples, ours = [], []
    for _ in range(runs):
        proc = subprocess.run(run_argv, input=stdin, capture_output=True,
                              text=True, env=env, cwd=cwd, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{title}: exit {proc.returncode}\n{proc.stderr[-1500:]}")
        found, ours_us = parse(proc.stderr)
        samples.append(found)
        ours.append(ours_us / 1000)
    own, cumulative = defaultdict(list), defaultdict(list)
    for sample in samples:
        for name, (s, c) in sample.items():
            own[name].append(s)
            cumulative[name].append(c)
    med_self = {name: statistics.median(v) / 1000 for name, v in own.items()}
    med_cum = {name: statistics.median(v) / 1000 for name, v in cumulative.items()}
    groups: dict[str, float] = defaultdict(float)
    for name, ms in med_self.items():
        groups[name.split(".")[0]] += ms
    ranked = sorted(med_cum, key=med_cum.get, reverse=True)[:top]
    mine = sorted((n for n in med_cum if n.split(".")[0] == OURS), key=med_cum.get, reverse=True)
    return Profile(title, shown, sum(med_self.values()), statistics.median(ours), len(med_self),
                   [(name, med_cum[name], med_self[name]) for name in ranked], dict(groups),
                   [(name, med_cum[name]) for name in mine[:4]])


def plugin_profile(python: str, env: dict, runs: int) -> Profile:
    return profile("Plugin import + `awscli_initialize` (every `aws` command pays this)",
                   [python, "-c", PLUGIN_PROBE], env, str(REPO), runs)
