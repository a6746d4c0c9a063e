"""``aws ecr2``: the command group."""

from __future__ import annotations

from typing import Any, ClassVar

from ... import LazyCommand
from ..adapter import missing_subcommand_error
from .base import Ecr2BasicCommand, doc_file


class Ecr2Command(Ecr2BasicCommand):
    NAME = "ecr2"
    SUMMARY = "Amazon ECR registry credentials for container clients"
    DESCRIPTION = doc_file("_description.rst")
    # Only the subcommand that runs is imported: `aws ecr2 get-login-password`
    # must not pay for login, configure-docker or cache.
    SUBCOMMANDS: ClassVar[list[dict]] = [
        {"name": name, "command_class": LazyCommand.factory(name, module, class_name)}
        for name, module, class_name in (
            ("get-login-password", "get_login_password", "GetLoginPasswordCommand"),
            ("get-login", "get_login", "GetLoginCommand"),
            ("login", "login", "LoginCommand"),
            ("configure-docker", "configure_docker", "ConfigureDockerCommand"),
            ("cache", "cache", "CacheCommand"),
            ("completion-index", "completion_index", "CompletionIndexCommand"),
        )
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        raise missing_subcommand_error(self)
