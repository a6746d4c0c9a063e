"""``awscli-ecr-login-ext``: wire the plugin into the AWS config file, or take it out again."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import COMMAND_NAME, __version__
from ..core.atomic import write_atomically
from ..core.errors import Ecr2Error
from ..identity.aws_files import config_file_named
from . import redirect
from .clis import AwsCli, ecr2_loads, find_clis
from .completion import completion_index_state, install_completion
from .config_editor import ConfigSection, read_config

PLUGINS = redirect.PLUGINS
PATH_KEY = redirect.PATH_KEY
GUARD_KEY = "ecr2_v1_guard"
OURS = redirect.OURS
CREATED_HEADER = redirect.CREATED_HEADER
# What install copies beside the redirect: the stand-in's `aws ecr2 uninstall` edits with them.
# (name beside the redirect: source in the package; the names are what the redirect loads)
_REDIRECT_COPIES = {"__init__.py": "setup/redirect.py", "aws_config.py": "setup/config_editor.py",
                    "atomic.py": "core/atomic.py"}


def config_path(explicit: str | None = None) -> Path:
    """The AWS config file to edit (``--config-file``, else AWS_CONFIG_FILE, else
    ~/.aws/config), as botocore finds it."""
    return Path(config_file_named(explicit, os.environ))


def plugin_directory() -> str:
    """The directory this package is importable from (a site-packages directory, for a
    regular install): what install records for the redirect to find the package in."""
    return str(Path(__file__).resolve().parent.parent.parent)


def _path_entries(section: ConfigSection) -> list[str]:
    return redirect.path_entries(section)


def guard_out_of_order(section: ConfigSection) -> bool:
    """Whether the path line comes without the v1 guard before it: v1 survives the path line
    only if the guard is imported first."""
    keys = [key for key, _ in section.items()]
    return PATH_KEY in keys and (GUARD_KEY not in keys
                                 or keys.index(GUARD_KEY) > keys.index(PATH_KEY))


def _ensure_guard_first(section: ConfigSection) -> None:
    if guard_out_of_order(section):
        section.remove(GUARD_KEY)
        section.set(GUARD_KEY, OURS[GUARD_KEY], before=PATH_KEY)


def apply_install(section: ConfigSection, majors: set[int], directory: str,
                  sites: list[str] | tuple = ()) -> None:
    """Our keys; for v2 the path ``directory`` (the redirect's), in place of any entry naming a
    site-packages directory of ours (what 0.1.0 wrote: it breaks when the package moves)."""
    section.set(COMMAND_NAME, OURS[COMMAND_NAME], before=PATH_KEY)
    if 2 in majors:
        entries = _path_entries(section)
        kept = [entry for entry in entries
                if entry == directory or not (entry in sites or redirect.has_package(entry))]
        if directory not in kept:
            kept.append(directory)
        if kept != entries:
            section.set(PATH_KEY, os.pathsep.join(kept))
    _ensure_guard_first(section)


def apply_uninstall(section: ConfigSection, directory: str,
                    sites: list[str] | tuple = ()) -> None:
    """Every entry of ours: the rule the stand-in's `aws ecr2 uninstall` applies too."""
    redirect.remove_entries(section, [directory, *sites])


def old_layout_entries(section: ConfigSection, data: str) -> list[str]:
    """Path entries that name a site-packages directory of ours (0.1.0's layout), or one of
    ours that is gone: v2 stops finding the plugin when the package moves."""
    present = any(section.get(key) == value for key, value in OURS.items())
    directory = redirect.plugin_path(data)
    return [entry for entry in _path_entries(section) if entry != directory
            and redirect.is_our_path_entry(entry, redirect.recorded_sites(data), present)]


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data.decode("utf-8"))
    return True


