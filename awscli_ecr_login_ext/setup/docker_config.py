"""Editing a Docker ``config.json``, a containers ``auth.json`` or helm's registry
``config.json`` (core: standard library only).

The files share one JSON shape (``auths``, ``credHelpers``, ``credsStore`` and
whatever else the clients keep there).  This module adds ``credHelpers``
entries that send a registry to ``docker-credential-ecr2`` (or removes them),
optionally deletes the plaintext ``auths`` entries of those registries, and keeps
every other key (and its order) exactly as it was.  A file is replaced in one step, keeping its
mode (0600 for a new file); a file that is not valid JSON is never touched. ``plan_edit``
reads and checks a file and ``write_edit`` writes it, so a command editing several files
writes none when one of them is malformed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from ..core.atomic import write_atomically
from ..core.errors import Ecr2Error

__all__ = [
    "HELPER",
    "ConfigEdit",
    "DockerConfigError",
    "containers_auth_path",
    "docker_config_path",
    "edit_config_file",
    "helm_registry_config_path",
    "plan_edit",
    "write_edit",
]

HELPER = "ecr2"
"""The credHelpers value: docker runs ``docker-credential-ecr2``."""


class DockerConfigError(Ecr2Error):
    """A client config file that cannot be read, parsed or written; one line."""


def docker_config_path(explicit: str | None = None,
                       environ: Mapping[str, str] | None = None) -> Path:
    """``--config`` (a file, or a directory holding config.json), else
    ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    environ = os.environ if environ is None else environ
    if explicit:
        path = Path(os.path.expanduser(explicit))
        return path / "config.json" if path.is_dir() else path
    if environ.get("DOCKER_CONFIG"):
        return Path(os.path.expanduser(environ["DOCKER_CONFIG"])) / "config.json"
    return _home(environ) / ".docker" / "config.json"


def containers_auth_path(environ: Mapping[str, str] | None = None) -> Path:
    """The file podman, buildah and skopeo log in to: ``$REGISTRY_AUTH_FILE``, else
    ``$XDG_RUNTIME_DIR/containers/auth.json``, else ``~/.config/containers/auth.json``."""
    environ = os.environ if environ is None else environ
    if environ.get("REGISTRY_AUTH_FILE"):
        return Path(os.path.expanduser(environ["REGISTRY_AUTH_FILE"]))
    if environ.get("XDG_RUNTIME_DIR"):
        return Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
    return _home(environ) / ".config" / "containers" / "auth.json"


def helm_registry_config_path(environ: Mapping[str, str] | None = None,
                              platform: str | None = None) -> PurePath:
    """The registry configuration helm 3 and 4 read (``helm env HELM_REGISTRY_CONFIG``):
    ``$HELM_REGISTRY_CONFIG``, else ``$HELM_CONFIG_HOME/registry/config.json``, else
    ``CONFIG/helm/registry/config.json`` with CONFIG ``$XDG_CONFIG_HOME``, else the
    platform's: ``~/.config`` on Linux (any other Unix too), ``~/Library/Preferences`` on
    macOS, ``%APPDATA%`` on Windows (helm's ``helmpath`` rules; like helm, no ``~`` is
    expanded in the variables). *platform* is a ``sys.platform`` value; the result is a path
    of that platform's flavour."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    flavour = PureWindowsPath if platform == "win32" else PurePosixPath
    if environ.get("HELM_REGISTRY_CONFIG"):
        return flavour(environ["HELM_REGISTRY_CONFIG"])
    if environ.get("HELM_CONFIG_HOME"):
        return flavour(environ["HELM_CONFIG_HOME"], "registry", "config.json")
    if environ.get("XDG_CONFIG_HOME"):
        base = flavour(environ["XDG_CONFIG_HOME"])
    elif platform == "win32":
        base = flavour(environ.get("APPDATA") or
                       flavour(environ.get("USERPROFILE") or str(_home(environ)),
                               "AppData", "Roaming"))
    elif platform == "darwin":
        base = flavour(str(_home(environ)), "Library", "Preferences")
    else:
        base = flavour(str(_home(environ)), ".config")
    return base / "helm" / "registry" / "config.json"


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or os.path.expanduser("~"))


def auth_key_host(key: str) -> str:
    """The host of an ``auths`` key: ``https://HOST/v1/`` and ``HOST`` both give HOST."""
    text = key.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0].lower()


@dataclass
class ConfigEdit:
    """What an edit changed, as lines for the user (never holding a secret)."""

    path: Path
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: bool = False
    # The edited document and the file it goes to (a symlink's target), for write_edit.
    document: dict = field(default_factory=dict, repr=False)
    target: Path | None = None


