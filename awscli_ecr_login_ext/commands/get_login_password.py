"""``aws ecr2 get-login-password``: the stock command's output, byte for byte."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from ..awscli_compat import redacted_logs, require_signing, usage_error
from ..logins import get_logins
from .base import Ecr2BasicCommand, doc_file
from .options import SELECTOR_ARGS, default_request, selected_registries, token_source


class GetLoginPasswordCommand(Ecr2BasicCommand):
    NAME = "get-login-password"
    SUMMARY = "Print a password that logs a container client in to Amazon ECR"
    DESCRIPTION = doc_file("get-login-password_description.rst")
    EXAMPLES = doc_file("get-login-password_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = SELECTOR_ARGS

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        require_signing(parsed_globals)
        registries = selected_registries(self._session, parsed_args, parsed_globals)
        if len(registries) > 1:
            raise usage_error(
                f"get-login-password prints one password, but {len(registries)} registries were "
                "selected; use 'aws ecr2 get-login' for several registries.")
        with redacted_logs() as secrets:
            source = token_source(self._session, parsed_args, parsed_globals, secrets)
            request = None if registries else default_request(self._session)
            password = get_logins(source, registries, request)[0].password
        # Written in one call, only once everything succeeded: a failure must
        # never feed a partial or empty password into `docker login`.
        sys.stdout.write(password + "\n")
        return 0
