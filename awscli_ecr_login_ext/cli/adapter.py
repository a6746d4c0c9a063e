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


def report_facts_to_helper(path: str) -> None:
    """For a ``docker-credential-ecr2`` that runs this CLI (``user_cli``): what its cache hits
    must know of this CLI's credential chain."""
    import botocore
    import botocore.credentials

    from ..helper.child import report_facts

    report_facts(path, major=CLI_MAJOR, login=hasattr(botocore.credentials, "LoginProvider"),
                 botocore=os.path.realpath(botocore.credentials.__file__))
