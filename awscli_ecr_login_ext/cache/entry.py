"""The token cache's entry files: what a key and a token are, the file's name and its format.

Users' caches outlive upgrades, so names and format are kept byte for byte. One file per
cache key, named ``sha256(canonical JSON of the key).hexdigest() + ".json"``, holding exactly::

    {"version": 1,
     "for": {"partition": "aws", "region": "eu-west-1", "variant": "standard",
             "public": false, "identity": "<Identity.key>", "identity_label": "profile:dev",
             "endpoint_url": null},
     "token": "<authorizationToken, base64, as the API returned it>",
     "expires_at": 1767225600.0,
     "fetched_at": 1767182400.0,
     "proxy_endpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}

``variant`` is one of "standard", "fips", "dualstack", "fips-dualstack"; ``public`` selects ECR
Public; ``endpoint_url`` is a custom endpoint (null for the real one); times are epoch seconds.
An entry is invalid when it has another version, keys or value types, or when its "for" does
not match its file name.
"""

from __future__ import annotations

from ..core.frozen import Frozen
from ..core.variants import VARIANTS, flags_of
from ..identity.principal import Identity, canonical_json, sha256

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..core.selection import TokenRequest

FORMAT_VERSION = 1

_TOP_KEYS = frozenset({"version", "for", "token", "expires_at", "fetched_at", "proxy_endpoint"})
_FOR_KEYS = frozenset(
    {"partition", "region", "variant", "public", "identity", "identity_label", "endpoint_url"}
)
_KEY_FIELDS = ("partition", "region", "variant", "public", "identity", "endpoint_url")


class CacheKey(Frozen):
    """What a cache entry is for. Immutable; compares, hashes and prints by its fields."""

    __slots__ = _KEY_FIELDS

    partition: str
    region: str
    variant: str
    public: bool
    identity: Identity
    endpoint_url: str | None

    def __init__(self, partition: str, region: str, variant: str, public: bool,
                 identity: Identity, endpoint_url: str | None = None) -> None:
        self._set(partition, region, variant, public, identity, endpoint_url)
        if variant not in VARIANTS:
            raise ValueError(f"unknown endpoint variant {variant!r}")

    @property
    def fips(self) -> bool:
        return flags_of(self.variant)[0]

    @property
    def dualstack(self) -> bool:
        return flags_of(self.variant)[1]

    @classmethod
    def for_request(cls, request: TokenRequest, identity: Identity,
                    endpoint_url: str | None) -> CacheKey:
        """The key of one token call (a ``selection.TokenRequest``) for an identity."""
        return cls(request.partition, request.region, request.variant, request.public,
                   identity, endpoint_url)

    def _match_fields(self) -> dict:
        # identity_label is informational only: the key is what identifies.
        return {
            "partition": self.partition,
            "region": self.region,
            "variant": self.variant,
            "public": self.public,
            "identity": self.identity.key,
            "endpoint_url": self.endpoint_url,
        }

    def descriptor(self) -> dict:
        """The "for" object stored in this key's entry file."""
        d = self._match_fields()
        d["identity_label"] = self.identity.label
        return d

    def filename(self) -> str:
        doc = self._match_fields()
        # The format version is hashed in so a future format never fights over the same file.
        doc["version"] = FORMAT_VERSION
        # canonical_json is json.dumps(doc, sort_keys=True, separators=(",", ":"),
        # ensure_ascii=True), text for text.
        return sha256(canonical_json(doc).encode("ascii")).hexdigest() + ".json"

    def same_entry(self, other: CacheKey) -> bool:
        """Whether ``other`` names the same entry (identity labels are informational)."""
        return self._match_fields() == other._match_fields()


_TOKEN_FIELDS = ("token", "expires_at", "fetched_at", "proxy_endpoint")


class CachedToken(Frozen):
    """A token and its times. Immutable; compares and hashes by its fields; its repr never
    shows the token (keep it out of reprs, tracebacks and logs)."""

    __slots__ = _TOKEN_FIELDS
    _repr_hidden = ("token",)

    token: str
    expires_at: float
    fetched_at: float
    proxy_endpoint: str | None

    def __init__(self, token: str, expires_at: float, fetched_at: float,
                 proxy_endpoint: str | None) -> None:
        self._set(token, expires_at, fetched_at, proxy_endpoint)

    @property
    def lifetime(self) -> float:
        return self.expires_at - self.fetched_at

    def remaining(self, now: float) -> float:
        return self.expires_at - now


