"""For each missed target: by how much, and why, from what this same run measured."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .importprof import Profile
    from .report import Results
    from .rows import Row


def _row(res: Results, number: int, name_part: str, cli: str) -> Row | None:
    return next((r for r in res.rows
                 if r.number == number and name_part in r.name and r.cli == cli), None)


def _profile(res: Results, title_part: str) -> Profile | None:
    return next((p for p in res.profiles if title_part in p.title), None)


def _heaviest_of_ours(prof: Profile) -> str:
    return ", ".join(f"`{name}` {cum:.0f} ms" for name, cum in prof.ours_top)


def _in_process_bound(res: Results, row: Row, title_part: str, what: str) -> str:
    """The plugin's own share of the command, measured inside it: what the ratio can exceed
    1 by, whatever the wall-clock noise."""
    prof = _profile(res, f"{title_part} (AWS CLI {row.cli})")
    if prof is None:
        return ""
    b_ms = row.pair.b_stats.wall_ms[0]
    share = prof.ours_ms / b_ms
    text = (f"Measured inside the same command instead ({prof.command.split()[0]} -X importtime, "
            f"which inflates import times, so this is an upper bound): {what} cost "
            f"{prof.ours_ms:.1f} ms of imports (heaviest: {_heaviest_of_ours(prof)}), "
            f"{100 * share:.1f}% of the {b_ms:.0f} ms command, so the true ratio is at most "
            f"≈ {1 + share:.3f}")
    if row.target is not None and 1 + share <= row.target:
        text += (", within the target: this wall-clock median is this shared machine's noise, "
                 "which no number of pairs here resolves to 1%")
    return text + "."


def _why(res: Results, row: Row) -> str:
    b_ms = row.pair.b_stats.wall_ms[0]
    if row.number == 1:
        return _in_process_bound(res, row, "sts get-caller-identity` with the plugin configured",
                                 "the plugin's modules and `awscli_initialize`")
    if row.number == 2:
        return _in_process_bound(res, row, "get-login-password`, no cache",
                                 "`aws ecr2`'s own modules (the same botocore call follows)")
    if row.number == 3:
        floor = _row(res, 3, "Floor", row.cli)
        if floor is None:
            return ""
        gap = row.pair.ratio - floor.pair.ratio
        text = (f"The floor: `aws --version` alone is {floor.pair.ratio:.2f} of "
                "`aws ecr get-login-password` here. A cache hit still pays the whole CLI "
                "start-up (driver, botocore session, command table, config) before `ecr2` runs, "
                "so it cannot go below that floor")
        if floor.pair.ratio > row.target:
            text += f", which is itself above {row.target:.2f}: the target is out of reach"
        hit = _profile(res, "--cache")
        if gap > 0.01 and hit is not None:
            text += (f". The hit sits {gap:.2f} above the floor (≈ {gap * b_ms:.0f} ms): that is "
                     f"what `ecr2` loads before reading the cache ({hit.ours_ms:.0f} ms of our "
                     f"imports in the v1 profile; heaviest: {_heaviest_of_ours(hit)})")
        return text + "."
    if row.number == 4 and "Go" in row.name:
        go_floor = _row(res, 4, "Floor: bare", "-")
        if go_floor is None:
            return ""
        return (f"The floor: a bare `python -S -c pass` is already {go_floor.pair.ratio:.2f}× "
                "the Go helper's whole warm `get`, so ≤ 1.5× Go is out of reach for any "
                "CPython helper.")
    if row.number == 4:
        return _helper_floor(res, row)
    return ""


def _helper_floor(res: Results, row: Row) -> str:
    hop = _row(res, 4, "/bin/sh hop", "-")
    with_os = _row(res, 4, "import os", "-")
    minimal = _row(res, 4, "minimal hit", "-")
    console = _row(res, 4, "console script", "-")
    if None in (hop, with_os, minimal, console):
        return ""
    b_ms = row.pair.b_stats.wall_ms[0]
    bits = [
        (f"the launcher starts Python with `-S` through a `/bin/sh` hop ({hop.pair.ratio:.2f}× "
         "on its own), because pip drops interpreter flags from shebangs; a pip console script "
         f"would pay `site` and the `import re` of its template, {console.pair.ratio:.2f}× "
         "before any code of ours"),
        (f"the floor: `bench/minimal_hit.py` (the hop, `os`, reading the config file and the "
         "cache entry, SHA-256, parsing the entry, the expiry check, base64, the JSON answer, "
         f"and nothing else) is already {minimal.pair.ratio:.2f}×, of which the hop plus "
         f"`import os` is {with_os.pair.ratio:.2f}×"),
    ]
    if minimal.pair.ratio > row.target:
        bits.append(f"so ≤ {row.target:.2f}× is out of reach for a helper written against the "
                    "portable standard library (`os`), and ours cannot sit lower than "
                    f"{minimal.pair.ratio:.2f}×")
    gap = row.pair.ratio - minimal.pair.ratio
    helper = _profile(res, "credential helper")
    if gap > 0.01 and helper is not None:
        bits.append(f"ours sits {gap:.2f} above that floor (≈ {gap * b_ms:.0f} ms): loading the "
                    f"shared core it imports ({helper.ours_ms:.1f} ms of imports in the "
                    "profile below, counting `os`, which our first module imports; heaviest: "
                    f"{_heaviest_of_ours(helper)}) and the checks a "
                    "real hit makes (the profile's identity and endpoint, the key match, expiry, "
                    "file modes)")
    site = _row(res, 4, "with site", "-")
    if row.rss_target_mib is not None and site is not None:
        bits.append(f"memory is within its target: {row.pair.a_stats.rss_mib[0]:.1f} MiB "
                    f"against {row.pair.b_stats.rss_mib[0]:.1f} MiB for `python -S -c pass`")
    text = "; ".join(bits)
    return text[:1].upper() + text[1:] + "."


def explain(res: Results) -> list[str]:
    lines = []
    for row in res.rows:
        if row.met is not False:
            continue
        p = row.pair
        parts = []
        if row.target is not None and p.ratio > row.target:
            over_ms = (p.ratio - row.target) * p.b_stats.wall_ms[0]
            parts.append(f"A/B = {p.ratio:.3f} against ≤ {row.target:.2f}: over by "
                         f"{100 * (p.ratio / row.target - 1):.1f}% (≈ {over_ms:.0f} ms per run; "
                         f"the ratios' interquartile range was {p.ratio_iqr[0]:.2f}–"
                         f"{p.ratio_iqr[1]:.2f})")
            if p.ratio_iqr[0] <= row.target:
                parts.append("the target lies inside that range, so this miss is not "
                             "distinguishable from the machine's noise in this run")
        rss = p.a_stats.rss_mib[0]
        if row.rss_target_mib is not None and rss > row.rss_target_mib:
            parts.append(f"peak RSS {rss:.1f} MiB against ≤ {row.rss_target_mib:.0f} MiB: "
                         f"over by {rss - row.rss_target_mib:.1f} MiB")
        lines.append(f"- Row {row.number}, {row.name} ({row.cli}): {'; '.join(parts)}. "
                     f"{_why(res, row)}")
    for s in res.scale:
        if not s.met:
            lines.append(f"- Row 5, {s.concurrency} concurrent cold gets: our helper made "
                         f"{s.ours_requests} requests per batch, not 1: the cross-process "
                         "single flight did not hold.")
    return lines
