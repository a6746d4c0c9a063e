"""``docker-credential-ecr2``: the Docker credential-helper protocol for Amazon ECR.

Docker (and podman, buildah, skopeo, containerd's CRI with a helper...) runs
``docker-credential-ecr2 <action>`` with a request on stdin:

``get``      stdin: a server URL. stdout: ``{"ServerURL", "Username", "Secret"}``, exit 0.
             A host that is neither ECR nor a configured alias: the protocol's "not found"
             answer (``credentials not found in native keychain`` on stdout, exit 1).
``list``     stdout: ``{"<registry host>": "AWS", ...}`` for this identity's unexpired cached
             tokens; never calls AWS and never imports botocore.
``store``    stdin (a JSON document) is read and discarded; exit 0. This keeps ``docker login``
             to other registries working while we are the ``credsStore``.
``erase``    stdin: a server URL; drops our cached token for that host's cache key; exit 0.
``version``  the package version (also ``--version``).

Any other failure: one line on stderr, exit 1; a password never appears on stderr, in an
exception text, or in the argv/environment of anything.

Speed is the product: the helper runs on every pull and push. Its launcher
(``scripts/docker-credential-ecr2``) runs ``main`` on a Python started with ``-S``. A warm
``get`` is answered by ``hit``, from a memo of what an earlier ``get`` resolved with the same
inputs (the AWS files' bytes, the environment it read): it does not parse the files, and
imports only ``hit``, ``token_cache``, ``entry``, ``secure_dir``, ``aws_files``,
``principal``, ``variants``, ``frozen``, ``errors`` and ``authtoken`` of ours (and the
folders' ``__init__``) and, of the standard library, nothing a bare
``python -S`` has not loaded but ``os`` and a few C modules (``_json``, ``_sha256``/``_sha2``,
``binascii``): no ``re`` (so no ``json``, ``configparser``, ``base64``), ``hashlib``,
``dataclasses``, ``collections`` or ``typing``. Otherwise ``service.Service`` resolves the
entry from the files (``json`` and ``configparser`` only for unusual files: see
``secure_dir.loads`` and ``aws_files.parse_plain_ini``) and ``hit`` remembers it. It never
imports awscli or botocore, not even on a miss.

Choices made here:

* A miss runs the user's own AWS CLI (``user_cli``: ``AWS_ECR2_CLI``, else the first ``aws`` on
  ``PATH``) as ``aws ecr2 get-login --registry ECRHOST --cache --output json``: that CLI signs
  with exactly its own credential chain, whatever its install (the official installer's frozen
  binary, pipx, a venv, Debian's package), applies the profile's settings and fills the
  cache. Its error line becomes ours; its warnings (degraded service) are passed on. Helpers
  that miss at once wait for the first one's child under a lock of their own
  ("<entry>.helper-lock"), then read its entry: one request. No AWS CLI: one line, exit 1.
* The cache key's identity is the credential source that CLI's chain picks
  (``credential_sources``), the same key its ``aws ecr2 ... --cache`` computes: the profile
  variables' order and the login provider are that CLI's, which it reported on an earlier
  miss (``user_cli``), and are asked for only when they matter. A token its chain signed
  with another source than predicted is served, not stored (the child checks).
* Sources that need a person never wait for one: the child runs with
  ``AWS_ECR2_CREDENTIAL_HELPER`` set, which makes the plugin refuse to prompt. An assume-role
  with ``mfa_serial`` is served from the cache; on a miss (and no unexpired assumed-role
  credentials in ``~/.aws/cli/cache``) the helper fails with one line: ``profile 'X' needs an
  MFA code; run 'aws ecr2 get-login-password --cache --profile X' once, then try again``. An
  SSO profile without a valid SSO token fails with one line naming ``aws sso login --profile
  X``.
* The token cache (``TokenCache``: ``$AWS_ECR2_CACHE_DIR``, else ``~/.aws/ecr2/cache``) is
  always used unless ``AWS_ECR2_NO_CACHE`` is 1/true/yes/on. The profile's
  ``ecr2_cache_min_ttl`` is honoured like the CLI commands do.
* The cache key's ``endpoint_url`` is the endpoint URL configured for the service, found the
  way botocore finds it: ``AWS_ENDPOINT_URL_ECR`` / ``AWS_ENDPOINT_URL_ECR_PUBLIC``, then
  ``AWS_ENDPOINT_URL``, then the profile's ``services`` section, then the profile's
  ``endpoint_url`` (none of them when ``ignore_configured_endpoint_urls`` /
  ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true), verbatim -- the same string a user passes
  as ``--endpoint-url``, which is what ``aws ecr2 ... --cache`` puts in its keys, so both share
  entries for the same endpoint.
* Names from the profile's ``ecr2_registry_aliases`` resolve as in the CLI
  (``selection.resolve_registry``); a value containing ``=`` (inline ``NAME=ECRHOST``) is not
  a server URL and is refused.
* ``list`` names, per unexpired entry of this identity and endpoint, the registry the token was
  issued for (the account of the entry's ``proxy_endpoint``, in the entry's region and endpoint
  variant; ``public.ecr.aws`` / ``ecr-public.aws.com`` for ECR Public), plus every configured
  alias whose ECR host the same entry serves. A token serves every registry the identity may
  access in that region, but the cache does not record which other hosts were asked for, so
  those are not listed.
"""

from __future__ import annotations

import os
import sys

from . import MAX_SERVER_URL, NOT_FOUND, PROGRAM, HelperError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .service import Service

