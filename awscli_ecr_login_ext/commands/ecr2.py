"""``aws ecr2``: the command group."""

from __future__ import annotations

from typing import Any, ClassVar

from ..awscli_compat import missing_subcommand_error
from .base import Ecr2BasicCommand, doc_file
from .get_login import GetLoginCommand
from .get_login_password import GetLoginPasswordCommand


class Ecr2Command(Ecr2BasicCommand):
    NAME = "ecr2"
    SUMMARY = "Amazon ECR registry credentials for container clients"
    DESCRIPTION = doc_file("_description.rst")
    SUBCOMMANDS: ClassVar[list[dict]] = [
        {"name": GetLoginPasswordCommand.NAME, "command_class": GetLoginPasswordCommand},
        {"name": GetLoginCommand.NAME, "command_class": GetLoginCommand},
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        raise missing_subcommand_error(self)
