"""Merging the ``ecr2`` aliases into the AWS CLI alias file (core: standard library only).

The AWS CLI reads aliases only from ``~/.aws/cli/alias`` (``AWS_CONFIG_FILE``
does not move it).  ``merge`` adds each of our aliases that the user does not
have, keeps every alias the user already has (a same-name alias of the user's
wins and is reported), and leaves every other line as it was; ``unmerge``
removes exactly the aliases (and their comments) that are still as we wrote
them.  Values may span lines (shell aliases); the lines are read with the
config editor's grammar (``config_editor.classify``), configparser's, which is
how the CLI reads this file.

``ALIAS_TEXT`` is the file shipped as ``alias/alias`` in the source tree (a test
keeps the two identical); it lives here too so that an installed wheel has it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core.atomic import write_atomically
from .config_editor import classify

ALIAS_TEXT = r"""# AWS CLI aliases for `aws ecr2` (awscli-ecr-login-ext).
# Merge them into ~/.aws/cli/alias with:  awscli-ecr-login-ext install --aliases
#
# Shell aliases (values starting with "!") never see the global options typed
# on the command line: `aws --profile dev ecr-login HOST` consumes --profile
# (and --region, --endpoint-url, --debug, --output, ...) before the alias
# runs. Choose the profile with the environment instead:
#     AWS_PROFILE=dev aws ecr-login HOST
# They run the `aws` found first on PATH.

[toplevel]
# aws ecr-login HOST [TOOL] [aws ecr2 login options]
#   Logs TOOL (docker, podman, buildah, skopeo, nerdctl, finch, helm, oras,
#   crane; default: the first of docker, podman, nerdctl, finch on PATH) in to
#   HOST with `aws ecr2 login`. The Region comes from HOST;
#   NAME=ECRHOST logs in to NAME with ECRHOST's credentials.
#   Example: AWS_PROFILE=dev aws ecr-login 123456789012.dkr.ecr.eu-west-1.amazonaws.com podman
ecr-login =
  !f() {
    if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
      echo "usage: aws ecr-login HOST [TOOL] [aws ecr2 login options]" >&2
      return 2
    fi
    host=$1
    shift
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
      set -- --tool "$@"
    fi
    aws ecr2 login --registry "$host" "$@"
  }; f
# aws ecr-password [--registry HOST]
#   The password of `aws ecr get-login-password`, the Region taken from HOST.
#   Not a shell alias: global options such as --profile work.
ecr-password = ecr2 get-login-password

# The sections below are read by AWS CLI v2 only (v1 ignores them).

[command ecr]
# aws ecr login HOST [TOOL] [aws ecr2 login options]   (AWS CLI v2)
#   The same as `aws ecr-login` (which it runs); use AWS_PROFILE, not --profile.
login = !aws ecr-login

