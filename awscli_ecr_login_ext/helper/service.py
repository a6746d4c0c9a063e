"""The credential helper's service: ``get``, ``list`` and ``erase`` over the token cache, with
the user's own AWS CLI (``child``) filling it on a miss."""

from __future__ import annotations

from . import (
    DEBUG_VARIABLE,
    LOCK_WAIT_SECONDS,
    PROGRAM,
    TRUE,
    USERNAME_FALLBACK,
    HelperError,
)
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..cache.entry import CachedToken, CacheKey
    from ..cache.secure_dir import SecureDirectory
    from ..cache.token_cache import TokenCache
    from ..core.authtoken import Credentials
    from ..core.registry import Registry
    from .child import Child, CliFacts


class Service:
    """One protocol request's work; the cache and the child are made when first needed.

    ``resolved``, when given, is called with the cache key and ``ecr2_cache_min_ttl`` a ``get``
    found, before any fetch, unless the resolution depended on the CLI's facts (``hit`` then
    memoises it)."""

    def __init__(self, environ: Mapping[str, str], *,
                 resolved: Callable[[CacheKey, float | None], None] | None = None) -> None:
        self.environ = environ
        self._child: Child | None = None
        self.notes: list[str] = []
        self._cache: TokenCache | None = None
        self._cache_made = False
        self._min_ttl: float | None = None
        self._resolved = resolved
        self._asked_facts = False
        self.config = Settings.active(environ, self._facts)

    def _facts(self) -> CliFacts:
        self._asked_facts = True
        return self.child().facts()

    def child(self) -> Child:
        """The user's ``aws`` (``child.Child``): looked for only when a request needs it."""
        if self._child is None:
            from .child import Child

            self._child = Child(self.environ, self._notes)
        return self._child

    @property
    def warnings(self) -> list[str]:
        """What the child printed on stderr besides its answer (degraded service...), then
        the debug lines of AWS_ECR2_DEBUG."""
        return (self._child.warnings if self._child is not None else []) + self.notes

    # -- shared pieces ------------------------------------------------------------------

    def cache_enabled(self) -> bool:
        return self.environ.get("AWS_ECR2_NO_CACHE", "").strip().lower() not in TRUE

    def cache(self) -> TokenCache | None:
        """The TokenCache, or None when AWS_ECR2_NO_CACHE is set."""
        if not self._cache_made:
            self._cache_made = True
            if self.cache_enabled():
                from ..cache.token_cache import TokenCache

                self._min_ttl = self.config.min_ttl()
                self._cache = TokenCache(min_ttl=self._min_ttl, environ=self.environ)
        return self._cache

    def _notes(self) -> SecureDirectory | None:
        """Where the CLI's facts are kept: the cache directory (the token cache's freshness
        settings do not matter for them, and may not be known yet)."""
        if not self.cache_enabled():
            return None
        from .child import facts_notes

        return facts_notes(self.environ)

    def registry(self, server_url: str) -> Registry | None:
        """The ECR registry ``server_url`` names (directly or as an alias), or None."""
        from ..core.registry import RegistryError, host_of, quote
        from ..core.selection import resolve_registry

        if "=" in server_url:
            raise HelperError(f"{quote(server_url, 80)} is not a registry server URL")
        host_of(server_url)  # a RegistryError ("not a valid registry host") for non-hosts
        try:
            return resolve_registry(server_url, self.config.aliases())
        except RegistryError:
            return None

    def key(self, registry: Registry) -> CacheKey:
        """The cache key of ``registry``'s token: signed by its mapped profile, else the
        active one."""
        from ..cache.entry import CacheKey
        from ..core.selection import TokenRequest

        signer = self.config.for_registry(registry)
        request = TokenRequest.for_registry(registry)
        return CacheKey.for_request(request, signer.predicted().identity,
                                    signer.endpoint_url(request.service))

    # -- actions ------------------------------------------------------------------------

    def get(self, server_url: str) -> Credentials | None:
        registry = self.registry(server_url)
        if registry is None:
            return None
        from ..cache.token_cache import HELPER_LOCK
        from ..core.authtoken import decode_token

        cache = self.cache()
        if cache is None:
            self.config.for_registry(registry)  # a bad mapping fails before any call
            token = self.child().fetch(registry)
        else:
            # Single flight among helpers under a lock of their own: the `aws` child then
            # takes the entry's lock, fetches and stores, and the waiting helpers read its entry.
            key = self.key(registry)
            if self._resolved is not None and not self._asked_facts:
                self._resolved(key, self._min_ttl)
            token, hit = cache.single_flight(key, lambda: self.child().fetch(registry),
                                             lock_name=HELPER_LOCK, wait=LOCK_WAIT_SECONDS)
            if not hit and self.environ.get(DEBUG_VARIABLE, "").strip().lower() in TRUE:
                note = missed_key_note(cache, key, token)
                if note is not None:
                    self.notes.append(note)
        return decode_token(token.token)

    def list(self) -> dict[str, str]:
        cache = self.cache()
        if cache is None:
            return {}
        from ..core.selection import parse_registry

        hosts = dict.fromkeys(
            _unexpired_hosts(cache, self.config.predicted().identity.key,
                             self.config.endpoint_url), USERNAME_FALLBACK)
        # The names the profile configures: each by the entry of the profile that signs for it.
        configured = dict(self.config.aliases())
        configured.update((host, parse_registry(host))
                          for host in self.config.registry_profiles())
        for name, registry in configured.items():
            if cache.get_unexpired(self.key(registry)) is not None:
                hosts[name] = USERNAME_FALLBACK
        return hosts

    def erase(self, server_url: str) -> int:
        registry = self.registry(server_url)
        cache = self.cache()
        if registry is None or cache is None:
            return 0
        wanted = self.key(registry)
        return cache.remove(wanted.same_entry)


