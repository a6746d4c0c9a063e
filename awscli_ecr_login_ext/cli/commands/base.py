"""The base of every ``ecr2`` command: the CLI's BasicCommand, plus two small fixes."""

from __future__ import annotations

from typing import Any

from awscli.customizations.commands import BasicCommand, BasicDocHandler

import awscli_ecr_login_ext


def doc_file(name: str) -> Any:
    """Help text kept in ``awscli_ecr_login_ext/examples/ecr2/`` and read by the CLI itself."""
    return BasicCommand.FROM_FILE("ecr2", name, root_module=awscli_ecr_login_ext)


class _SummaryDocHandler(BasicDocHandler):
    def doc_title(self, help_command: Any, **kwargs: Any) -> None:
        super().doc_title(help_command, **kwargs)
        # A "subtitle" docinfo field is what docutils' man page writer puts
        # after the dash on the NAME line; the CLI leaves it empty.
        help_command.doc.writeln(f":subtitle: {help_command.obj.SUMMARY}")
        help_command.doc.writeln("")


def _keep_verbatim(value: Any, **kwargs: Any) -> Any:
    return value


class Ecr2BasicCommand(BasicCommand):
    SUMMARY = ""

    def __call__(self, args: list, parsed_globals: Any) -> Any:
        # Both majors expand file:// values and v1 even GETs http(s):// ones
        # unless told otherwise; v2 ignores no_paramfile, so honour it here.
        for argument in self.ARG_TABLE:
            if argument.get("no_paramfile"):
                self._session.register(
                    f"load-cli-arg.custom.{self.NAME}.{argument['name']}",
                    _keep_verbatim,
                    unique_id=f"ecr2-verbatim:{self.NAME}.{argument['name']}",
                )
        return super().__call__(args, parsed_globals)

    def create_help_command(self) -> Any:
        help_command = super().create_help_command()
        help_command.EventHandlerClass = _SummaryDocHandler
        return help_command
