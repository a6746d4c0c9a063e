"""``aws ecr2 get-login-password``: the stock command's output, byte for byte."""

from __future__ import annotations

import sys
from typing import Any

from ..authtoken import authorizations_from_response, decode_token
from ..awscli_compat import create_client, redacted_logs, require_signing
from .base import Ecr2BasicCommand, doc_file


class GetLoginPasswordCommand(Ecr2BasicCommand):
    NAME = "get-login-password"
    SUMMARY = "Print a password that logs a container client in to Amazon ECR"
    DESCRIPTION = doc_file("get-login-password_description.rst")
    EXAMPLES = doc_file("get-login-password_examples.rst")

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        require_signing(parsed_globals)
        with redacted_logs() as secrets:
            client = create_client(self._session, parsed_globals)
            response = client.get_authorization_token()
            authorization = authorizations_from_response(response)[0]
            password = decode_token(authorization.token).password
            secrets.append(password)
        # Written in one call, only once everything succeeded: a failure must
        # never feed a partial or empty password into `docker login`.
        sys.stdout.write(password + "\n")
        return 0
