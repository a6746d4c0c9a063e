"""``aws ecr2 configure-docker``: send registries to ``docker-credential-ecr2``, or with
``--remove`` stop sending them (no AWS call)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from ...core.atomic import write_atomically
from ...core.errors import Ecr2Error
from ...core.executables import first_on_path
from ...core.registry import Registry, RegistryError
from ...core.registry_profiles import SETTING
from ...core.selection import aliases_from_config, parse_registry
from ...identity.aws_files import config_file_named, profile_from_environment
from ...setup.config_editor import ConfigSection, read_config
from ...setup.docker_config import (
    HELPER,
    ConfigEdit,
    containers_auth_path,
    docker_config_path,
    helm_registry_config_path,
    plan_edit,
    write_edit,
)
from ..adapter import CLI_MAJOR, usage_error
from ..service import SELECTOR_ARGS, registry_profiles, selected_registries
from .base import Ecr2BasicCommand, doc_file

_SELECTORS = [arg for arg in SELECTOR_ARGS if arg["name"] in ("registry", "registry-ids", "public")]


class ConfigureDockerCommand(Ecr2BasicCommand):
    NAME = "configure-docker"
    SUMMARY = ("Make docker, podman, buildah, skopeo and helm get ECR credentials from "
               "docker-credential-ecr2")
    DESCRIPTION = doc_file("configure-docker_description.rst")
    EXAMPLES = doc_file("configure-docker_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = [
        *_SELECTORS,
        {
            "name": "config", "no_paramfile": True,
            "help_text": ("<p>The Docker client configuration file to edit, or a directory "
                          "holding <code>config.json</code>. Default: "
                          "<code>$DOCKER_CONFIG/config.json</code>, else "
                          "<code>~/.docker/config.json</code>.</p>"),
        },
        {
            "name": "containers-auth", "action": "store_true",
            "help_text": ("<p>Also edit the containers auth file that podman, buildah and "
                          "skopeo log in to: <code>$REGISTRY_AUTH_FILE</code>, else "
                          "<code>$XDG_RUNTIME_DIR/containers/auth.json</code>, else "
                          "<code>~/.config/containers/auth.json</code>.</p>"),
        },
        {
            "name": "helm", "action": "store_true",
            "help_text": ("<p>Also edit helm's registry configuration, which helm 3 and 4 "
                          "read for <code>oci://</code> charts: "
                          "<code>$HELM_REGISTRY_CONFIG</code>, else "
                          "<code>$HELM_CONFIG_HOME/registry/config.json</code>, else "
                          "<code>$XDG_CONFIG_HOME/helm/registry/config.json</code>, else "
                          "the platform's: <code>~/.config/helm/registry/config.json</code> "
                          "(Linux), <code>~/Library/Preferences/helm/registry/config.json"
                          "</code> (macOS), <code>%APPDATA%\\helm\\registry\\config.json"
                          "</code> (Windows).</p>"),
        },
        {
            "name": "remove-stored-passwords", "action": "store_true",
            "help_text": ("<p>Delete the plaintext <code>auths</code> entries of the selected "
                          "registries (and only those) from the edited files.</p>"),
        },
        {
            "name": "remove", "action": "store_true",
            "help_text": ("<p>Remove the <code>credHelpers</code> entries whose value is "
                          "<code>ecr2</code> instead of adding them, from the files the other "
                          "options choose. With <code>--registry</code>, "
                          "<code>--registry-ids</code> or <code>--public</code>, only those "
                          "registries' entries; without them, every <code>ecr2</code> entry "
                          "(run it before uninstalling the package). An entry naming another "
                          "helper is left as it is. Not with "
                          "<code>--remove-stored-passwords</code>.</p>"),
        },
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        remove = parsed_args.remove
        if remove and parsed_args.remove_stored_passwords:
            raise usage_error("configure-docker: --remove and --remove-stored-passwords cannot "
                              "be used together")
        selected = parsed_args.registry or parsed_args.registry_ids or parsed_args.public
        if not (selected or remove):
            raise usage_error(
                "configure-docker needs the registries to configure: --registry HOST ..., "
                "--registry-ids ID ... or --public")
        # The global --profile names the profile the registries are mapped to; the mapping
        # and the aliases live in the profile the credential helper reads: the environment's.
        # --remove leaves the mapping alone.
        mapped_profile = bool(parsed_globals.profile) and not remove
        home = self._helper_profile() if mapped_profile else None
        config = self._profile_config(home) if home else None
        registries = (selected_registries(self._session, parsed_args, parsed_globals, config)
                      if selected else [])
        mapping = self._edit_mapping(home, config, registries) if mapped_profile else None
        # --remove without a selector: every ecr2 entry, which is what an uninstall needs.
        hosts = [registry.name for registry in registries] if selected else None
        # Every file is read and checked before any is written: one malformed file, nothing
        # written.
        edits = [plan_edit(path, hosts, remove_passwords=parsed_args.remove_stored_passwords,
                           remove=remove)
                 for path in _files_to_edit(parsed_args)]
        for edit in edits:
            write_edit(edit)
        out = sys.stdout
        _report(edits, remove, out)
        if mapping is not None:
            _write_mapping(*mapping, out)
        out.flush()
        for note in [note for edit in edits for note in edit.notes]:
            sys.stderr.write(f"Note: {note}\n")
        if not remove:
            self._warn_about_the_helper(registries, config)
        return 0

    def _helper_profile(self) -> str:
        """The profile docker-credential-ecr2's ``aws`` uses: the one the environment names."""
        self._session.get_scoped_config()  # the CLI's own error for a --profile that is missing
        return profile_from_environment(os.environ, lambda: CLI_MAJOR)

    def _profile_config(self, profile: str) -> dict:
        return self._session.full_config.get("profiles", {}).get(profile, {})

    def _edit_mapping(self, home: str, config: dict, registries: list[Registry]
                      ) -> tuple[str, str, str, list[str]]:
        """(path, section, new text, changes) of mapping ``registries`` to --profile in
        ``home``'s section; the existing mapping must be valid."""
        profile = self._session.get_config_variable("profile")
        registry_profiles(self._session, config)  # the existing mapping must be valid
        path = config_file_named(None, os.environ)
        section_name = home if home == "default" else f"profile {home}"
        section = ConfigSection(read_config(Path(path)), section_name)
        changes = []
        for host in dict.fromkeys(registry.ecr_host for registry in registries):
            change = section.set_nested(SETTING, host, profile,
                                        same_name=lambda name, host=host: _is_host(name, host))
            if change:
                changes.append(f"{'+' if change == 'added' else '~'} {SETTING}: "
                               f"{host} = {profile}")
        return path, section_name, section.text(), changes

    def _warn_about_the_helper(self, registries: list, config: Any = None) -> None:
        if first_on_path(f"docker-credential-{HELPER}", os.environ.get("PATH", "")) is None:
            sys.stderr.write(
                f"Note: docker-credential-{HELPER} is not on PATH; the clients cannot get "
                "credentials for these registries until it is.\n")
        try:
            if config is None:
                config = self._session.get_scoped_config()
            configured = aliases_from_config(config.get("ecr2_registry_aliases"))
        except Ecr2Error:  # selected_registries has reported a bad value already
            configured = {}
        for registry in registries:
            if registry.name != registry.ecr_host and registry.name not in configured:
                sys.stderr.write(
                    f"Note: docker-credential-{HELPER} learns that {registry.name} is "
                    f"{registry.ecr_host} only from the profile; add to it:\n"
                    f"    ecr2_registry_aliases =\n"
                    f"        {registry.name} = {registry.ecr_host}\n")


