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
(``scripts/docker-credential-ecr2``) runs ``main`` on a Python started with ``-S``. The
cache-hit path of ``get`` imports only the stdlib-only core (``registry``, ``selection``,
``identity``, ``aws_files``, ``credential_sources``, ``cache``, ``frozen``, ``authtoken``)
and, of the standard library, nothing a bare ``python -S`` has not loaded but ``os`` and a few
C modules (``_json``, ``_sha256``/``_sha2``, ``binascii``): no ``re`` (so no ``json``,
``configparser``, ``base64``), ``hashlib``, ``dataclasses``, ``collections`` or ``typing``;
``json`` and ``configparser`` only for unusual files (see ``cache._loads`` and
``aws_files.parse_plain_ini``). It never imports awscli or botocore, not even on a miss.

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

from .core.errors import Ecr2Error

PROGRAM = "docker-credential-ecr2"
NOT_FOUND = "credentials not found in native keychain"
USERNAME_FALLBACK = "AWS"
# A server URL is a host name plus a little; anything longer is not one.
MAX_SERVER_URL = 4096
# Where a cache miss waits for another process fetching the same key.
LOCK_WAIT_SECONDS = 30.0

_USAGE = (
    f"Usage: {PROGRAM} <get|list|store|erase|version>\n"
    "The Docker credential-helper protocol for Amazon ECR: the request comes on stdin.\n"
)
_TRUE = ("1", "true", "yes", "on")
# How AWS CLI v2 (2025 and later) starts an error line; v1 and older v2 print the message alone.
_V2_ERROR_PREFIX = "aws: [ERROR]: "
_V2_CLI_ERROR = "An error occurred ("
_SERVICE_ENV = {"ecr": "AWS_ENDPOINT_URL_ECR", "ecr-public": "AWS_ENDPOINT_URL_ECR_PUBLIC"}
_SERVICE_CONFIG_KEY = {"ecr": "ecr", "ecr-public": "ecr_public"}


class HelperError(Ecr2Error):
    """A failure reported as one line on stderr; the message never holds a secret."""


class _Config:
    """The environment, the credential chain and the selected profile's settings, read from
    the shared files without botocore.

    The profile and the chain are those of the user's AWS CLI (``user_cli``): ``facts`` tells
    its major and login provider when they matter, so the settings read here belong to the
    identity in the cache key.
    """

    def __init__(self, environ, chain, profile):
        self.environ = environ
        self.chain, self.profile = chain, profile
        self.scoped = self.chain.profile(self.profile)
        self._sections = None
        self._aliases = None
        self._registry_profiles = None

    @classmethod
    def active(cls, environ, facts):
        """The profile the environment selects, in the order of the user's CLI."""
        from .credential_sources import chain_from_files

        chain, profile = chain_from_files(
            environ, major=lambda: facts().major, login=lambda: facts().login)
        return cls(environ, chain, profile)

    def registry_profiles(self):
        """``ecr2_registry_profiles``: {ECR host: profile}."""
        if self._registry_profiles is None:
            from .registry import RegistryError
            from .registry_profiles import SETTING, parse_registry_profiles

            try:
                self._registry_profiles = parse_registry_profiles(
                    self.scoped.get(SETTING), self.chain.profiles.keys())
            except RegistryError as error:
                raise HelperError(f"profile {self.profile!r}: {error}") from None
        return self._registry_profiles

    def for_registry(self, registry):
        """The settings of the profile that signs for ``registry``: the one the active
        profile's ``ecr2_registry_profiles`` maps it to (as with --profile), else this one."""
        mapping = self.registry_profiles()
        if not mapping:
            return self
        from .registry_profiles import profile_for

        mapped = profile_for(registry, mapping)
        return self if mapped is None else _Config(self.environ, self.chain.explicitly(), mapped)

    def predicted(self):
        """The credential source (``credential_sources.Resolution``) the chain predicts."""
        return self.chain.resolve(self.profile)

    def aliases(self):
        if self._aliases is None:
            from .registry import RegistryError
            from .selection import aliases_from_config

            try:
                self._aliases = aliases_from_config(self.scoped.get("ecr2_registry_aliases"))
            except RegistryError as error:
                raise HelperError(f"profile {self.profile!r}: {error}") from None
        return self._aliases

    def min_ttl(self):
        from .core import settings

        return settings.min_ttl(self.scoped.get("ecr2_cache_min_ttl"), self.profile)

    def endpoint_url(self, service):
        """The configured endpoint URL for ``service`` ("ecr"/"ecr-public"), as botocore finds
        it, or None for the real AWS endpoint."""
        environ = self.environ
        ignore = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        if ignore is None:
            ignore = self.scoped.get("ignore_configured_endpoint_urls", "")
        if ignore.strip().lower() == "true":
            return None
        for value in (environ.get(_SERVICE_ENV[service]), environ.get("AWS_ENDPOINT_URL")):
            if value:
                return value
        services = self.scoped.get("services", "").strip()
        if services:
            from .aws_files import config_file_path, named_section, parse_nested, read_ini

            if self._sections is None:
                self._sections = read_ini(config_file_path(self.environ))
            for section, items in self._sections.items():
                if named_section(section, "services") == services:
                    nested = parse_nested(items.get(_SERVICE_CONFIG_KEY[service], ""))
                    if nested.get("endpoint_url"):
                        return nested["endpoint_url"]
        return self.scoped.get("endpoint_url") or None