[command ecr2]
# aws ecr2 pw [--registry HOST]   (AWS CLI v2; global options work)
pw = get-login-password
# aws ecr2 logins [--registry HOST ...]   (AWS CLI v2): registry, Region and expiry as a table
logins = get-login --output table --query Logins[].[Registry,Region,ExpiresAt]
"""

def alias_path() -> Path:
    """``~/.aws/cli/alias``: the only file the AWS CLI reads aliases from."""
    return Path(os.path.expanduser("~")) / ".aws" / "cli" / "alias"


def _section_name(raw: str) -> str:
    """The name the CLI looks a section up by: v2 splits ``command ...`` names on whitespace;
    any other name, ``toplevel`` too, is taken as written, spaces and all."""
    return " ".join(raw.split()) if raw.startswith("command ") else raw


@dataclass
class Entry:
    section: str
    key: str
    start: int
    """Index of the key line."""
    end: int
    """Index after the last continuation line."""
    comments: tuple[str, ...]
    """The comment lines directly above the key line."""
    value: str
    """The value as the CLI sees it: lines stripped, comments dropped."""


@dataclass
class Section:
    name: str
    header: int
    end: int
    entries: list[Entry] = field(default_factory=list)


def parse(lines: list[str]) -> list[Section]:
    sections: list[Section] = []
    current: Section | None = None
    kinds = classify(lines)
    for index, (kind, match) in enumerate(kinds):
        if kind == "header":
            if current is not None:
                current.end = index
            current = Section(_section_name(match.group("name")), index, len(lines))
            sections.append(current)
        elif kind == "key" and current is not None:
            last = index
            for probe in range(index + 1, len(lines)):
                if kinds[probe][0] == "continuation":
                    last = probe
                elif kinds[probe][0] not in ("blank", "comment"):
                    break
            # configparser's value: comments dropped, blank lines kept; the CLI strips it.
            parts = [match.group("value")] + [
                lines[position].strip() for position in range(index + 1, last + 1)
                if kinds[position][0] != "comment"]
            comments: list[str] = []
            above = index - 1
            while above > current.header and lines[above].startswith(("#", ";")):
                comments.insert(0, lines[above])
                above -= 1
            current.entries.append(Entry(current.name, match.group("key").lower(), index,
                                         last + 1, tuple(comments),
                                         "\n".join(parts).strip()))
    return sections


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _find(sections: list[Section], section: str, key: str) -> tuple[Section | None, Entry | None]:
    for candidate in sections:
        if candidate.name == section:
            for entry in candidate.entries:
                if entry.key == key:
                    return candidate, entry
    found = [candidate for candidate in sections if candidate.name == section]
    return (found[-1] if found else None), None


def _ours() -> tuple[list[str], list[Entry]]:
    lines = _lines(ALIAS_TEXT)
    return lines, [entry for section in parse(lines) for entry in section.entries]


@dataclass
class AliasChanges:
    text: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _label(entry: Entry) -> str:
    return f"[{entry.section}] {entry.key}"


def merge(text: str) -> AliasChanges:
    """Add our aliases to the alias file *text*; never replace one of the user's."""
    lines = _lines(text)
    our_lines, our_entries = _ours()
    changes = AliasChanges(text)
    for ours in our_entries:
        sections = parse(lines)
        section, entry = _find(sections, ours.section, ours.key)
        if entry is not None:
            if entry.value != ours.value:
                changes.kept.append(_label(ours))
            continue
        block = list(ours.comments) + our_lines[ours.start:ours.end]
        if section is None:
            if lines and lines[-1].strip():
                lines.append("\n")
            lines += [f"[{ours.section}]\n", *block]
        else:
            insert = section.end
            while insert > section.header + 1 and not lines[insert - 1].strip():
                insert -= 1
            lines[insert:insert] = block
        changes.added.append(_label(ours))
    changes.text = "".join(lines)
    return changes


def unmerge(text: str) -> AliasChanges:
    """Remove the aliases that are still exactly ours (with our comments above them)."""
    lines = _lines(text)
    _, our_entries = _ours()
    changes = AliasChanges(text)
    for ours in our_entries:
        section, entry = _find(parse(lines), ours.section, ours.key)
        if entry is None or entry.value != ours.value:
            continue
        start = entry.start
        if ours.comments and tuple(lines[start - len(ours.comments):start]) == ours.comments:
            start -= len(ours.comments)
        del lines[start:entry.end]
        changes.removed.append(_label(ours))
        section, _ = _find(parse(lines), ours.section, "")
        if section is not None and not any(
                line.strip() for line in lines[section.header + 1:section.end]):
            start = section.header
            while start > 0 and not lines[start - 1].strip():
                start -= 1
            del lines[start:section.end]
    changes.text = "".join(lines)
    return changes


def _apply(verb: str, edit, path: Path, dry_run: bool) -> int:
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeError) as error:
        print(f"Cannot read the AWS CLI alias file {path}: {error}")
        return 1
    changes = edit(text or "")
    for label in changes.kept:
        print(f"{path}: you already have an alias {label} of your own; kept yours.")
    items = [f"+ {label}" for label in changes.added] + [f"- {label}" for label in changes.removed]
    if not items:
        if verb == "install":
            print(f"{path}: the ecr2 aliases are already there; nothing to change.")
        return 0
    print(("Would change" if dry_run else "Changed") + f" aliases in {path}:")
    for item in items:
        print(f"  {item}")
    if dry_run:
        return 0
    if text is not None and not changes.text.strip() and changes.removed:
        path.unlink()
    else:
        write_atomically(path, changes.text)
    return 0


def install_aliases(dry_run: bool) -> int:
    return _apply("install", merge, alias_path(), dry_run)


def uninstall_aliases(dry_run: bool) -> int:
    path = alias_path()
    if not path.exists():
        return 0
    return _apply("uninstall", unmerge, path, dry_run)