def _files_to_edit(parsed_args: Any) -> list[Path]:
    """Docker's file, then the containers auth file and helm's when asked; a file named twice
    (a symlink, a variable) once."""
    paths = [docker_config_path(parsed_args.config)]
    if parsed_args.containers_auth:
        paths.append(containers_auth_path())
    if parsed_args.helm:
        paths.append(Path(helm_registry_config_path()))
    unique: dict[str, Path] = {}
    for path in paths:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def _report(edits: list[ConfigEdit], remove: bool, out: Any) -> None:
    unchanged = f"no {HELPER} entry to remove" if remove else "already configured"
    for edit in edits:
        if not edit.changes:
            out.write(f"{edit.path}: {unchanged}; nothing to change.\n")
            continue
        out.write(("Created" if edit.created else "Changed") + f" {edit.path}:\n")
        for change in edit.changes:
            out.write(f"  {change}\n")


def _write_mapping(path: str, section: str, text: str, changes: list[str], out: Any) -> None:
    if not changes:
        out.write(f"{path} [{section}]: already configured; nothing to change.\n")
        return
    try:
        write_atomically(path, text)
    except OSError as error:
        raise Ecr2Error(f"cannot write {path}: {error.strerror or error}") from None
    out.write(f"Changed {path} [{section}]:\n")
    for change in changes:
        out.write(f"  {change}\n")


def _is_host(name: str, host: str) -> bool:
    """Whether a mapping line's ECRHOST is ``host`` (as the mapping parser reads it)."""
    try:
        return parse_registry(name).ecr_host == host
    except RegistryError:
        return False