class _Helper:
    def __init__(self, environ):
        self.environ = environ
        self.warnings = []
        self._cli = None
        self._facts = None
        self._cache = False
        self.config = _Config.active(environ, self.facts)

    # -- shared pieces ------------------------------------------------------------------

    def cache_enabled(self):
        return self.environ.get("AWS_ECR2_NO_CACHE", "").strip().lower() not in _TRUE

    def cache(self):
        """The TokenCache, or None when AWS_ECR2_NO_CACHE is set."""
        if self._cache is False:
            self._cache = None
            if self.cache_enabled():
                from .cache import TokenCache

                self._cache = TokenCache(min_ttl=self.config.min_ttl(), environ=self.environ)
        return self._cache

    def _notes(self):
        """Where the CLI's facts are kept: the cache directory (the token cache's freshness
        settings do not matter for them, and may not be known yet)."""
        if not self.cache_enabled():
            return None
        from .cache import TokenCache

        return TokenCache(environ=self.environ)

    def cli(self):
        """The user's ``aws``, which a miss runs."""
        if self._cli is None:
            from .user_cli import CliNotFound, find_cli

            try:
                self._cli = find_cli(self.environ)
            except CliNotFound as error:
                raise HelperError(str(error)) from None
        return self._cli

    def facts(self):
        """The major and login provider of the user's AWS CLI (``user_cli.CliFacts``)."""
        if self._facts is None:
            from .user_cli import FactsUnknown, known_facts

            try:
                self._facts = known_facts(self.cli(), self._notes())
            except FactsUnknown:
                self._run_cli("--version")  # the plugin reports the facts, then it exits
        return self._facts

    def registry(self, server_url):
        """The ECR registry ``server_url`` names (directly or as an alias), or None."""
        from .registry import RegistryError, host_of, quote
        from .selection import resolve_registry

        if "=" in server_url:
            raise HelperError(f"{quote(server_url, 80)} is not a registry server URL")
        host_of(server_url)  # a RegistryError ("not a valid registry host") for non-hosts
        try:
            return resolve_registry(server_url, self.config.aliases())
        except RegistryError:
            return None

    def key(self, registry):
        """The cache key of ``registry``'s token: signed by its mapped profile, else the
        active one."""
        from .cache import CacheKey
        from .selection import TokenRequest

        signer = self.config.for_registry(registry)
        request = TokenRequest.for_registry(registry)
        return CacheKey.for_request(request, signer.predicted().identity,
                                    signer.endpoint_url(request.service))

    # -- actions ------------------------------------------------------------------------

    def get(self, server_url):
        registry = self.registry(server_url)
        if registry is None:
            return None
        from .authtoken import decode_token
        from .cache import HELPER_LOCK

        cache = self.cache()
        if cache is None:
            self.config.for_registry(registry)  # a bad mapping fails before any call
            token = self._fetch(registry)
        else:
            # Single flight among helpers under a lock of their own: the `aws` child then
            # takes the entry's lock, fetches and stores, and the waiting helpers read its entry.
            key = self.key(registry)
            token = cache.fetch(key, lambda: self._fetch(registry), wait=LOCK_WAIT_SECONDS,
                                store=False, lock=HELPER_LOCK)[0]
        return decode_token(token.token)

    def _fetch(self, registry):
        """The cache-miss path: the user's own ``aws`` gets the token (and caches it), signing
        with its own credential chain."""
        import json
        import time
        from base64 import b64encode
        from datetime import datetime

        from .cache import CachedToken

        fetched_at = time.time()
        out = self._run_cli("ecr2", "get-login", "--registry", registry.ecr_host, "--cache",
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

    def _run_cli(self, *args):
        """Run the user's ``aws`` with ``args``, as a helper's child: no prompt, no pager, the
        plugin reporting the CLI's facts. Its stdout on success (its stderr lines become
        warnings); HelperError with its error line otherwise."""
        import json
        import subprocess
        import tempfile

        from .user_cli import HELPER_VARIABLE, remember_facts

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
        facts = remember_facts(cli, reported, self._notes())
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

    def list(self):
        cache = self.cache()
        if cache is None:
            return {}
        import time

        from .registry import PUBLIC_HOSTS, RegistryError, format_host, host_of, parse_registry

        identity = self.config.predicted().identity.key
        now = time.time()
        endpoints = {}
        hosts = {}
        for descriptor, token in cache.entries():
            public = descriptor["public"]
            service = "ecr-public" if public else "ecr"
            if service not in endpoints:
                endpoints[service] = self.config.endpoint_url(service)
            if (descriptor["identity"] != identity
                    or descriptor["endpoint_url"] != endpoints[service]
                    or token.remaining(now) <= 0):
                continue
            variant = descriptor["variant"]
            if public:
                dualstack = "dualstack" in variant
                hosts.update((h, USERNAME_FALLBACK) for h, ds in PUBLIC_HOSTS.items()
                             if ds == dualstack)
                continue
            try:
                account = host_of(token.proxy_endpoint or "").split(".", 1)[0]
                hosts[format_host(account, descriptor["region"], fips="fips" in variant,
                                  dualstack="dualstack" in variant)] = USERNAME_FALLBACK
            except RegistryError:
                continue  # no usable proxy endpoint: nothing to name
        # The names the profile configures: each by the entry of the profile that signs for it.
        configured = dict(self.config.aliases())
        configured.update((host, parse_registry(host))
                          for host in self.config.registry_profiles())
        for name, registry in configured.items():
            if cache.get_unexpired(self.key(registry)) is not None:
                hosts[name] = USERNAME_FALLBACK
        return hosts

    def erase(self, server_url):
        registry = self.registry(server_url)
        cache = self.cache()
        if registry is None or cache is None:
            return 0
        wanted = self.key(registry).descriptor()
        del wanted["identity_label"]  # informational only, like in the cache itself
        return cache.remove(
            lambda descriptor: all(descriptor.get(k) == v for k, v in wanted.items()))


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


# -- protocol ----------------------------------------------------------------------------


def _server_url(stdin):
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


def _scrub(text, secrets):
    """One line of ``text`` with known secrets and any authorizationToken value removed."""
    from .core.redact import redact

    return " ".join(redact(text, secrets).split())[:1000]


def _error_text(error):
    from .core.errors import Ecr2Error

    if isinstance(error, (HelperError, Ecr2Error)):
        return str(error)
    text = str(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def handle(action, stdin="", environ=None):
    """Run one protocol ``action`` on ``stdin`` (text or bytes): (exit code, stdout, stderr).

    Never raises (except KeyboardInterrupt/SystemExit); stdout/stderr never hold a traceback.
    """
    if environ is None:
        environ = os.environ
    secrets = []
    if action in ("version", "--version", "-v"):
        from . import __version__

        return 0, __version__ + "\n", ""
    if action in ("-h", "--help", "help"):
        return 0, _USAGE, ""
    if action == "store":
        return 0, "", ""
    if action not in ("get", "list", "erase"):
        return 1, "", _USAGE
    helper = None
    try:
        helper = _Helper(environ)
        if action == "get":
            server_url = _server_url(stdin)
            found = helper.get(server_url)
            if found is None:
                return 1, NOT_FOUND + "\n", ""
            username, password = found.username, found.password
            secrets.append(password)
            out = _credentials_json(server_url, username, password) + "\n"
            return 0, out, _warnings(helper, secrets)
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


def _credentials_json(server_url, username, password):
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


def _warnings(helper, secrets):
    return "".join(_scrub(w, secrets) + "\n" for w in helper.warnings)


def _read_stdin(limit):
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


def main(argv=None):
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