def _object(document: dict, key: str, path: Path) -> dict:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DockerConfigError(
            f"{path}: \"{key}\" is not a JSON object; fix the file by hand, it was left untouched")
    return value


def apply_edit(document: dict, hosts: Iterable[str], *, remove_passwords: bool,
               path: Path) -> tuple[list[str], list[str]]:
    """Edit *document* in place; return (changes, notes)."""
    hosts = list(dict.fromkeys(hosts))
    helpers = _object(document, "credHelpers", path)
    auths = _object(document, "auths", path)
    changes: list[str] = []
    notes: list[str] = []
    for host in hosts:
        current = helpers.get(host)
        if current != HELPER:
            helpers[host] = HELPER
            if current is None:
                changes.append(f"+ credHelpers: {host} = {HELPER}")
            else:
                changes.append(f"~ credHelpers: {host} = {HELPER} (was {current})")
    if helpers:
        document["credHelpers"] = helpers
    wanted = {host.lower() for host in hosts}
    stored = [key for key in auths if auth_key_host(key) in wanted]
    for key in stored:
        if remove_passwords:
            del auths[key]
            changes.append(f"- auths: {key} (stored credentials removed)")
        else:
            notes.append(f"{path} still stores credentials for {key} in \"auths\"; "
                         "--remove-stored-passwords deletes them")
    if remove_passwords and stored and "auths" in document:
        document["auths"] = auths
    return changes, notes


def remove_helpers(document: dict, hosts: Iterable[str] | None, *,
                   path: Path) -> tuple[list[str], list[str]]:
    """Delete *document*'s credHelpers entries naming ecr2 in place: those of *hosts*, or every
    one when *hosts* is None; return (changes, notes). An entry of *hosts* naming another
    helper stays, and a note says so. A credHelpers object this empties is dropped, as docker
    writes it (``omitempty``)."""
    helpers = _object(document, "credHelpers", path)
    changes: list[str] = []
    notes: list[str] = []
    for host in list(helpers) if hosts is None else dict.fromkeys(hosts):
        current = helpers.get(host)
        if current == HELPER:
            del helpers[host]
            changes.append(f"- credHelpers: {host} = {HELPER}")
        elif current is not None and hosts is not None:
            notes.append(f"{path}: {host} uses docker-credential-{current}, not "
                         f"{HELPER}; left as it is")
    if changes and not helpers:
        del document["credHelpers"]
    return changes, notes


def edit_config_file(path: Path, hosts: Iterable[str], *,
                     remove_passwords: bool = False) -> ConfigEdit:
    """Add the credHelpers entries for *hosts* to the file at *path* (created if missing)."""
    edit = plan_edit(path, hosts, remove_passwords=remove_passwords)
    write_edit(edit)
    return edit


def plan_edit(path: Path, hosts: Iterable[str] | None, *, remove_passwords: bool = False,
              remove: bool = False) -> ConfigEdit:
    """Read *path* and edit its document in memory (nothing is written): the changes for
    write_edit, or DockerConfigError (one line) for a file that cannot be read or edited.
    With *remove*, ``remove_helpers`` edits it (*hosts* None: every ecr2 entry), and a
    missing file has nothing to change."""
    path = Path(path)
    target = Path(os.path.realpath(path))  # edit the file a symlink points to, keep the link
    edit = ConfigEdit(path, target=target)
    text: str | None
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeError) as error:
        raise DockerConfigError(f"cannot read {path}: {error}") from None
    if text is None or not text.strip():
        document: Any = {}
        edit.created = text is None
    else:
        try:
            document = json.loads(text)
        except ValueError as error:
            raise DockerConfigError(
                f"{path} is not valid JSON ({error}); fix or move it, it was left untouched"
            ) from None
        if not isinstance(document, dict):
            raise DockerConfigError(
                f"{path} does not hold a JSON object; fix or move it, it was left untouched")
    if remove:
        edit.changes, edit.notes = remove_helpers(document, hosts, path=path)
    else:
        edit.changes, edit.notes = apply_edit(document, hosts or (),
                                              remove_passwords=remove_passwords, path=path)
    edit.document = document
    return edit


def write_edit(edit: ConfigEdit) -> None:
    """Write a planned edit's document, when it changes anything."""
    if edit.changes:
        write_json_atomically(edit.target or edit.path, edit.document)


def write_json_atomically(path: Path, document: dict) -> None:
    """Replace *path* in one step with *document* (tab-indented, as docker and podman write),
    keeping its mode, 0600 for a new file."""
    text = json.dumps(document, indent="\t", ensure_ascii=False) + "\n"
    try:
        write_atomically(path, text)
    except OSError as error:
        raise DockerConfigError(f"cannot write {path}: {error}") from None
