"""Decoding ECR authorization tokens (core: stdlib only).

``GetAuthorizationToken`` returns ``authorizationToken`` as base64 of
``user:password``. The password itself may contain colons, so only the first
colon separates the two parts (as the CLI v1 ``get-login`` did).
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections import namedtuple

from .errors import Ecr2Error

# collections.namedtuple, not typing.NamedTuple: the helper's hit path avoids importing typing.
Credentials = namedtuple("Credentials", "username password")


class MalformedTokenError(Ecr2Error):
    """The service sent an authorization token we cannot use."""


def decode_token(token: object) -> Credentials:
    """Split a base64 ``user:password`` token; a malformed one raises MalformedTokenError."""
    if not isinstance(token, str) or not token:
        raise MalformedTokenError(
            "The ECR service returned no authorization token.")
    try:
        decoded = b64decode(token.encode("ascii"), validate=True).decode("utf-8")
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


# expires_at in epoch seconds
Authorization = namedtuple("Authorization", "token expires_at proxy_endpoint")


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