def v1_stub_site(site: str) -> bool:
    """Whether ``site`` is a site-packages directory with an AWS CLI v1 beside the package:
    where a stand-in survives `pip uninstall` (never an editable checkout's directory, where
    a file of ours would shadow the package)."""
    return (site.endswith("-packages") and redirect.has_package(site)
            and os.path.isfile(os.path.join(site, "awscli", "__init__.py")))


def write_survival_files(data: str, site: str, say=print) -> None:
    """The redirect (and the modules its stand-in uses) under ``data``, the record with
    ``site`` first, and the v1 stand-in beside the package when a v1 shares its site."""
    package = Path(__file__).resolve().parent.parent
    target = Path(redirect.plugin_path(data)) / redirect.NAME
    for name, source in _REDIRECT_COPIES.items():
        if _write_if_changed(target / name, (package / source).read_bytes()):
            say(f"Wrote {target / name}")
    sites = [site] + [known for known in redirect.recorded_sites(data) if known != site]
    record = "".join(f"{known}\n" for known in sites)
    _write_if_changed(Path(data) / "installs", record.encode())
    if v1_stub_site(site):
        stub = Path(redirect.v1_stub(site))
        if _write_if_changed(stub, (package / "setup" / "redirect.py").read_bytes()):
            say(f"Wrote {stub} (keeps AWS CLI v1 working if the package is uninstalled)")


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
        raise Ecr2Error(
            "No AWS CLI found on PATH; name the one to configure with --cli v1, v2 or both.")
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
    try:
        if delete:
            path.unlink()
        else:
            write_atomically(path, section.text())
    except OSError as error:
        raise Ecr2Error(
            f"Cannot write the AWS config file {path}: {_reason(path, error)}") from None
    return 0