def is_entry_name(name: str) -> bool:
    return (
        len(name) == 69
        and name.endswith(".json")
        and all(c in "0123456789abcdef" for c in name[:64])
    )


def encode(key: CacheKey, token: CachedToken) -> bytes:
    """The bytes of ``key``'s entry file holding ``token``."""
    import json  # a write follows a fetch: not the hit path

    payload = {
        "version": FORMAT_VERSION,
        "for": key.descriptor(),
        "token": token.token,
        "expires_at": token.expires_at,
        "fetched_at": token.fetched_at,
        "proxy_endpoint": token.proxy_endpoint,
    }
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def token_problem(token: object) -> str | None:
    """Why ``token`` cannot be stored (it could not be read back), or None."""
    if not isinstance(token, CachedToken):
        return "not a CachedToken"
    if not isinstance(token.token, str) or not token.token:
        return "the token is not a non-empty string"
    if not (_is_time(token.expires_at) and _is_time(token.fetched_at)):
        return "expires_at/fetched_at are not finite numbers"
    if token.proxy_endpoint is not None and not isinstance(token.proxy_endpoint, str):
        return "proxy_endpoint is not a string"
    return None


def decode(doc: Any) -> tuple[CacheKey, CachedToken] | str:
    """The key and token of the entry document ``doc``, or why it is invalid. Whether they
    belong under the file's name is the reader's check."""
    problem = _document_problem(doc)
    if problem is not None:
        return problem
    key = key_of(doc["for"])
    token = CachedToken(
        token=doc["token"],
        expires_at=float(doc["expires_at"]),
        fetched_at=float(doc["fetched_at"]),
        proxy_endpoint=doc["proxy_endpoint"],
    )
    return key, token


def _document_problem(doc: Any) -> str | None:
    if not isinstance(doc, dict) or doc.keys() != _TOP_KEYS:
        return "unexpected structure"
    version = doc["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        return "unsupported format version"
    problem = descriptor_problem(doc["for"])
    if problem is not None:
        return problem
    if type(doc["token"]) is not str or not doc["token"]:
        return '"token" is not a non-empty string'
    if not (_is_time(doc["expires_at"]) and _is_time(doc["fetched_at"])):
        return '"expires_at"/"fetched_at" are not finite numbers'
    proxy = doc["proxy_endpoint"]
    if proxy is not None and type(proxy) is not str:
        return '"proxy_endpoint" is not a string'
    return None


def descriptor_problem(descriptor: Any) -> str | None:
    """Why ``descriptor`` is not a key's "for" object (``CacheKey.descriptor``), or None."""
    if not isinstance(descriptor, dict) or descriptor.keys() != _FOR_KEYS:
        return 'unexpected "for" structure'
    for name in ("partition", "region", "variant", "identity", "identity_label"):
        if type(descriptor[name]) is not str:
            return f'"for.{name}" is not a string'
    if descriptor["variant"] not in VARIANTS:
        return '"for.variant" is unknown'
    if type(descriptor["public"]) is not bool:
        return '"for.public" is not a boolean'
    if descriptor["endpoint_url"] is not None and type(descriptor["endpoint_url"]) is not str:
        return '"for.endpoint_url" is not a string'
    return None


def key_of(descriptor: dict) -> CacheKey:
    """The key a "for" object describes; ``descriptor_problem`` must have found none."""
    return CacheKey(
        partition=descriptor["partition"],
        region=descriptor["region"],
        variant=descriptor["variant"],
        public=descriptor["public"],
        identity=Identity(key=descriptor["identity"], label=descriptor["identity_label"]),
        endpoint_url=descriptor["endpoint_url"],
    )


def _is_time(value: object) -> bool:
    if type(value) is int:
        return -(2**53) <= value <= 2**53  # JSON allows huge ints; float() would overflow
    # math.isfinite without importing math: inf - inf and nan - nan are NaN, never 0.0.
    return type(value) is float and value - value == 0.0
