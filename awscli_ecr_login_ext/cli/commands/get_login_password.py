"""``aws ecr2 get-login-password``: the stock command's output, byte for byte."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from ..service import SELECTOR_ARGS, fetch_selected_logins
from .base import Ecr2BasicCommand, doc_file


class GetLoginPasswordCommand(Ecr2BasicCommand):
    NAME = "get-login-password"
    SUMMARY = "Print a password that logs a container client in to Amazon ECR"
    DESCRIPTION = doc_file("get-login-password_description.rst")
    EXAMPLES = doc_file("get-login-password_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = SELECTOR_ARGS

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        [login] = fetch_selected_logins(self._session, parsed_args, parsed_globals, single=True)
        # Written in one call, only once everything succeeded: a failure must
        # never feed a partial or empty password into `docker login`.
        sys.stdout.write(login.password + "\n")
        return 0
