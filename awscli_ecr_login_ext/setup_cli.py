"""``awscli-ecr-login-ext``: wire the plugin into the AWS config file, or take it out again."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import COMMAND_NAME, __version__
from .atomic import write_atomically
from .aws_config import ConfigSection, config_path, read_config
from .clis import AwsCli, completion_index_report, ecr2_loads, find_clis, last_line
from .errors import Ecr2Error

PLUGINS = "plugins"
PATH_KEY = "cli_legacy_plugin_path"
GUARD_KEY = "ecr2_v1_guard"
_INDEX_MISSING_ECR2 = ("the completion index does not include ecr2 "
                       "(run: awscli-ecr-login-ext install --completion)")
OURS = {COMMAND_NAME: "awscli_ecr_login_ext", GUARD_KEY: "awscli_ecr_login_ext.v1_path_guard"}
# The first line of a config file that install creates: how uninstall knows it may delete the
# file again (when this line is all that is left), with no state kept anywhere else.
CREATED_HEADER = ("# Created by awscli-ecr-login-ext install; its uninstall deletes this file "
                  "while nothing else is in it.\n")


def plugin_directory() -> str:
    """The directory this package is importable from: what v2's plugin path needs."""
    return str(Path(__file__).resolve().parent.parent)


def _path_entries(section: ConfigSection) -> list[str]:
    value = section.get(PATH_KEY)
    return [entry for entry in value.split(os.pathsep) if entry] if value else []


def _ensure_guard_first(section: ConfigSection) -> None:
    """v1 survives the path line only if the guard is imported before it."""
    keys = [key for key, _ in section.items()]
    if PATH_KEY in keys and (GUARD_KEY not in keys or keys.index(GUARD_KEY) > keys.index(PATH_KEY)):
        section.remove(GUARD_KEY)
        section.set(GUARD_KEY, OURS[GUARD_KEY], before=PATH_KEY)


def apply_install(section: ConfigSection, majors: set[int], directory: str) -> None:
    section.set(COMMAND_NAME, OURS[COMMAND_NAME], before=PATH_KEY)
    if 2 in majors:
        entries = _path_entries(section)
        if directory not in entries:
            section.set(PATH_KEY, os.pathsep.join(entries + [directory]))
    _ensure_guard_first(section)


def apply_uninstall(section: ConfigSection, directory: str) -> None:
    for key, value in OURS.items():
        if section.get(key) == value:
            section.remove(key)
    entries = _path_entries(section)
    if directory in entries:
        entries.remove(directory)
        if entries:
            section.set(PATH_KEY, os.pathsep.join(entries))
        else:
            section.remove(PATH_KEY)


