"""The AWS CLI a credential-helper miss runs, and what the hit path must know of it (core).

``docker-credential-ecr2`` never imports botocore: on a cache miss it runs the user's own
``aws`` (``AWS_ECR2_CLI``, else the first ``aws`` on ``PATH``), which signs with exactly its
own credential chain, whatever its install (the official installer's frozen binary, a pipx or
venv v1, Debian's package...). A cache hit must follow that same CLI's rules, and two of
them differ between CLIs: which environment variable names the profile (v1:
``AWS_DEFAULT_PROFILE`` first, v2: ``AWS_PROFILE``) and whether botocore has the login
provider. Nothing outside a frozen CLI can read those from its files, so the CLI tells us:
a miss runs it with ``AWS_ECR2_CREDENTIAL_HELPER`` naming a report file, the plugin inside
writes its facts there (``report_facts``), and the helper keeps them in the token cache
directory as a note keyed by the CLI's real path (``facts_notes``). The note holds the
``stat`` stamps of that file and of the botocore module the CLI loaded, so an upgrade makes it
stale: the next hit that needs the facts is then served as a miss, and the miss refreshes
them.

The hit path asks for the facts only when they matter (both profile variables set and
different, a profile with ``login_session``), so a plain hit does not even look for ``aws``.
"""

from __future__ import annotations

import os

from .. import HELPER_VARIABLE
from ..core.errors import Ecr2Error
from ..core.executables import is_executable, on_path
from ..core.frozen import Frozen
from ..identity.principal import sha256
from . import HelperError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..cache.secure_dir import SecureDirectory

CLI_VARIABLE = "AWS_ECR2_CLI"
__all__ = ["CLI_VARIABLE", "HELPER_VARIABLE", "CliFacts", "CliNotFound", "FactsUnknown",
           "facts_notes", "find_cli", "known_facts", "remember_facts", "report_facts"]


_FACTS_FIELDS = ("major", "login")


class CliNotFound(Ecr2Error):
    """No AWS CLI to run for a miss."""


class FactsUnknown(Ecr2Error):
    """The facts of the user's AWS CLI are not known (yet, or any more): serve as a miss."""


class CliFacts(Frozen):
    """``major``: 1 or 2; ``login``: its botocore has the login provider (``login_session``)."""

    __slots__ = _FACTS_FIELDS

    major: int
    login: bool

    def __init__(self, major: int, login: bool) -> None:
        self._set(major, login)


def find_cli(environ: Mapping[str, str]) -> str:
    """The ``aws`` a miss runs: ``AWS_ECR2_CLI``, else the first executable ``aws`` on
    ``PATH``; CliNotFound with one clear line otherwise."""
    named = environ.get(CLI_VARIABLE, "")
    if named:
        if is_executable(named):
            return named
        raise CliNotFound(f"{CLI_VARIABLE} names {named!r}, which is not an executable file")
    for candidate in on_path("aws", environ.get("PATH", "")):
        return candidate
    raise CliNotFound(
        "no AWS CLI found: there is no 'aws' on PATH; install the AWS CLI, or set "
        f"{CLI_VARIABLE} to the aws you use")


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _note_name(real_path: str) -> str:
    digest = sha256(real_path.encode("utf-8", "surrogateescape")).hexdigest()
    return f"cli-{digest[:32]}.facts"


def facts_notes(environ: Mapping[str, str]) -> SecureDirectory:
    """Where the CLIs' facts notes are kept: the token cache's directory, beside its entries
    (the notes' names never look like an entry's), with the same safety checks."""
    from ..cache.secure_dir import SecureDirectory
    from ..cache.token_cache import default_cache_dir

    return SecureDirectory(default_cache_dir(environ), debug=lambda message: None)


def known_facts(cli: str, notes: SecureDirectory | None) -> CliFacts:
    """The facts the CLI at ``cli`` reported on an earlier miss, if they still hold;
    FactsUnknown otherwise."""
    real_path = os.path.realpath(cli)
    note = None
    if notes is not None and notes.exists():
        note = notes.read_json(_note_name(real_path))
    if (not isinstance(note, dict) or note.get("cli") != real_path
            or note.get("cli_stamp") != _stamp(real_path)
            or type(note.get("major")) is not int or type(note.get("login")) is not bool):
        raise FactsUnknown(f"the AWS CLI at {cli} has not reported its facts yet")
    botocore = note.get("botocore")
    # A frozen CLI's modules are not files: its own stamp covers them.
    if (isinstance(botocore, str) and os.path.exists(botocore)
            and note.get("botocore_stamp") != _stamp(botocore)):
        raise FactsUnknown(f"the botocore of the AWS CLI at {cli} changed")
    return CliFacts(note["major"], note["login"])


def remember_facts(cli: str, report: object, notes: SecureDirectory | None) -> CliFacts | None:
    """Keep what the CLI at ``cli`` reported (``report_facts``'s document) for later hits."""
    if not isinstance(report, dict):
        return None
    major, login, botocore = report.get("major"), report.get("login"), report.get("botocore")
    if type(major) is not int or type(login) is not bool or not isinstance(botocore, str):
        return None
    facts = CliFacts(major, login)
    if notes is not None:
        import json

        real_path = os.path.realpath(cli)
        note = {"cli": real_path, "cli_stamp": _stamp(real_path), "major": major,
                "login": login, "botocore": botocore, "botocore_stamp": _stamp(botocore)}
        try:
            notes.write(_note_name(real_path), json.dumps(note, sort_keys=True).encode("utf-8"))
        except OSError:
            pass  # the next miss reports the facts again
    return facts