def _unexpired_hosts(cache: TokenCache, identity: str,
                     endpoint_url: Callable[[str], str | None]) -> list[str]:
    """The registry hosts of the cache's unexpired entries of ``identity`` at the endpoints
    ``endpoint_url`` gives for each service."""
    import time

    from ..core.registry import PUBLIC_HOSTS, RegistryError, format_host, host_of

    now = time.time()
    endpoints: dict[str, str | None] = {}
    hosts = []
    for stored, token in cache.entries():
        service = "ecr-public" if stored.public else "ecr"
        if service not in endpoints:
            endpoints[service] = endpoint_url(service)
        if (stored.identity.key != identity or stored.endpoint_url != endpoints[service]
                or token.remaining(now) <= 0):
            continue
        if stored.public:
            hosts.extend(h for h, ds in PUBLIC_HOSTS.items() if ds == stored.dualstack)
            continue
        try:
            account = host_of(token.proxy_endpoint or "").split(".", 1)[0]
            hosts.append(format_host(account, stored.region, fips=stored.fips,
                                     dualstack=stored.dualstack))
        except RegistryError:
            continue  # no usable proxy endpoint: nothing to name
    return hosts


def missed_key_note(cache: TokenCache, key: CacheKey, token: CachedToken) -> str | None:
    """For AWS_ECR2_DEBUG=1: one line when the ``aws`` child did not store its token under the
    key this helper predicted, so that every pull pays an AWS CLI start; None when it did."""
    if cache.get_unexpired(key) is not None:
        return None
    wanted = key.descriptor()
    stored = [stored_key.descriptor() for stored_key, entry in cache.entries()
              if entry.token == token.token]
    if not stored:
        return (f"{PROGRAM}: debug: the AWS CLI stored no token under the cache key this "
                f"helper predicts ({_described(wanted)}): every pull runs it")
    differ = [f"{name} {stored[0].get(name)!r} (predicted {wanted[name]!r})"
              for name in sorted(wanted) if stored[0].get(name) != wanted[name]]
    return (f"{PROGRAM}: debug: the AWS CLI stored its token under another cache key than "
            f"this helper predicts: {', '.join(differ)}; every pull runs it")


def _described(descriptor: dict) -> str:
    return ", ".join(f"{name} {descriptor[name]!r}" for name in
                     ("identity_label", "endpoint_url", "region", "variant"))
