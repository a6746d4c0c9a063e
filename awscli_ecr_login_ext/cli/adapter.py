"""Adapter: what differs between AWS CLI v1 and v2, and the CLI machinery we reuse.

Loaded only when an ``ecr2`` command runs (never by ``awscli_initialize``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import awscli
from awscli.customizations.utils import create_client_from_parsed_globals

from ..core.errors import Ecr2Error
from ..core.redact import REDACTED, redact

CLI_MAJOR = int(awscli.__version__.split(".")[0])



def usage_error(message: str) -> Exception:
    """The CLI's own usage error: exit 252 on v2; v1 has none and exits 255 for any error."""
    if CLI_MAJOR >= 2:
        from awscli.customizations.exceptions import ParamValidationError

        return ParamValidationError(message)
    return Ecr2Error(message)


def configuration_error(message: str) -> Exception:
    """The CLI's own configuration error: exit 253 on v2, 255 on v1."""
    if CLI_MAJOR >= 2:
        from awscli.customizations.exceptions import ConfigurationError

        return ConfigurationError(message)
    return Ecr2Error(message)


def missing_subcommand_error(command: Any) -> Exception:
    """What ``aws <group>`` without a subcommand raises in each major."""
    names = " ".join(c.name for c in command.lineage)
    message = (f"usage: aws [options] {names} <subcommand> [parameters]\n"
               "aws: error: too few arguments")
    return usage_error(message) if CLI_MAJOR >= 2 else ValueError(message)


def create_client(
    session: Any,
    parsed_globals: Any,
    service: str = "ecr",
    *,
    region: str | None = None,
    fips: bool = False,
    dualstack: bool = False,
) -> Any:
    """A client honouring every global option, optionally pinned to a region or endpoint variant."""
    overrides: dict[str, Any] = {}
    if region is not None:
        overrides["region_name"] = region
    if fips or dualstack:
        from botocore.config import Config

        overrides["config"] = Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack)
    return create_client_from_parsed_globals(session, service, parsed_globals, overrides)


def configured_endpoint_url(session: Any, service: str) -> str | None:
    """The endpoint a client without --endpoint-url takes from AWS_ENDPOINT_URL* or the config.

    Asked of botocore's own provider, so a cache entry is keyed by the endpoint the
    client really calls; None where this botocore has no such setting (Debian's v2 2.9).
    """
    try:
        from botocore.configprovider import ConfiguredEndpointProvider
    except ImportError:
        return None
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    return ConfiguredEndpointProvider(
        full_config=session.full_config, scoped_config=session.get_scoped_config(),
        client_name=service).provide()


NO_SIGN_REQUEST_MESSAGE = ("--no-sign-request cannot be used with ecr2: ECR issues an "
                           "authorization token only to a caller with AWS credentials.")


def require_signing(parsed_globals: Any) -> None:
    """Refuse ``--no-sign-request`` before any request is made.

    Real ECR answers an unsigned request with the service error
    MissingAuthenticationTokenException, so the stock command exits with each CLI's code for a
    service error (254 on v2, 255 on v1). We raise botocore's own ``ClientError`` with that
    code (its message replaced by our one line), and the CLI's error handler gives it the
    same exit code, and its ``cli_error_format`` the same Code.
    """
    if getattr(parsed_globals, "sign_request", True) is False:
        from botocore.exceptions import ClientError

        class UnsignedRequestRefused(ClientError):
            MSG_TEMPLATE = "{error_message}"

        raise UnsignedRequestRefused(
            {"Error": {"Code": "MissingAuthenticationTokenException",
                       "Message": NO_SIGN_REQUEST_MESSAGE}},
            "GetAuthorizationToken")


class _SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self.secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_DEBUG_LOGGERS = ("", "botocore", "awscli", "urllib3", "s3transfer")


@contextmanager
def redacted_logs() -> Iterator[list[str]]:
    """Scrub tokens from ``--debug`` output while our calls run.

    botocore logs every response body; the CLI attaches its ``--debug``
    handlers to the loggers above, so a filter on those handlers sees every
    record. Yields a list the caller extends with secrets it learns.
    """
    secrets: list[str] = []
    log_filter = _SecretFilter(secrets)
    handlers = {h for name in _DEBUG_LOGGERS for h in logging.getLogger(name).handlers}
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        with redacted_history(secrets):
            yield secrets
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)


