"""Who the caller is, for the ECR token cache, without resolving any credentials.

A registry token must never be served to a principal other than the one it was issued to, yet
finding out the real principal (STS, SSO, assume-role, credential_process...) is exactly the
slow work the cache exists to avoid. So the cache is keyed on the credential source botocore's
chain will pick and what selects the principal there (``credential_sources``): an ``Identity``.

``Identity.key`` is "KIND:" + sha256 of the source kind and its selectors, for example
``env`` (a hash of the access key id), ``assume-role`` (role ARN, external id, session name,
duration, MFA serial and the key of its source), ``sso`` (start URL, region, account, role),
``web-identity`` (role ARN, token file path and a hash of its content), ``container`` (URI
and a hash of the authorization token), ``instance-metadata`` (the endpoint settings).
``Identity.label`` says the same for people, without secrets: "env:3f2a9c1b",
"profile:dev", "profile:ops (assume-role arn:aws:iam::111111111111:role/deploy)",
"container", "instance-metadata"... Secret keys and session tokens are never part of either.

This module holds the value classes (``Identity``, and the ``Resolution`` a chain predicts)
and what keys are made of, without heavy imports: ``canonical_json``, ``sha256``,
``make_identity``, ``hash_text`` and ``read_file_hash``. They are here, below ``chain`` and
``machine_sources``, so that both use them and neither imports the other back.
"""

from __future__ import annotations

from ..core.frozen import Frozen
from .aws_files import expand_user

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# The credential helper imports this module on every pull and push, so it avoids what costs
# start-up time there: hashlib (OpenSSL: ~4 ms, ~4 MiB), json and configparser (both import
# re), dataclasses. CPython's built-in SHA-256 gives the same digests as OpenSSL's.
try:
    from _sha256 import sha256  # CPython <= 3.11
except ImportError:
    try:
        from _sha2 import sha256  # CPython >= 3.12
    except ImportError:
        from hashlib import sha256
try:
    from _json import encode_basestring_ascii as _encode_string  # what json.dumps uses
except ImportError:  # not CPython: canonical_json leaves it all to the json module
    _encode_string = None

KEY_VERSION = 2


class Identity(Frozen):
    """``key``: stable opaque string for cache keys, never a secret in clear.
    ``label``: human-readable, without secrets: "profile:NAME", "env:<8 hex digits>",
    "profile:NAME (assume-role ARN)", "container"... (see ``credential_sources``).

    Immutable; compares and hashes by both fields.
    """

    __slots__ = ("key", "label")

    key: str
    label: str

    def __init__(self, key: str, label: str) -> None:
        self._set(key, label)


class Resolution:
    """The source a chain predicts: its Identity, botocore's ``Credentials.method`` for it,
    and the profile whose SSO login it needs (None when it needs none)."""

    __slots__ = ("identity", "method", "sso_profile")

    def __init__(self, identity: Identity, method: str | None, *,
                 sso_profile: str | None = None) -> None:
        self.identity = identity
        self.method = method
        self.sso_profile = sso_profile

    def __repr__(self) -> str:
        return f"Resolution({self.identity.label!r}, method={self.method!r})"


def hash_text(text: str) -> str:
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_identity(kind: str, selectors: dict, label: str) -> Identity:
    """key = KIND ":" sha256 of the canonical JSON of the kind and its selectors."""
    document = {"v": KEY_VERSION, "kind": kind, "selectors": selectors}
    return Identity(key=f"{kind}:{hash_text(canonical_json(document))}", label=label)


def read_file_hash(path: str, environ: Mapping[str, str]) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read (the call then fails too)."""
    try:
        with open(expand_user(path, environ), "rb") as f:
            return sha256(f.read()).hexdigest()
    except (OSError, ValueError):
        return None


def canonical_json(document: object) -> str:
    """``json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``.

    Written out for what identity and cache keys hold (dicts with str keys, lists, str, int,
    bool, None) with the json module's own C string encoder, because importing ``json`` also
    imports ``re``; anything else goes to ``json.dumps`` itself. The result is the same text,
    byte for byte: cache keys computed either way are interchangeable.
    """
    if _encode_string is not None:
        parts: list[str] = []
        try:
            _encode(document, parts.append)
        except (_NotPlain, RecursionError):
            pass  # json.dumps decides (and raises what it raises)
        else:
            return "".join(parts)
    import json

    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class _NotPlain(Exception):
    pass


def _encode(value: object, out) -> None:
    kind = type(value)
    if kind is str:
        out(_encode_string(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is int:
        out(int.__repr__(value))
    elif kind is dict:
        if not all(type(key) is str for key in value):
            raise _NotPlain
        out("{")
        for index, key in enumerate(sorted(value)):
            if index:
                out(",")
            out(_encode_string(key))
            out(":")
            _encode(value[key], out)
        out("}")
    elif kind is list or kind is tuple:
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _encode(item, out)
        out("]")
    else:
        raise _NotPlain
