"""The completion index of each AWS CLI v2: the plugin's commands in what its completer reads
(v1 completes plugins by itself)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ..core.errors import Ecr2Error
from .clis import AwsCli, last_line, run_cli

INDEX_MISSING_ECR2 = ("the completion index does not include ecr2 "
                      "(run: awscli-ecr-login-ext install --completion)")


def completion_index_report(cli: AwsCli, config_file: Path, *, dry_run: bool) -> dict:
    """What ``aws ecr2 completion-index`` of this v2 reports (with ``dry_run``, writing
    nothing): ``IndexFile``, ``UpToDate``, ``Writable``, ``Changed``, ``WriteCommand``."""
    env = dict(os.environ, AWS_CONFIG_FILE=str(config_file))
    argv = [cli.executable, "ecr2", "completion-index", "--output", "json"]
    try:
        completed = run_cli(argv + (["--dry-run"] if dry_run else []), env)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Ecr2Error(f"Cannot run {cli.executable}: {error}") from None
    if completed.returncode != 0:
        raise Ecr2Error(f"aws ecr2 completion-index failed in AWS CLI {cli.version}: "
                        f"{last_line(completed.stderr)}")
    return json.loads(completed.stdout)


def interpreter_of(cli: AwsCli) -> list[str] | None:
    """The command that runs a Python script the way an ``aws`` script is run: its ``#!``
    line, words and all (``#!/usr/bin/env python3`` as well as a venv's own Python); None for
    the official installer's ``aws``, a frozen binary with no Python to run a script."""
    with open(cli.executable, "rb") as script:
        first = script.readline().decode("utf-8", "replace")
    if not first.startswith("#!") or not first[2:].strip():
        return None
    return first[2:].strip().split()


def install_completion(clis: list[AwsCli], config_file: Path, dry_run: bool) -> int:
    """Regenerate each v2's per-user completion index with the plugin loaded (about 40 s), or
    have a frozen v2 add ecr2 to the index its completer reads (about a second)."""
    v2s = [cli for cli in clis if cli.major >= 2]
    if not v2s:
        print("No AWS CLI v2 on PATH: nothing to index (v1 completes plugins by itself).")
        return 0
    script = str(Path(__file__).resolve().parent.parent / "cli" / "v2_completion_index.py")
    for cli in v2s:
        interpreter = interpreter_of(cli)
        if interpreter is None:
            _index_frozen_cli(cli, config_file, dry_run)
            continue
        if dry_run:
            print(f"Would rebuild the completion index of AWS CLI {cli.version}.")
            continue
        print(f"Rebuilding the completion index of AWS CLI {cli.version} (takes about a minute)...")
        completed = subprocess.run(
            [*interpreter, script], capture_output=True, text=True, check=False,
            env=dict(os.environ, AWS_CONFIG_FILE=str(config_file)))
        if completed.returncode != 0:
            raise Ecr2Error(
                f"Rebuilding the completion index failed: {last_line(completed.stderr)}")
        print(f"Completion index written: {completed.stdout.strip()}")
    return 0


def _index_frozen_cli(cli: AwsCli, config_file: Path, dry_run: bool) -> None:
    """The official installer's v2 has no index generator, but the plugin runs inside it:
    ``aws ecr2 completion-index`` writes the generator's ecr2 rows into the index its
    completer reads. Asked first with --dry-run, so that an index only root may write (an
    install in /usr/local/aws-cli) ends in one line saying what to run, having written nothing."""
    report = completion_index_report(cli, config_file, dry_run=True)
    index = report["IndexFile"]
    if report["UpToDate"]:
        print(f"The completion index of AWS CLI {cli.version} already includes ecr2: {index}")
    elif not report["Writable"]:
        raise Ecr2Error(f"Cannot write the completion index of AWS CLI {cli.version} ({index}); "
                        f"run: {report['WriteCommand']}")
    elif dry_run:
        print(f"Would add ecr2 to the completion index of AWS CLI {cli.version}: {index}")
    else:
        completion_index_report(cli, config_file, dry_run=False)
        print(f"Completion index written: {index}")


def completion_index_state(cli: AwsCli, config_file: Path) -> str:
    """Whether the index this v2's completer reads includes ``ecr2`` (as this plugin writes
    it), and if not, a command that will put it there for this user."""
    try:
        report = completion_index_report(cli, config_file, dry_run=True)
    except Ecr2Error as error:
        return f"cannot tell whether its completion index includes ecr2 ({error})"
    if report["UpToDate"]:
        return "the completion index includes ecr2"
    if interpreter_of(cli) is None and not report["Writable"]:
        return f"the completion index does not include ecr2 (run: {report['WriteCommand']})"
    return INDEX_MISSING_ECR2
