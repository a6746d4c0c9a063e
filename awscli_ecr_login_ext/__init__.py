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
_REGISTRATION_ID = "awscli-ecr-login-ext:ecr2"


def awscli_initialize(cli: Any) -> None:
    """Entry point the AWS CLI calls with its event emitter.

    Registration carries a unique id so that a second call (AWS CLI v1 loads
    the plugin twice under some ``[plugins]`` layouts) changes nothing.
    """
    cli.register(
        "building-command-table.main", _add_ecr2_command, unique_id=_REGISTRATION_ID
    )


def _add_ecr2_command(command_table: dict, session: Any, **kwargs: Any) -> None:
    command_table[COMMAND_NAME] = LazyCommand(session)


class LazyCommand:
    """Stands in the main command table until something actually uses ``ecr2``.

    Every ``aws`` invocation builds the main command table; only invoking,
    documenting or completing ``ecr2`` touches an attribute, which loads the
    real command class.
    """

    name = COMMAND_NAME

    def __init__(self, session: Any) -> None:
        self._session = session
        self._command: Any = None

    def _load(self) -> Any:
        if self._command is None:
            from .commands.ecr2 import Ecr2Command

            self._command = Ecr2Command(self._session)
        return self._command

    def __call__(self, args: list, parsed_globals: Any) -> Any:
        return self._load()(args, parsed_globals)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:
        if attribute in ("_session", "_command"):
            object.__setattr__(self, attribute, value)
        else:
            setattr(self._load(), attribute, value)
