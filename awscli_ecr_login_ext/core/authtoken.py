"""Decoding ECR authorization tokens (core: stdlib only).

``GetAuthorizationToken`` returns ``authorizationToken`` as base64 of
``user:password``. The password itself may contain colons, so only the first
colon separates the two parts (as the CLI v1 ``get-login`` did).
"""

from __future__ import annotations

import binascii
import sys

from .errors import Ecr2Error
from .frozen import Frozen

# The credential helper decodes a token on every pull and push, so this module imports neither
# base64 (it imports re) nor collections (namedtuple): see _b64decode and the tuple classes.


# Field order is __init__ order (Frozen reads fields from __slots__), hence not sorted.
_CREDENTIAL_FIELDS = ("username", "password")
_AUTHORIZATION_FIELDS = ("token", "expires_at", "proxy_endpoint")


class Credentials(Frozen):
    """The user name and password a token decodes to; the repr never shows the password."""

    __slots__ = _CREDENTIAL_FIELDS
    _repr_hidden = ("password",)

    def __init__(self, username: str, password: str) -> None:
        self._set(username, password)


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


class Authorization(Frozen):
    """One GetAuthorizationToken answer; expires_at in epoch seconds. The repr never shows
    the token."""

    __slots__ = _AUTHORIZATION_FIELDS
    _repr_hidden = ("token",)

    def __init__(self, token: str, expires_at: float, proxy_endpoint: str | None) -> None:
        self._set(token, expires_at, proxy_endpoint)


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
    raise MalformedResponseError(
        "The ECR service returned an authorization token without a valid expiry.")