def _reason(path: Path, error: OSError) -> str:
    """Why ``path`` could not be written, in words: a parent that is a regular file says so."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is not a directory"
            break
    return error.strerror or str(error)


def cmd_install(args: argparse.Namespace) -> int:
    clis = find_clis()
    majors = _target_majors(args.cli, clis)
    data = redirect.data_directory()
    directory = redirect.plugin_path(data)
    site = plugin_directory()
    sites = redirect.recorded_sites(data)
    path = config_path(args.config_file)
    if not args.dry_run:
        try:
            write_survival_files(data, site)
        except OSError as error:
            raise Ecr2Error(f"Cannot write {error.filename}: {error.strerror}") from None
    status = _edit(path, lambda section: apply_install(section, majors, directory, sites),
                   args.dry_run, "set up")
    if not args.dry_run:
        warn_about_v1s_without_the_package(clis, path)
    if args.completion:
        status = status or install_completion(clis, path, args.dry_run)
    if args.aliases:
        from .aliases import install_aliases

        status = install_aliases(args.dry_run) or status
    return status


def v1s_without_the_package(clis: list[AwsCli], config_file: Path) -> list[tuple[AwsCli, str]]:
    """The AWS CLI v1s on PATH that the config breaks: v1 imports every [plugins] value from
    its own Python, so one without the package fails every command."""
    broken = []
    for cli in clis:
        if cli.major == 1:
            loads, detail = ecr2_loads(cli, config_file)
            if not loads and "No module named" in detail:
                broken.append((cli, detail))
    return broken


def v1_advice(cli: AwsCli) -> str:
    return (f"AWS CLI {cli.version} at {cli.executable} cannot import the package, and v1 "
            "imports every [plugins] entry: every command of it fails. Install the package "
            f"beside it ({Path(cli.executable).parent}/pip install awscli-ecr-login-ext, or "
            "pipx inject), or run: awscli-ecr-login-ext uninstall")


def warn_about_v1s_without_the_package(clis: list[AwsCli], config_file: Path) -> None:
    for cli, _ in v1s_without_the_package(clis, config_file):
        print(f"awscli-ecr-login-ext: warning: {v1_advice(cli)}", file=sys.stderr)


def cmd_uninstall(args: argparse.Namespace) -> int:
    from .aliases import uninstall_aliases

    data = redirect.data_directory()
    sites = [*redirect.recorded_sites(data), plugin_directory()]
    status = _edit(config_path(args.config_file),
                   lambda section: apply_uninstall(section, redirect.plugin_path(data), sites),
                   args.dry_run, "clean")
    if not args.dry_run:
        try:
            redirect.remove_files(data, sites)
        except OSError as error:
            raise Ecr2Error(f"Cannot remove {error.filename}: {error.strerror}") from None
    return uninstall_aliases(args.dry_run) or status  # only the aliases install --aliases added


def cmd_status(args: argparse.Namespace) -> int:
    path = config_path(args.config_file)
    section = ConfigSection(read_config(path), PLUGINS)
    data = redirect.data_directory()
    print(f"AWS config file: {path}{'' if path.exists() else ' (does not exist)'}")
    print(f"Plugin directory: {plugin_directory()}")
    for key, value in section.items():
        print(f"  [{PLUGINS}] {key} = {value}")
    problems = 0
    if guard_out_of_order(section):
        problems += 1
        print(f"! {PATH_KEY} without {GUARD_KEY} before it makes every AWS CLI v1 command crash; "
              "run: awscli-ecr-login-ext install")
    problems += _survival_status(section, data)
    clis = find_clis()
    if not clis:
        print("No AWS CLI found on PATH.")
    for cli in clis:
        loads, detail = ecr2_loads(cli, path)
        problems += not loads
        if loads:
            state = "aws ecr2 loads"
        elif cli.major == 1 and "No module named" in detail:
            state = f"aws ecr2 does NOT load ({detail}); every command fails. " + v1_advice(cli)
        elif redirect.REMOVE_COMMAND in detail:
            state = f"aws ecr2 does NOT load, its stand-in answers: {detail}"
        else:
            state = f"aws ecr2 does NOT load ({detail})"
        if cli.major >= 2 and loads:  # the plugin is what reads the index
            state += "; " + completion_index_state(cli, path)
        print(f"AWS CLI {cli.version} at {cli.executable}: {state}")
    return 1 if problems else 0


def _survival_status(section: ConfigSection, data: str) -> int:
    """The redirect, the record and the v1 stand-ins: each state, and its repair."""
    if not any(section.get(key) == value for key, value in OURS.items()):
        return 0
    problems = 0
    directory = redirect.plugin_path(data)
    redirect_file = Path(directory) / redirect.NAME / "__init__.py"
    sites = redirect.recorded_sites(data)
    if directory in _path_entries(section):
        if redirect.is_our_copy(redirect_file):
            found = redirect.find_package(data)
            print(f"Redirect: {redirect_file} (finds the package in {found})" if found else
                  f"! Redirect: {redirect_file} finds no package: its stand-in answers "
                  f"aws ecr2; run: awscli-ecr-login-ext install (or {redirect.REMOVE_COMMAND})")
            problems += found is None
        else:
            problems += 1
            print(f"! {PATH_KEY} names {directory} but the redirect {redirect_file} is missing: "
                  "AWS CLI v2 fails every command; run: awscli-ecr-login-ext install")
    for entry in old_layout_entries(section, data):
        problems += 1
        gone = "" if os.path.isdir(entry) else " (it no longer exists)"
        print(f"! {PATH_KEY} names {entry}{gone}: the old layout, which breaks AWS CLI v2 when "
              "the package moves or goes; run: awscli-ecr-login-ext install")
    for site in sites:
        stub = redirect.v1_stub(site)
        if redirect.is_our_copy(stub):
            kept = "the package is there" if redirect.has_package(site) else (
                "the package is gone: AWS CLI v1 there gets the stand-in")
            print(f"v1 stand-in: {stub} ({kept})")
    return problems


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
    uninstall.add_argument("--dry-run", action="store_true",
                           help="print the changes, write nothing")
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
    except OSError as error:  # one line naming the file, never a traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"awscli-ecr-login-ext: {where}{error.strerror or error}", file=sys.stderr)
        return 1
