"""``aws ecr2 get-login``: logins for many registries, through the CLI's own output machinery."""

from __future__ import annotations

from base64 import b64encode
from typing import Any, ClassVar

from ..adapter import display
from ..logins import Login
from ..service import SELECTOR_ARGS, fetch_selected_logins
from .base import Ecr2BasicCommand, doc_file


def docker_config(logins: list[Login]) -> dict[str, Any]:
    """What a Docker config.json or a kubernetes.io/dockerconfigjson secret holds."""
    auths = {}
    for login in logins:
        pair = f"{login.username}:{login.password}".encode()
        auths[login.registry] = {"auth": b64encode(pair).decode("ascii")}
    return {"auths": auths}


class GetLoginCommand(Ecr2BasicCommand):
    NAME = "get-login"
    SUMMARY = "Show registry, user name, password and expiry for one or more ECR registries"
    DESCRIPTION = doc_file("get-login_description.rst")
    EXAMPLES = doc_file("get-login_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = [
        *SELECTOR_ARGS,
        {
            "name": "docker-config", "action": "store_true",
            "help_text": ("<p>Output the document a Docker <code>config.json</code> or a "
                          "Kubernetes <code>kubernetes.io/dockerconfigjson</code> secret holds, "
                          "<code>{\"auths\": {HOST: {\"auth\": ...}}}</code>, instead of "
                          "<code>Logins</code>.</p>"),
        },
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        logins = fetch_selected_logins(self._session, parsed_args, parsed_globals)
        if parsed_args.docker_config:
            result = docker_config(logins)
        else:
            result = {"Logins": [login.as_output() for login in logins]}
        display(self._session, parsed_globals, self.NAME, result)
        return 0