def report_facts(path: str, *, major: int, login: bool, botocore: str) -> None:
    """Inside the CLI (the plugin of a helper's ``aws`` child): write this CLI's facts to the
    report file the helper named; best effort, never raises."""
    import json

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"major": major, "login": login, "botocore": botocore}, f)
    except (OSError, ValueError):
        pass


# -- running it -------------------------------------------------------------------------------

# How AWS CLI v2 (2025 and later) starts an error line; v1 and older v2 print the message alone.
_V2_ERROR_PREFIX = "aws: [ERROR]: "
_V2_CLI_ERROR = "An error occurred ("


class Child:
    """The user's ``aws`` as a credential helper's child: found when first needed, run with no
    prompt and no pager, its facts reported by the plugin inside it."""

    def __init__(self, environ, notes):
        self.environ = environ
        self.notes = notes  # () -> the facts_notes directory, or None
        self.warnings = []
        self._cli = None
        self._facts = None

    def cli(self):
        """The user's ``aws``, which a miss runs."""
        if self._cli is None:
            try:
                self._cli = find_cli(self.environ)
            except CliNotFound as error:
                raise HelperError(str(error)) from None
        return self._cli

    def facts(self):
        """The major and login provider of the user's AWS CLI (``CliFacts``)."""
        if self._facts is None:
            try:
                self._facts = known_facts(self.cli(), self.notes())
            except FactsUnknown:
                self.run("--version")  # the plugin reports the facts, then it exits
        return self._facts

    def fetch(self, registry):
        """The cache-miss path: the user's own ``aws`` gets the token (and caches it), signing
        with its own credential chain."""
        import json
        import time
        from base64 import b64encode
        from datetime import datetime

        from ..cache.entry import CachedToken

        fetched_at = time.time()
        out = self.run("ecr2", "get-login", "--registry", registry.ecr_host, "--cache",
                       "--output", "json")
        try:
            [login] = json.loads(out)["Logins"]
            pair = f"{login['Username']}:{login['Password']}"
            expires_at = datetime.fromisoformat(login["ExpiresAt"]).timestamp()
            proxy_endpoint = login["ProxyEndpoint"]
        except (ValueError, KeyError, TypeError) as error:
            raise HelperError(
                f"the AWS CLI at {self.cli()} answered 'aws ecr2 get-login' with something "
                f"else than one login ({type(error).__name__})") from None
        return CachedToken(b64encode(pair.encode("utf-8")).decode("ascii"), expires_at,
                           fetched_at, proxy_endpoint)

    def run(self, *args):
        """Run the user's ``aws`` with ``args``, as a helper's child: no prompt, no pager, the
        plugin reporting the CLI's facts. Its stdout on success (its stderr lines become
        warnings); HelperError with its error line otherwise."""
        import json
        import subprocess
        import tempfile

        cli = self.cli()
        with tempfile.TemporaryDirectory(prefix="ecr2-helper-") as directory:
            report = os.path.join(directory, "facts.json")
            environ = {**self.environ, HELPER_VARIABLE: report, "AWS_CLI_AUTO_PROMPT": "off"}
            try:
                done = subprocess.run([cli, *args], stdin=subprocess.DEVNULL,
                                      capture_output=True, env=environ, check=False)
            except OSError as error:
                raise HelperError(
                    f"cannot run the AWS CLI at {cli}: {error.strerror or error}") from None
            try:
                with open(report, encoding="utf-8") as f:
                    reported = json.load(f)
            except (OSError, ValueError):
                reported = None
        facts = remember_facts(cli, reported, self.notes())
        if facts is not None and self._facts is None:
            self._facts = facts
        errors = done.stderr.decode("utf-8", "replace")
        lines = [line.strip() for line in errors.splitlines() if line.strip()]
        if facts is None:
            detail = "" if not lines or "nvalid choice" in errors else f" ({lines[-1]})"
            raise HelperError(
                f"the AWS CLI at {cli} does not load the ecr2 plugin{detail}; run "
                "'awscli-ecr-login-ext install' (see its --help) for that CLI")
        if done.returncode != 0:
            if not lines:
                raise HelperError(f"'aws {' '.join(args[:2])}' exited {done.returncode}")
            raise HelperError(_cli_message(lines[-1]))
        self.warnings.extend(lines)
        return done.stdout.decode("utf-8")


def _cli_message(line):
    """The message of the AWS CLI's error line, without what v2 (2025 and later) wraps around
    an error of the CLI itself: "aws: [ERROR]: An error occurred (Configuration): MESSAGE".
    A service error keeps its own "An error occurred (CODE) when calling ...": that is the
    message."""
    line = line.removeprefix(_V2_ERROR_PREFIX)
    kind, sep, message = line.partition("): ")
    if sep and kind.startswith(_V2_CLI_ERROR) and " " not in kind[len(_V2_CLI_ERROR):]:
        return message
    return line