def describe_changes(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> list[str]:
    old, new = dict(before), dict(after)
    changes = [f"+ {key} = {value}" for key, value in after if old.get(key) != value]
    changes += [f"- {key} = {value}" for key, value in before if new.get(key) != value]
    return changes


def _target_majors(choice: str, clis: list[AwsCli]) -> set[int]:
    if choice == "both":
        return {1, 2}
    if choice in ("v1", "v2"):
        return {int(choice[1])}
    majors = {cli.major for cli in clis}
    if not majors:
        raise Ecr2Error("No AWS CLI found on PATH; name the one to configure with --cli v1, v2 or both.")
    return majors


def _edit(path: Path, edit, dry_run: bool, verb: str) -> int:
    """Apply ``edit`` to the [plugins] section; a missing file starts as CREATED_HEADER, and a
    file left with nothing but that line is deleted."""
    existed = path.exists()
    try:
        text = read_config(path) if existed else CREATED_HEADER
    except (OSError, UnicodeError) as error:
        raise Ecr2Error(f"Cannot read the AWS config file {path}: {error}") from None
    section = ConfigSection(text, PLUGINS)
    before = section.items()
    edit(section)
    changes = describe_changes(before, section.items())
    if not changes:
        print(f"{path}: [{PLUGINS}] already {verb}; nothing to change.")
        return 0
    print(("Would change" if dry_run else "Changed") + f" [{PLUGINS}] in {path}:")
    for change in changes:
        print(f"  {change}")
    delete = existed and section.text() == CREATED_HEADER
    if delete:
        print(("Would delete" if dry_run else "Deleted") + f" {path}: install created it and "
              "nothing else is in it.")
    if dry_run:
        return 0
    if delete:
        path.unlink()
    else:
        write_atomically(path, section.text())
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    clis = find_clis() if args.cli == "auto" or args.completion else []
    majors = _target_majors(args.cli, clis)
    directory = plugin_directory()
    path = config_path(args.config_file)
    status = _edit(path, lambda section: apply_install(section, majors, directory),
                   args.dry_run, "set up")
    if args.completion:
        status = status or install_completion(clis, path, args.dry_run)
    if args.aliases:
        from .aliases import install_aliases

        status = install_aliases(args.dry_run) or status
    return status


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
    script = str(Path(__file__).with_name("v2_completion_index.py"))
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
            raise Ecr2Error(f"Rebuilding the completion index failed: {last_line(completed.stderr)}")
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
    return _INDEX_MISSING_ECR2


def cmd_uninstall(args: argparse.Namespace) -> int:
    from .aliases import uninstall_aliases

    directory = plugin_directory()
    status = _edit(config_path(args.config_file),
                   lambda section: apply_uninstall(section, directory), args.dry_run, "clean")
    return uninstall_aliases(args.dry_run) or status  # only the aliases install --aliases added


def cmd_status(args: argparse.Namespace) -> int:
    path = config_path(args.config_file)
    section = ConfigSection(read_config(path), PLUGINS)
    keys = [key for key, _ in section.items()]
    print(f"AWS config file: {path}{'' if path.exists() else ' (does not exist)'}")
    print(f"Plugin directory: {plugin_directory()}")
    for key, value in section.items():
        print(f"  [{PLUGINS}] {key} = {value}")
    problems = 0
    if PATH_KEY in keys and (GUARD_KEY not in keys or keys.index(GUARD_KEY) > keys.index(PATH_KEY)):
        problems += 1
        print(f"! {PATH_KEY} without {GUARD_KEY} before it makes every AWS CLI v1 command crash; "
              "run: awscli-ecr-login-ext install")
    clis = find_clis()
    if not clis:
        print("No AWS CLI found on PATH.")
    for cli in clis:
        loads, detail = ecr2_loads(cli, path)
        problems += not loads
        state = "aws ecr2 loads" if loads else f"aws ecr2 does NOT load ({detail})"
        if cli.major >= 2 and loads:  # the plugin is what reads the index
            state += "; " + completion_index_state(cli, path)
        print(f"AWS CLI {cli.version} at {cli.executable}: {state}")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awscli-ecr-login-ext",
        description="Set up the `aws ecr2` plugin in your AWS CLI configuration.")
    parser.add_argument("--version", action="version", version=__version__,
                        help="print the package version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = "the AWS config file (default: $AWS_CONFIG_FILE, else ~/.aws/config)"
    install = commands.add_parser(
        "install", help="add the plugin to the AWS config file",
        description="Add the plugin to the [plugins] section of the AWS config file, keeping "
                    "every other byte; uninstall takes exactly that out again. A config file "
                    "that does not exist is created, with a first line saying so.")
    install.add_argument("--cli", choices=["auto", "v1", "v2", "both"], default="auto",
                         help="which AWS CLI major to configure (default: those found on PATH)")
    install.add_argument("--config-file", help=config_help)
    install.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    install.add_argument("--completion", action="store_true",
                         help="also add ecr2 to the completion index of each AWS CLI v2 on PATH")
    install.add_argument("--aliases", action="store_true",
                         help="also merge the ecr2 aliases into ~/.aws/cli/alias")
    install.set_defaults(run=cmd_install)
    uninstall = commands.add_parser(
        "uninstall", help="remove exactly what install added, giving back the file byte for byte",
        description="Remove exactly what install added: the file is given back byte for byte. "
                    "A [plugins] section left with nothing in it (no key, no comment) goes with "
                    "the blank line before it; a config file that install created (its first "
                    "line says so) is deleted when nothing else has been added to it.")
    uninstall.add_argument("--config-file", help=config_help)
    uninstall.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    uninstall.set_defaults(run=cmd_uninstall)
    status = commands.add_parser("status", help="show the AWS CLIs found and whether ecr2 loads")
    status.add_argument("--config-file", help=config_help)
    status.set_defaults(run=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Ecr2Error as error:
        print(f"awscli-ecr-login-ext: {error}", file=sys.stderr)
        return 1
