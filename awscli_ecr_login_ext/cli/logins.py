"""Getting one login per requested registry: calls, concurrency, cache and degraded service.

Shared by every ``ecr2`` command and by ``docker-credential-ecr2``; what
differs between them (how a client is built) comes in as a callable, so this
module imports nothing from awscli or botocore.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..cache.entry import CachedToken, CacheKey
from ..cache.token_cache import TokenCache
from ..core.authtoken import authorizations_from_response, decode_token
from ..core.registry import Registry, host_of
from ..core.selection import TokenRequest, group_by_request
from ..identity.principal import Identity

ClientFactory = Callable[[TokenRequest], Any]

# Failures of the service or the network, when a cached token may stand in.
_DEGRADED_ERROR_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException",
                         "RequestLimitExceeded", "ServiceUnavailable",
                         "ServiceUnavailableException", "ServerException", "InternalFailure",
                         "InternalServerError"}


@dataclass(frozen=True)
class Login:
    """A registry and the credentials that log a client in to it."""

    registry: str
    registry_id: str | None
    region: str
    public: bool
    username: str
    password: str
    expires_at: float
    # The profile whose credential chain signed the call (ecr2_registry_profiles, else the
    # active profile).
    profile: str | None = None

    def as_output(self) -> dict[str, Any]:
        """The ``get-login`` shape, rendered by the CLI's formatters."""
        from datetime import datetime, timezone

        expires = datetime.fromtimestamp(int(self.expires_at), tz=timezone.utc)
        return {
            "Registry": self.registry,
            "ProxyEndpoint": f"https://{self.registry}",
            "RegistryId": self.registry_id,
            "Region": self.region,
            "Username": self.username,
            "Password": self.password,
            "ExpiresAt": expires.isoformat(),
            "Public": self.public,
            "Profile": self.profile,
        }


@dataclass(eq=False)  # compared and hashed by identity: get_logins groups calls by source
class TokenSource:
    """Where tokens come from: a client factory, and optionally a cache for an identity."""

    client_for: ClientFactory
    # The profile whose chain signs, shown in each Login.
    profile: str | None = None
    cache: TokenCache | None = None
    identity: Identity | None = None
    # The endpoint a request's client will call (None: the real AWS one); part of the cache key.
    endpoint_for: Callable[[TokenRequest], str | None] = lambda request: None
    warn: Callable[[str], None] = lambda message: None
    on_secret: Callable[[str], None] = lambda secret: None
    # Asked after a fetch, before the token is stored under ``identity``: whether the
    # credentials that signed came from the source the identity predicted. When not, the
    # token is served but not cached: a modelling mistake costs a miss, never a wrong principal.
    signed_as_predicted: Callable[[], bool] = lambda: True
    # A failure of this source's call in the user's words (None: raised as it is).
    explain: Callable[[Exception], Exception | None] = lambda error: None

    def cache_key(self, request: TokenRequest) -> CacheKey | None:
        if self.cache is None or self.identity is None:
            return None
        return CacheKey.for_request(request, self.identity, self.endpoint_for(request))

    def _call(self, request: TokenRequest) -> CachedToken:
        fetched_at = time.time()
        response = self.client_for(request).get_authorization_token()
        authorization = authorizations_from_response(response)[0]
        self.on_secret(authorization.token)
        return CachedToken(authorization.token, authorization.expires_at, fetched_at,
                           authorization.proxy_endpoint)

    def token_for(self, request: TokenRequest) -> CachedToken:
        try:
            return self._token_for(request)
        except Exception as error:
            explained = self.explain(error)
            if explained is None:
                raise
            raise explained from None

    def _token_for(self, request: TokenRequest) -> CachedToken:
        key = self.cache_key(request)
        if key is None:
            return self._call(request)
        def fetch_to_store() -> CachedToken:
            token = self._call(request)
            if not self.signed_as_predicted():
                raise _DoNotStore(token)
            return token

        try:
            return self.cache.fetch(key, fetch_to_store)[0]
        except _DoNotStore as unstored:
            return unstored.token
        except Exception as error:
            cached = self.cache.get_unexpired(key) if is_service_failure(error) else None
            if cached is None:
                raise
            minutes = max(0, int((cached.expires_at - time.time()) // 60))
            self.warn(f"Warning: GetAuthorizationToken failed in {request.region} ({error}); "
                      f"using a cached token that expires in {minutes} minutes.")
            return cached


class _DoNotStore(Exception):
    """Carries a fetched token past the cache's store step."""

    def __init__(self, token: CachedToken) -> None:
        super().__init__("token not stored")
        self.token = token


def is_service_failure(error: BaseException) -> bool:
    """Throttling, a 5xx or an unreachable endpoint: a fault a cached token may bridge."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                "ConnectionClosedError"}:
        return True
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return code in _DEGRADED_ERROR_CODES or status >= 500


def get_logins(source_for: Callable[[Registry | None], TokenSource],
               registries: Sequence[Registry],
               default_request: TokenRequest | None = None) -> list[Login]:
    """One Login per registry in the order asked (or for the caller's own registry).

    ``source_for`` gives the TokenSource that signs for a registry (None: the caller's own).
    Each distinct (source, TokenRequest) makes at most one call. A source's calls run
    concurrently; sources take turns, because resolving credentials may change os.environ
    (botocore's credential_process does, around the process it runs), which would break the
    HTTP requests of another source running meanwhile.
    """
    if not registries:
        source = source_for(None)
        return [_own_registry_login(default_request, source.token_for(default_request),
                                    source)]
    sources = [source_for(registry) for registry in registries]
    by_call: dict[tuple[TokenSource, TokenRequest], CachedToken] = {}
    for source, requests in _grouped(sources, registries):
        by_call.update(((source, request), token)
                       for request, token in zip(requests, _tokens(source, list(requests))))
    return [_login(registry, by_call[(source, TokenRequest.for_registry(registry))], source)
            for source, registry in zip(sources, registries)]


def _tokens(source: TokenSource, requests: list[TokenRequest]) -> list[CachedToken]:
    if len(requests) == 1:
        return [source.token_for(requests[0])]
    from concurrent.futures import ThreadPoolExecutor  # only when there is parallel work

    with ThreadPoolExecutor(max_workers=min(8, len(requests))) as pool:
        return list(pool.map(source.token_for, requests))


def _grouped(sources: list[TokenSource], registries: Sequence[Registry]
             ) -> list[tuple[TokenSource, dict[TokenRequest, list[Registry]]]]:
    """The calls each source makes, sources and calls in first-asked order."""
    by_source: dict[TokenSource, list[Registry]] = {}
    for source, registry in zip(sources, registries):
        by_source.setdefault(source, []).append(registry)
    return [(source, group_by_request(group)) for source, group in by_source.items()]


def _login(registry: Registry, token: CachedToken, source: TokenSource) -> Login:
    credentials = decode_token(token.token)
    source.on_secret(credentials.password)
    return Login(registry.name, registry.registry_id, registry.region, registry.public,
                 credentials.username, credentials.password, token.expires_at, source.profile)


def _own_registry_login(request: TokenRequest, token: CachedToken, source: TokenSource) -> Login:
    name = host_of(token.proxy_endpoint) if token.proxy_endpoint else ""
    registry_id = name.split(".", 1)[0] if name[:12].isdigit() else None
    credentials = decode_token(token.token)
    source.on_secret(credentials.password)
    return Login(name, registry_id, request.region, request.public, credentials.username,
                 credentials.password, token.expires_at, source.profile)
