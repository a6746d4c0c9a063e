"""Decoding ECR authorization tokens (core: stdlib only).

``GetAuthorizationToken`` returns ``authorizationToken`` as base64 of
``user:password``. The password itself may contain colons, so only the first
colon separates the two parts (as the CLI v1 ``get-login`` did).
"""

from __future__ import annotations

import binascii
import sys

from .errors import Ecr2Error

# The credential helper decodes a token on every pull and push, so this module imports neither
# base64 (it imports re) nor collections (namedtuple): see _b64decode and the tuple classes.


class Credentials(tuple):
    """``(username, password)``, also as attributes; the repr never shows the password."""

    __slots__ = ()
    _fields = ("username", "password")

    def __new__(cls, username: str, password: str):
        return tuple.__new__(cls, (username, password))

    def __getnewargs__(self) -> tuple:
        return tuple(self)

    @property
    def username(self) -> str:
        return self[0]

    @property
    def password(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"Credentials(username={self[0]!r}, password=<redacted>)"


def _b64decode(data: bytes) -> bytes:
    """``base64.b64decode(data, validate=True)``."""
    if sys.version_info >= (3, 11):
        return binascii.a2b_base64(data, strict_mode=True)  # what b64decode calls since 3.11
    from base64 import b64decode

    return b64decode(data, validate=True)


class MalformedTokenError(Ecr2Error):
    """The service sent an authorization token we cannot use."""


def decode_token(token: object) -> Credentials:
    """Split a base64 ``user:password`` token; a malformed one raises MalformedTokenError."""
    if not isinstance(token, str) or not token:
        raise MalformedTokenError(
            "The ECR service returned no authorization token.")
    try:
        decoded = _b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise MalformedTokenError(
            "The ECR service returned an authorization token that is not valid base64."
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username or not password:
        raise MalformedTokenError(
            "The ECR service returned an authorization token that is not of the "
            "form user:password.")
    return Credentials(username, password)


class Authorization(tuple):
    """``(token, expires_at, proxy_endpoint)`` of one GetAuthorizationToken answer, also as
    attributes; expires_at in epoch seconds. The repr never shows the token."""

    __slots__ = ()
    _fields = ("token", "expires_at", "proxy_endpoint")

    def __new__(cls, token: str, expires_at: float, proxy_endpoint: str | None):
        return tuple.__new__(cls, (token, expires_at, proxy_endpoint))

    def __getnewargs__(self) -> tuple:
        return tuple(self)

    @property
    def token(self) -> str:
        return self[0]

    @property
    def expires_at(self) -> float:
        return self[1]

    @property
    def proxy_endpoint(self) -> str | None:
        return self[2]

    def __repr__(self) -> str:
        return (f"Authorization(token=<redacted>, expires_at={self[1]!r}, "
                f"proxy_endpoint={self[2]!r})")


class MalformedResponseError(Ecr2Error):
    """The service answered GetAuthorizationToken with something we cannot use."""


def authorizations_from_response(response: object) -> list[Authorization]:
    """Validate a GetAuthorizationToken reply of ``ecr`` (a list) or ``ecr-public`` (one object)."""
    data = response.get("authorizationData") if isinstance(response, dict) else None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise MalformedResponseError(
            "The ECR service returned no authorization data for this request.")
    authorizations = []
    for item in data:
        if not isinstance(item, dict):
            raise MalformedResponseError("The ECR service returned malformed authorization data.")
        token = item.get("authorizationToken")
        decode_token(token)
        authorizations.append(Authorization(
            token, epoch_seconds(item.get("expiresAt")), item.get("proxyEndpoint")))
    return authorizations


def epoch_seconds(value: object) -> float:
    """``expiresAt`` as the CLI's timestamp parser left it: datetime, epoch number or ISO text."""
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        from datetime import datetime, timezone

        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
    raise MalformedResponseError("The ECR service returned an authorization token without a valid expiry.")
