"""``aws ecr2 login``: run a container client's own login, the password on its stdin only."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone
from typing import Any, ClassVar

from ..adapter import usage_error
from ..logins import Login
from ..service import SELECTOR_ARGS, fetch_selected_logins
from ..tools import DEFAULT_TOOL_ORDER, TOOLS, ToolError, find_tool, format_command, run_login
from .base import Ecr2BasicCommand, doc_file

LOG = logging.getLogger("awscli.ecr2")


def describe_expiry(expires_at: float, now: float | None = None) -> str:
    """``the token expires in 12 hours`` / ``... in 1 hour and 5 minutes`` / ``... has already
    expired``, rounded to the nearest minute."""
    remaining = expires_at - (time.time() if now is None else now)
    if remaining <= 0:
        when = datetime.fromtimestamp(int(expires_at), tz=timezone.utc)
        return f"the token has already expired (at {when.strftime('%Y-%m-%d %H:%M:%S UTC')})"
    minutes = int((remaining + 30) // 60)
    if minutes == 0:
        return "the token expires in less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return "the token expires in " + " and ".join(parts)


class LoginCommand(Ecr2BasicCommand):
    NAME = "login"
    SUMMARY = "Log a container client in to Amazon ECR registries with the client's own login"
    DESCRIPTION = doc_file("login_description.rst")
    EXAMPLES = doc_file("login_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = [
        *SELECTOR_ARGS,
        {
            "name": "tool",
            "help_text": ("<p>The client to log in: " + ", ".join(
                f"<code>{name}</code>" for name in TOOLS) + ". Default: the first of "
                + ", ".join(DEFAULT_TOOL_ORDER) + " found on <code>PATH</code>.</p>"),
        },
        {
            "name": "dry-run", "action": "store_true",
            "help_text": ("<p>Print the login commands instead of running them. Passwords are "
                          "never part of a command: the client reads the password on its "
                          "standard input.</p>"),
        },
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        # Everything that can be checked locally is checked before any AWS call.
        try:
            tool, executable = find_tool(parsed_args.tool)
        except ToolError as error:
            raise usage_error(str(error)) from None
        logins = fetch_selected_logins(self._session, parsed_args, parsed_globals)
        if parsed_args.dry_run:
            for login in logins:
                sys.stdout.write(format_command(tool.argv(login.registry, login.username)) + "\n")
            return 0
        failures = sum(not self._login(tool, executable, login) for login in logins)
        return 1 if failures else 0

    def _login(self, tool: Any, executable: str, login: Login) -> bool:
        result = run_login(tool, executable, login.registry, login.password,
                           username=login.username)
        if result.ok:
            LOG.debug("%s login output: %s", tool.name, result.output.strip())
            sys.stdout.write(f"Logged in to {login.registry} with {tool.name}; "
                             f"{describe_expiry(login.expires_at)}\n")
            sys.stdout.flush()
            return True
        sys.stdout.flush()
        output = result.output.strip()
        sys.stderr.write(f"Login to {login.registry} with {tool.name} failed "
                         f"(exit status {result.returncode})" + (f":\n{output}\n" if output
                                                                 else "\n"))
        sys.stderr.flush()
        return False
