"""awscli-ecr-login-ext: ``aws ecr2``, Amazon ECR registry credentials for container clients.

The AWS CLI imports this package for *every* command it runs, so this module
imports nothing beyond the standard library and defers the command
implementations until ``aws ecr2`` is actually used.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing: the credential helper imports
# this package on every pull and push, and typing alone costs it milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

COMMAND_NAME = "ecr2"
# Set by docker-credential-ecr2 for the `aws` it runs on a miss: the file this plugin reports
# the CLI's facts to (see user_cli). Its presence also means that no person answers prompts.
HELPER_VARIABLE = "AWS_ECR2_CREDENTIAL_HELPER"
_REGISTRATION_ID = "awscli-ecr-login-ext:ecr2"


def awscli_initialize(cli: Any) -> None:
    """Entry point the AWS CLI calls with its event emitter.

    Registration carries a unique id so that a second call (AWS CLI v1 loads
    the plugin twice under some ``[plugins]`` layouts) changes nothing.
    """
    cli.register(
        "building-command-table.main", _add_ecr2_command, unique_id=_REGISTRATION_ID
    )
    from os import environ

    report = environ.get(HELPER_VARIABLE)
    if report:  # this CLI runs for docker-credential-ecr2: tell it what it must know
        from .cli.adapter import report_facts_to_helper

        report_facts_to_helper(report)
    _keep_the_v1_stand_in()


def _keep_the_v1_stand_in() -> None:
    """Under AWS CLI v1, from a site-packages directory: make sure the stand-in that keeps v1
    working after `pip uninstall` is beside the package (one stat; written again after a
    reinstall, with another Python too). See redirect.py."""
    from os import path
    from sys import modules

    site = path.dirname(path.dirname(__file__))
    awscli = modules.get("awscli")
    if (not site.endswith("-packages") or awscli is None
            or not getattr(awscli, "__version__", "").startswith("1.")
            or path.exists(path.join(site, __name__ + ".py"))
            or not path.isdir(path.join(site, "awscli"))):
        return
    try:
        from .setup import redirect
        from .setup.command import write_survival_files

        write_survival_files(redirect.data_directory(), site, say=lambda line: None)
    except OSError:
        pass  # a read-only site-packages: install says what it could not write


def _add_ecr2_command(command_table: dict, session: Any, **kwargs: Any) -> None:
    command_table[COMMAND_NAME] = LazyCommand(session, COMMAND_NAME, "ecr2", "Ecr2Command")


class LazyCommand:
    """Stands in a command table until something actually uses the command.

    Every ``aws`` invocation builds the main command table, and every ``aws
    ecr2 ...`` builds the table of all ``ecr2`` subcommands; only invoking,
    documenting or completing a command touches an attribute, which imports
    and creates the real command (``awscli_ecr_login_ext.cli.commands.<module>``).
    The CLI sets ``lineage`` on table entries, which is kept without loading.
    """

    def __init__(self, session: Any, name: str, module: str, class_name: str) -> None:
        self.__dict__.update(_session=session, name=name, _module=module,
                             _class_name=class_name, _command=None, _lineage=None)

    @classmethod
    def factory(cls, name: str, module: str, class_name: str) -> Any:
        """A ``command_class`` for a BasicCommand's SUBCOMMANDS that loads lazily."""
        return lambda session: cls(session, name, module, class_name)

    def _load(self) -> Any:
        if self._command is None:
            from importlib import import_module

            module = import_module(f"{__name__}.cli.commands.{self._module}")
            command = getattr(module, self._class_name)(self._session)
            if self._lineage is not None:
                command.lineage = self._lineage
            self.__dict__["_command"] = command
        return self._command

    @property
    def lineage(self) -> list:
        if self._command is not None:
            return self._command.lineage
        return self._lineage if self._lineage is not None else [self]

    @lineage.setter
    def lineage(self, value: list) -> None:
        if self._command is not None:
            self._command.lineage = value
        else:
            self.__dict__["_lineage"] = value

    def __call__(self, args: list, parsed_globals: Any) -> Any:
        return self._load()(args, parsed_globals)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)
