"""The table of container clients that ``aws ecr2 login`` can hand a password to.

Every supported client has its own ``login`` command that reads the password from
standard input (``--password-stdin``).  This module knows each client's exact
command line, finds the client on ``PATH``, runs it with the password written to
its stdin, and masks the password in anything the client prints.

The password never appears in a command line (visible to every local user via
``ps``/``/proc``) nor in the child's environment.

This module is deliberately standard-library only (plus the package's own
stdlib-only ``errors``): it imports nothing from awscli or botocore.
"""

from __future__ import annotations

import base64
import errno
import os
import shlex
import subprocess
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..core.errors import Ecr2Error
from ..core.executables import first_on_path
from ..core.redact import redact

__all__ = [
    "DEFAULT_TOOL_ORDER",
    "MASK",
    "TOOLS",
    "LoginResult",
    "LoginTool",
    "ToolError",
    "find_tool",
    "format_command",
    "mask",
    "run_login",
]

MASK = "****"

# Placeholders in LoginTool.args, substituted by LoginTool.argv().  Only whole
# arguments equal to a placeholder are substituted, so a registry or username
# containing braces is passed through verbatim.
_USERNAME = "{username}"
_REGISTRY = "{registry}"

# Exit codes reported when the tool did not produce one itself (the shell and
# timeout(1) conventions), so that callers may use LoginResult.returncode as a
# process exit status.
RC_TIMEOUT = 124
RC_CANNOT_EXECUTE = 126
RC_NOT_FOUND = 127


class ToolError(Ecr2Error):
    """A problem the user can fix (unknown tool, tool missing, bad input).

    The message is always a single line, suitable for printing as-is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class LoginTool:
    """One container client and its own registry-login command line."""

    name: str
    """The value users pass to ``--tool``."""
    executable: str
    """The program name looked up on ``PATH``."""
    args: tuple[str, ...] = field(
        default=("login", "--username", _USERNAME, "--password-stdin", _REGISTRY)
    )
    """Arguments after the executable; ``{username}``/``{registry}`` are substituted."""

    def argv(self, registry: str, username: str = "AWS") -> list[str]:
        """The tool's login command for *registry*; the password is read from stdin.

        Raises ToolError for a registry or username that the tool could mistake
        for an option or that cannot be a host name / user name at all.
        """
        _check_arg("registry", registry)
        _check_arg("username", username)
        values = {_USERNAME: username, _REGISTRY: registry}
        return [self.executable] + [values.get(arg, arg) for arg in self.args]


def _check_arg(what: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ToolError(f"the {what} must not be empty")
    if value.startswith("-"):
        raise ToolError(f"invalid {what} {value!r}: it must not start with '-'")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ToolError(
            f"invalid {what} {value!r}: it must not contain spaces or control characters"
        )


_DOCKER_STYLE = ("login", "--username", _USERNAME, "--password-stdin", _REGISTRY)

TOOLS: dict[str, LoginTool] = {
    tool.name: tool
    for tool in (
        # docker login [OPTIONS] [SERVER]
        LoginTool("docker", "docker", _DOCKER_STYLE),
        # podman login [options] [REGISTRY]   (containers/common auth.Login)
        LoginTool("podman", "podman", _DOCKER_STYLE),
        # buildah login [flags] REGISTRY
        LoginTool("buildah", "buildah", _DOCKER_STYLE),
        # skopeo login [command options] REGISTRY
        LoginTool("skopeo", "skopeo", _DOCKER_STYLE),
        # nerdctl login [flags] [SERVER]
        LoginTool("nerdctl", "nerdctl", _DOCKER_STYLE),
        # finch login (nerdctl's command inside the Finch VM)
        LoginTool("finch", "finch", _DOCKER_STYLE),
        # helm registry login [host] [flags]
        LoginTool(
            "helm",
            "helm",
            ("registry", "login", "--username", _USERNAME, "--password-stdin", _REGISTRY),
        ),
        # oras login [flags] <registry>
        LoginTool("oras", "oras", _DOCKER_STYLE),
        # crane auth login [OPTIONS] [SERVER]
        LoginTool(
            "crane",
            "crane",
            ("auth", "login", _REGISTRY, "--username", _USERNAME, "--password-stdin"),
        ),
    )
}

DEFAULT_TOOL_ORDER: tuple[str, ...] = ("docker", "podman", "nerdctl", "finch")


def find_tool(name: str | None, path: str | None = None) -> tuple[LoginTool, str]:
    """Pick the login tool and locate its executable.

    *name* ``None`` picks the first of DEFAULT_TOOL_ORDER found on the search
    path.  *path* is a ``PATH``-style search path; ``None`` means ``$PATH``.
    Returns ``(tool, absolute path of its executable)``; raises ToolError.
    """
    if name is None:
        for candidate in DEFAULT_TOOL_ORDER:
            found = _which(TOOLS[candidate].executable, path)
            if found:
                return TOOLS[candidate], found
        raise ToolError(
            "no container client was found on PATH (looked for "
            + ", ".join(DEFAULT_TOOL_ORDER)
            + "); install one or choose another with --tool"
        )
    key = name.strip().lower()
    tool = TOOLS.get(key)
    if tool is None:
        raise ToolError(f"unknown tool {name!r}; choose one of: " + ", ".join(TOOLS))
    found = _which(tool.executable, path)
    if not found:
        raise ToolError(f"{tool.name} was not found on PATH; install it or choose another --tool")
    return tool, found


def _which(executable: str, path: str | None) -> str | None:
    return first_on_path(executable, os.environ.get("PATH", "") if path is None else path)


def _secret_forms(secret: str) -> list[str]:
    """The raw secret plus the encodings a tool might plausibly print it in."""
    forms = {secret}
    raw = secret.encode("utf-8")
    # Docker-style config files and Basic auth headers hold base64("user:secret");
    # ECR's username is always AWS.
    for blob in (raw, b"AWS:" + raw):
        for encoded in (base64.b64encode(blob), base64.urlsafe_b64encode(blob)):
            text = encoded.decode("ascii")
            forms.add(text)
            forms.add(text.rstrip("="))
    forms.add(urllib.parse.quote(secret, safe=""))
    # A form made only of mask characters cannot be masked meaningfully (and
    # would never converge below); tiny forms would shred unrelated text.
    return sorted(
        (f for f in forms if f.strip(MASK[0]) and (f == secret or len(f) >= 4)),
        key=len,
        reverse=True,
    )


def mask(text: str, secret: str) -> str:
    """Replace every occurrence of *secret* (and its base64/URL forms) with ``****``.

    Returns *text* unchanged when *secret* is empty.
    """
    if not secret or not text:
        return text
    forms = _secret_forms(secret)
    # Repeat until nothing changes: replacing can create a new occurrence when
    # the secret itself contains '*'.  Each changing pass removes at least one
    # non-'*' character, so this terminates.
    while True:
        masked = text
        masked = redact(masked, forms, MASK)
        if masked == text:
            return masked
        text = masked


@dataclass(frozen=True)
class LoginResult:
    """The outcome of running a tool's login command."""

    ok: bool
    returncode: int
    """The tool's exit status; 124 timed out, 126 could not run, 127 not found."""
    output: str
    """The tool's stdout and stderr (interleaved), with the password masked."""
    argv: tuple[str, ...] = ()
    """The command that was run (it never contains the password)."""


