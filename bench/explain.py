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


def _why(res: Results, row: Row) -> str:
    b_ms = row.pair.b_stats.wall_ms[0]
    if row.number == 1:
        sts = _profile(res, "sts get-caller-identity")
        if sts is None:
            return ""
        return (f"Inside a real `aws sts get-caller-identity` (v1) the plugin's modules cost "
                f"{sts.ours_ms:.1f} ms of imports ({100 * sts.ours_ms / b_ms:.1f}% of the "
                f"{b_ms:.0f} ms command), which bounds what the plugin itself can add; a ratio "
                "well beyond that share is the CLI's plugin loading (for v2, the "
                "`cli_legacy_plugin_path` scan) or this shared machine's noise: rerun before "
                "acting on it.")
    if row.number == 2:
        hit = _profile(res, "--cache")
        if hit is None:
            return ""
        return (f"`aws ecr2` imports {hit.ours_ms:.0f} ms of its own modules before it runs "
                f"(heaviest: {_heaviest_of_ours(hit)}), on top of what `aws ecr` does; the "
                "service call is the same botocore client. Only the invoked subcommand is "
                "imported; what remains is the shared engine (selection, cache, token "
                "decoding), a few milliseconds of a run of several hundred.")
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
    if row.number == 4:
        bits = []
        site = _row(res, 4, "with site", "-")
        if site is not None:
            bits.append(f"the helper takes {site.pair.ratio:.2f}× `python -c pass` of the same "
                        "interpreter")
        go_floor = _row(res, 4, "Floor: bare", "-")
        if go_floor is not None:
            bits.append(f"a bare `python -S -c pass` is already {go_floor.pair.ratio:.2f}× the "
                        "Go helper's whole warm `get`, so ≤ 1.5× Go is out of reach for any "
                        "CPython helper")
        bare = _row(res, 4, "bare interpreter", "-")
        if row.rss_target_mib is not None and site is not None and bare is not None:
            bits.append(f"for memory, `python -S -c pass` peaks at "
                        f"{bare.pair.b_stats.rss_mib[0]:.1f} MiB and `python -c pass` at "
                        f"{site.pair.b_stats.rss_mib[0]:.1f} MiB: the rest of the "
                        f"{row.pair.a_stats.rss_mib[0]:.1f} MiB is what the hit path imports")
        helper = _profile(res, "credential helper")
        if helper is not None:
            bits.append(f"its hit path imports {helper.modules} modules in "
                        f"{helper.total_ms:.0f} ms, {helper.ours_ms:.0f} ms of it ours "
                        f"(heaviest: {_heaviest_of_ours(helper)}); `site` "
                        f"({helper.groups.get('site', 0):.1f} ms self) is paid because the "
                        "console script runs without `-S`")
            finders = [n for n in helper.groups if n.startswith("__editable__")]
            if finders:
                bits.append(f"`{finders[0]}` (an editable install's import hook, absent from "
                            "a wheel install) is loaded by `site` too")
        text = "; ".join(bits)
        return (text[:1].upper() + text[1:] + ".") if text else ""
    return ""


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