def _scrub_history_payload(value: Any, secrets: list[str]) -> Any:
    """A copy of a history record's payload with tokens and known secrets replaced."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
        scrubbed = redact(text, secrets)
        return raw if scrubbed == text else scrubbed.encode(encoding)
    if isinstance(value, Mapping):
        return {key: REDACTED if key == "authorizationToken" and value[key]
                else _scrub_history_payload(value[key], secrets) for key in value}
    if isinstance(value, (list, tuple)):
        return [_scrub_history_payload(item, secrets) for item in value]
    return value


@contextmanager
def redacted_history(secrets: list[str]) -> Iterator[None]:
    """Scrub tokens from what the CLI history (``cli_history = enabled``) records meanwhile.

    botocore hands every API call, HTTP request and response (raw body
    included) and parsed response to its global ``HistoryRecorder``, whose
    handlers write them to ``~/.aws/cli/history/history.db``; logging filters
    never see those records. While this is active, the recorder's ``record``
    (shadowed on the instance, restored afterwards) passes on payloads with
    every ``authorizationToken`` value and every string in ``secrets``
    replaced by ``<redacted>``.
    """
    try:
        from botocore.history import get_global_history_recorder
    except ImportError:  # pragma: no cover - every supported CLI has it
        yield
        return
    recorder = get_global_history_recorder()
    shadowed = recorder.__dict__.get("record")
    original = recorder.record

    def record(event_type: str, payload: Any, source: str = "BOTOCORE") -> None:
        original(event_type, _scrub_history_payload(payload, secrets), source)

    recorder.record = record
    try:
        yield
    finally:
        if shadowed is None:
            del recorder.record
        else:
            recorder.record = shadowed


def display(session: Any, parsed_globals: Any, command_name: str, result: dict) -> None:
    """Render a result exactly as the CLI renders an API response (formatter, query, pager)."""
    from awscli.formatter import get_formatter

    output = parsed_globals.output or session.get_config_variable("output")
    formatter = get_formatter(output, parsed_globals)
    if CLI_MAJOR >= 2:
        from awscli.utils import OutputStreamFactory

        with OutputStreamFactory(session).get_output_stream() as stream:
            formatter(command_name, result, stream)
    else:
        formatter(command_name, result)


def credential_chain(session: Any) -> tuple[Any, str]:
    """The ``credential_sources.Chain`` this session's botocore resolves credentials with,
    and the profile it uses.

    Everything comes from the session itself, so each major's rules hold without restating
    them: the profile name (``AWS_DEFAULT_PROFILE`` first on v1, ``AWS_PROFILE`` first on v2),
    whether ``--profile`` was given (botocore then drops the environment keys), botocore's
    merged profile map and sso-sessions, and whether this botocore has the login provider.
    """
    import botocore.configloader
    import botocore.credentials
    from botocore.exceptions import ConfigNotFound

    from ..identity.chain import Chain

    full_config = session.full_config
    try:
        credentials_file = botocore.configloader.raw_config_parse(
            session.get_config_variable("credentials_file"), parse_subsections=False)
    except ConfigNotFound:
        credentials_file = {}
    keys = frozenset(name for name, section in credentials_file.items()
                     if "aws_access_key_id" in section)
    chain = Chain(
        os.environ, full_config.get("profiles", {}), full_config.get("sso_sessions", {}), keys,
        explicit=session.instance_variables().get("profile") is not None,
        login=lambda: hasattr(botocore.credentials, "LoginProvider"))
    return chain, session.get_config_variable("profile") or "default"


def profile_session(session: Any, profile: str) -> Any:
    """A botocore session for ``profile`` (ecr2_registry_profiles) that resolves credentials
    as the CLI's own session would with ``--profile PROFILE``.

    A new session, not the CLI's with another profile set: changing a session's profile resets
    its components, and the CLI's session must keep serving the other registries. What the CLI
    does to its session that reaches credentials and clients is done again here: the
    assume-role and web-identity providers share ``~/.aws/cli/cache``
    (``assumerole.inject_assume_role_provider_cache``, every major), v2's SSO provider shares
    its credentials cache (``sso.inject_json_file_cache``), and the default client config the
    global options built (``--cli-read-timeout``, ``--cli-connect-timeout``) and the user agent
    are copied. The profile's own settings (retries, ``ca_bundle``, ``services``...) come from
    its section, as with ``--profile``.
    """
    import botocore.session
    from awscli.customizations.assumerole import inject_assume_role_provider_cache

    mapped = botocore.session.Session(profile=profile)
    for name in ("user_agent_name", "user_agent_version", "user_agent_extra"):
        setattr(mapped, name, getattr(session, name))
    config = session.get_default_client_config()
    if config is not None:
        mapped.set_default_client_config(config)
    inject_assume_role_provider_cache(mapped)
    if CLI_MAJOR >= 2:
        from awscli.customizations.sso import inject_json_file_cache

        inject_json_file_cache(mapped)
    return mapped


def signing_method(session: Any) -> str | None:
    """botocore's name for the source of the session's credentials (``Credentials.method``):
    "env", "assume-role", "sso", "custom-process"...; None without credentials."""
    return getattr(session.get_credentials(), "method", None)


def report_facts_to_helper(path: str) -> None:
    """For a ``docker-credential-ecr2`` that runs this CLI (``user_cli``): what its cache hits
    must know of this CLI's credential chain."""
    import botocore
    import botocore.credentials

    from ..helper.child import report_facts

    report_facts(path, major=CLI_MAJOR, login=hasattr(botocore.credentials, "LoginProvider"),
                 botocore=os.path.realpath(botocore.credentials.__file__))


def refuse_prompts(session: Any, profile: str) -> None:
    """No person answers a credential helper's ``aws``: an assume-role that asks for an MFA
    code fails with one line instead of reading /dev/tty."""

    def no_prompt(prompt: str = "") -> str:
        raise configuration_error(
            f"profile {profile!r} needs an MFA code; run 'aws ecr2 get-login-password "
            f"--cache --profile {profile}' once, then try again")

    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = no_prompt  # botocore's default is getpass, on /dev/tty


def is_sso_login_error(error: BaseException) -> bool:
    """botocore's "no valid SSO token" failures (expired, missing, refresh failed)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"SSOError", "TokenRetrievalError"})