def run_login(
    tool: LoginTool,
    executable: str,
    registry: str,
    password: str,
    *,
    username: str = "AWS",
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> LoginResult:
    """Run *tool*'s login command with *password* written to its stdin.

    The child gets exactly ``password + "\\n"`` on stdin.  *env* defaults to the
    current environment; any variable whose value is the password is dropped
    from it.  Failures of the tool are reported in the result, never raised;
    ToolError is raised only for unusable input (empty password, a password
    with a line break, a bad registry/username).
    """
    if not isinstance(password, str) or not password:
        raise ToolError("the registry password is empty")
    if "\n" in password or "\r" in password:
        raise ToolError("the registry password contains a line break")
    argv = [executable] + tool.argv(registry, username)[1:]
    base_env = os.environ if env is None else env
    child_env = {k: v for k, v in base_env.items() if v != password}
    label = f"{tool.name} login"

    def result(ok: bool, returncode: int, output: str) -> LoginResult:
        return LoginResult(ok, returncode, mask(output, password), tuple(argv))

    try:
        completed = subprocess.run(
            argv,
            input=(password + "\n").encode("utf-8"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=child_env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        partial = _decode(exc.output)
        message = f"{label} did not finish within {timeout:g} seconds and was stopped"
        return result(False, RC_TIMEOUT, _join(partial, message))
    except OSError as exc:
        code = RC_NOT_FOUND if exc.errno == errno.ENOENT else RC_CANNOT_EXECUTE
        reason = exc.strerror or exc.__class__.__name__
        return result(False, code, f"could not run {label} ({executable}): {reason}")
    output = _decode(completed.stdout)
    return result(completed.returncode == 0, completed.returncode, output)


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def _join(first: str, second: str) -> str:
    if not first:
        return second
    return first + ("" if first.endswith("\n") else "\n") + second


def format_command(argv: Sequence[str]) -> str:
    """Shell-quote *argv* for display (e.g. ``--dry-run``)."""
    return shlex.join(list(argv))
