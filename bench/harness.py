"""Paired A/B measurement of whole processes, through the lean runner (see runner.py)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

RUNNER = Path(__file__).with_name("runner.py")


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Command:
    """One process to measure: argv, environment, working directory and stdin text."""

    label: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    input: str = ""
    expect_stdout: str | None = None  # a substring the output must contain


@dataclass
class Run:
    wall: float
    maxrss_kib: int
    rc: int
    stdout: str
    stderr: str


class Runner:
    """A client for one ``runner.py`` process."""

    def __init__(self, scratch: Path) -> None:
        scratch.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-E", str(RUNNER), str(scratch)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def batch(self, command: Command, count: int = 1) -> tuple[float, list[Run]]:
        job = {"argv": command.argv, "env": command.env, "cwd": command.cwd,
               "input": command.input, "count": count}
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise BenchError("the runner process died")
        answer = json.loads(line)
        runs = [Run(**r) for r in answer["runs"]]
        for run in runs:
            check(command, run)
        return answer["batch_wall"], runs

    def once(self, command: Command) -> Run:
        return self.batch(command)[1][0]

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)


def check(command: Command, run: Run) -> None:
    if run.rc != 0 or (command.expect_stdout is not None
                       and command.expect_stdout not in run.stdout):
        raise BenchError(
            f"{command.label}: exit {run.rc}, stdout {run.stdout[:300]!r}\n"
            f"argv: {' '.join(command.argv)}\nstderr tail:\n{run.stderr[-1500:]}")


@dataclass
class Stats:
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.walls.append(run.wall)
        self.rss_kib.append(run.maxrss_kib)

    @property
    def wall_ms(self) -> tuple[float, float, float]:
        """median, min, max in milliseconds."""
        ms = [w * 1000 for w in self.walls]
        return statistics.median(ms), min(ms), max(ms)

    @property
    def rss_mib(self) -> tuple[float, float, float]:
        mib = [k / 1024 for k in self.rss_kib]
        return statistics.median(mib), min(mib), max(mib)


@dataclass
class Pair:
    """A measured against B: the paired median of A/B wall-time ratios."""

    a: Command
    b: Command
    a_stats: Stats
    b_stats: Stats
    ratios: list[float]
    a_requests: int = 0  # endpoint requests made by A's measured runs (not warm-up)
    b_requests: int = 0

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def ratio_iqr(self) -> tuple[float, float]:
        """The interquartile range of the per-pair ratios: how noisy this comparison was."""
        if len(self.ratios) < 2:
            return self.ratio, self.ratio
        q1, _, q3 = statistics.quantiles(self.ratios, n=4)
        return q1, q3


def compare(runner: Runner, baseline: Command, others: list[Command], pairs: int,
            warmup: int = 2, requests: Callable[[], int] = lambda: 0) -> list[Pair]:
    """Each of ``others`` against ``baseline``: ``warmup`` unrecorded runs of each command,
    then ``pairs`` rounds that run every command once, rotating the order each round so that
    drift on a noisy machine hits all sides alike. Every ratio pairs a run with the baseline
    run of its own round. ``requests`` counts what has reached the endpoint so far."""
    commands = [baseline, *others]
    for _ in range(warmup):
        for command in commands:
            runner.once(command)
    base = Stats()
    result = [Pair(other, baseline, Stats(), base, []) for other in others]
    for i in range(pairs):
        runs, made = {}, {}
        for j in range(len(commands)):
            k = (i + j) % len(commands)
            before = requests()
            runs[k] = runner.once(commands[k])
            made[k] = requests() - before
        base.add(runs[0])
        for k, pair in enumerate(result, start=1):
            pair.a_stats.add(runs[k])
            pair.ratios.append(runs[k].wall / runs[0].wall)
            pair.a_requests += made[k]
            pair.b_requests += made[0]
    return result