__all__ = ["NOT_FOUND", "PROGRAM", "handle", "main"]

_USAGE = (
    f"Usage: {PROGRAM} <get|list|store|erase|version>\n"
    "The Docker credential-helper protocol for Amazon ECR: the request comes on stdin.\n"
)


# -- protocol ----------------------------------------------------------------------------


def _server_url(stdin: str | bytes | bytearray) -> str:
    """The server URL on stdin, stripped; HelperError for anything that is not one."""
    if isinstance(stdin, (bytes, bytearray)):
        if len(stdin) > MAX_SERVER_URL:
            raise HelperError(
                f"the server URL on stdin is too long (over {MAX_SERVER_URL} bytes)")
        try:
            stdin = bytes(stdin).decode("utf-8")
        except UnicodeDecodeError:
            raise HelperError("the server URL on stdin is not UTF-8 text") from None
    if len(stdin) > MAX_SERVER_URL:
        raise HelperError(f"the server URL on stdin is too long (over {MAX_SERVER_URL} bytes)")
    url = stdin.strip()
    if not url:
        raise HelperError("no server URL on stdin")
    return url


def _scrub(text: str, secrets: list[str]) -> str:
    """One line of ``text`` with known secrets and any authorizationToken value removed."""
    from ..core.redact import redact

    return " ".join(redact(text, secrets).split())[:1000]


def _error_text(error: BaseException) -> str:
    from ..core.errors import Ecr2Error

    if isinstance(error, (HelperError, Ecr2Error)):
        return str(error)
    text = str(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def handle(action: str, stdin: str | bytes = "", environ: Mapping[str, str] | None = None,
           ) -> tuple[int, str, str]:
    """Run one protocol ``action`` on ``stdin`` (text or bytes): (exit code, stdout, stderr).

    Never raises (except KeyboardInterrupt/SystemExit); stdout/stderr never hold a traceback.
    """
    if environ is None:
        environ = os.environ
    secrets: list[str] = []
    if action in ("version", "--version", "-v"):
        from .. import __version__

        return 0, __version__ + "\n", ""
    if action in ("-h", "--help", "help"):
        return 0, _USAGE, ""
    if action == "store":
        return 0, "", ""
    if action not in ("get", "list", "erase"):
        return 1, "", _USAGE
    helper: Service | None = None
    try:
        if action == "get":
            from .hit import remembered, remembering

            server_url = _server_url(stdin)
            found = remembered(server_url, environ)
            if found is None:
                helper = remembering(server_url, environ)
                found = helper.get(server_url)
            if found is None:
                return 1, NOT_FOUND + "\n", ""
            username, password = found.username, found.password
            secrets.append(password)
            out = _credentials_json(server_url, username, password) + "\n"
            return 0, out, _warnings(helper, secrets) if helper is not None else ""
        from .service import Service

        helper = Service(environ)
        if action == "list":
            import json

            return 0, json.dumps(helper.list(), sort_keys=True) + "\n", ""
        helper.erase(_server_url(stdin))
        return 0, "", ""
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: BLE001 - the protocol wants one line, no traceback
        message = _scrub(_error_text(error), secrets)
        warnings = _warnings(helper, secrets) if helper is not None else ""
        line = f"{PROGRAM}: {message}\n"
        # Docker shows a failing helper's stdout ("error getting credentials - ...
        # out: `...`"), the protocol's error channel; stderr keeps it for humans.
        return 1, line, warnings + line


def _credentials_json(server_url: str, username: str, password: str) -> str:
    """``json.dumps({"ServerURL": server_url, "Username": username, "Secret": password})``,
    without importing json (it imports re) when its C string encoder is there."""
    try:
        from _json import encode_basestring_ascii as encode
    except ImportError:
        encode = None
    if encode is None or not (
            type(server_url) is type(username) is type(password) is str):
        import json

        return json.dumps({"ServerURL": server_url, "Username": username, "Secret": password})
    return (f'{{"ServerURL": {encode(server_url)}, "Username": {encode(username)}, '
            f'"Secret": {encode(password)}}}')


def _warnings(helper: Service, secrets: list[str]) -> str:
    return "".join(_scrub(w, secrets) + "\n" for w in helper.warnings)


def _read_stdin(limit: int | None) -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        return b""
    chunks = []
    size = 0
    while True:
        chunk = stream.read(65536 if limit is None else limit + 1 - size)
        if not chunk:
            break
        if limit is not None:
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break
    return b"".join(chunks)


def main(argv: list[str] | None = None) -> int:
    """Console script entry point: ``docker-credential-ecr2 <action>``."""
    if argv is None:
        argv = sys.argv[1:]
    if len(argv) != 1:
        sys.stderr.write(_USAGE)
        return 1
    action = argv[0]
    try:
        if action in ("get", "erase"):
            stdin = _read_stdin(MAX_SERVER_URL)
        elif action == "store":
            _read_stdin(None)  # read and discard: docker must be able to finish writing
            stdin = b""
        else:
            stdin = b""
    except OSError as error:
        sys.stderr.write(f"{PROGRAM}: cannot read stdin: {error.strerror or error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        code, out, err = handle(action, stdin)
    except KeyboardInterrupt:
        return 130
    try:
        if out:
            sys.stdout.write(out)
            sys.stdout.flush()
    except OSError:
        code = code or 1
    if err:
        try:
            sys.stderr.write(err)
            sys.stderr.flush()
        except OSError:
            pass
    return code


if __name__ == "__main__":
    sys.exit(main())
