"""The ECR authorization token cache: entries (``entry``) in a secure directory
(``secure_dir``), served while fresh enough, fetched once across processes.

Location: ``$AWS_ECR2_CACHE_DIR``, else ``~/.aws/ecr2/cache/``.

On read, an entry is ignored -- a debug line, then treated as a miss that the next put()
replaces -- when the directory refuses to read it (see ``secure_dir``) or it is not a valid
entry for the key asked for (see ``entry``). Reading never raises except CacheError for an
unsafe directory. The token is never written to debug output.

Freshness: by default an entry is served while at least half of its lifetime
(expires_at - fetched_at) remains, like amazon-ecr-credential-helper; with ``min_ttl`` it is
served while at least that many seconds remain. Either way an entry is never served with less
than MIN_TTL_FLOOR (15 minutes) left, so a pull or push started with a cached token does not
run out halfway; a ``min_ttl`` below the floor is raised to it (a debug line says so). put()
stores only what get() would serve, so a token that comes back with less than the floor left
is used but not stored. An expired token is never served; get_unexpired() (degraded service:
the API failed) ignores the floor and the half-life rule.

Single flight across processes: on a miss, fetch() takes an exclusive lock on
"<entry>.lock", re-checks the cache, and only then calls the API. A crashed holder's lock is
released by the OS; a hung holder is waited for at most ``wait`` seconds, after which the
caller fetches without the lock. Credential helpers take "<entry>.helper-lock" around the
``aws`` child that fetches (and takes the other), through single_flight().
"""

from __future__ import annotations

import os
import time

from ..identity.aws_files import expand_user
from . import entry
from .entry import CachedToken, CacheKey
from .secure_dir import SecureDirectory, lock, oserror, unlock

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# The lock files beside an entry: the fetching process's, and the one credential helpers take
# while their `aws` child fetches (and takes the other).
ENTRY_LOCK = "lock"
HELPER_LOCK = "helper-lock"
LOCKS = (ENTRY_LOCK, HELPER_LOCK)
MIN_TTL_FLOOR = 15 * 60.0  # seconds an entry must have left to be served or stored


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$AWS_ECR2_CACHE_DIR``, else ``~/.aws/ecr2/cache`` (absolute)."""
    if environ is None:
        environ = os.environ
    path = environ.get("AWS_ECR2_CACHE_DIR") or os.path.join("~", ".aws", "ecr2", "cache")
    return os.path.abspath(expand_user(path, environ))


class Freshness:
    """When a token may be served: the half-life rule, or ``min_ttl``; never under the floor."""

    def __init__(self, min_ttl: float | None, debug: Callable[[str], None]) -> None:
        if min_ttl is not None:  # parsed by core.settings.min_ttl: a finite number
            min_ttl = float(min_ttl)
            if min_ttl < MIN_TTL_FLOOR:
                debug(f"token cache: ecr2_cache_min_ttl {min_ttl:g}s is below the floor of "
                      f"{MIN_TTL_FLOOR:g}s; using {MIN_TTL_FLOOR:g}s")
        self.min_ttl = min_ttl

    def servable(self, token: CachedToken, now: float) -> bool:
        remaining = token.remaining(now)
        if remaining < MIN_TTL_FLOOR:  # so never an expired one either
            return False
        if self.min_ttl is None:
            return token.lifetime > 0 and remaining >= token.lifetime / 2
        return remaining >= self.min_ttl


class TokenCache:
    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        min_ttl: float | None = None,
        environ: Mapping[str, str] | None = None,
        debug: Callable[[str], None] = lambda msg: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if directory is None:
            self.directory = default_cache_dir(environ)
        else:
            self.directory = os.path.abspath(os.fspath(directory))
        self._files = SecureDirectory(self.directory, debug)
        self._freshness = Freshness(min_ttl, debug)
        self._debug = debug
        self._clock = clock

    def servable(self, token: CachedToken, now: float | None = None) -> bool:
        """Whether get() would serve ``token`` at ``now``."""
        return self._freshness.servable(token, self._clock() if now is None else now)

    def get(self, key: CacheKey) -> CachedToken | None:
        """The cached token for ``key`` if fresh enough to serve, else None."""
        token = self._load(key)
        if token is None:
            self._debug(f"token cache: miss for {key.identity.label} {key.region}")
            return None
        now = self._clock()
        if not self.servable(token, now):
            self._debug(
                f"token cache: entry for {key.identity.label} {key.region} is stale "
                f"({token.remaining(now):.0f}s of {token.lifetime:.0f}s left)"
            )
            return None
        self._debug(
            f"token cache: hit for {key.identity.label} {key.region} "
            f"({token.remaining(now):.0f}s left)"
        )
        return token

    def get_unexpired(self, key: CacheKey) -> CachedToken | None:
        """Any cached token for ``key`` not yet expired (for degraded service)."""
        token = self._load(key)
        if token is None or token.remaining(self._clock()) <= 0:
            return None
        return token

    def put(self, key: CacheKey, token: CachedToken) -> bool:
        """Store ``token`` if get() would serve it; False when not stored. I/O errors become
        a debug line; only an unsafe directory raises (CacheError)."""
        reason = entry.token_problem(token)
        if reason is None and not self.servable(token):
            reason = "it is expired or below the minimum remaining lifetime"
        if reason is not None:
            self._debug(f"token cache: not storing token for {key.identity.label}: {reason}")
            return False
        try:
            self._files.write(key.filename(), entry.encode(key, token))
        except OSError as e:
            self._debug(f"token cache: could not write to {self.directory}: {oserror(e)}")
            return False
        return True

    def fetch(self, key: CacheKey, fetcher: Callable[[], CachedToken], *,
              wait: float = 30.0) -> tuple[CachedToken, bool]:
        """(token, True) from the cache, else (fetcher(), False), stored -- at most one process
        calls the fetcher for a key at a time; others wait up to ``wait`` seconds and reuse its
        result."""
        def fetch_and_store() -> CachedToken:
            token = fetcher()
            self.put(key, token)
            return token

        return self.single_flight(key, fetch_and_store, lock_name=ENTRY_LOCK, wait=wait)

    def single_flight(self, key: CacheKey, produce: Callable[[], CachedToken], *,
                      lock_name: str, wait: float) -> tuple[CachedToken, bool]:
        """(token, True) from the cache, else (produce(), False), produce() running under the
        lock file "<entry>.<lock_name>" and the cache checked again once it is held; storing the
        token is produce()'s job."""
        token = self.get(key)
        if token is not None:
            return token, True
        lock_fd = lock(self._files, f"{key.filename()}.{lock_name}", wait)
        try:
            if lock_fd is not None:
                token = self.get(key)
                if token is not None:
                    return token, True
            return produce(), False
        finally:
            if lock_fd is not None:
                unlock(lock_fd)

    def entries(self) -> list[tuple[CacheKey, CachedToken]]:
        """Every valid entry, expired or not: its key and its token."""
        return [(key, token) for _, key, token in self._scan()]

    def remove(self, predicate: Callable[[CacheKey], bool]) -> int:
        """Delete the valid entries whose key satisfies ``predicate`` (and their lock files);
        returns how many entries were deleted; OSError (naming the file) for an entry that
        cannot be deleted, the ones before it being gone. Invalid files are left alone. A
        process already waiting on a removed lock file may fetch once more than needed."""
        removed = 0
        for name, key, _ in self._scan():
            if not predicate(key) or not self._files.remove(name):
                continue
            removed += 1
            for lock_name in LOCKS:
                try:
                    os.unlink(self._files.file(f"{name}.{lock_name}"))
                except OSError:
                    pass
        return removed

    def _load(self, key: CacheKey) -> CachedToken | None:
        if not self._files.exists():
            return None
        name = key.filename()
        found = self._read(name)
        if found is None:
            return None
        stored_key, token = found
        if not stored_key.same_entry(key):
            self._files.ignoring(name, "it was written for another key")
            return None
        return token

    def _scan(self) -> list[tuple[str, CacheKey, CachedToken]]:
        found = []
        for name in self._files.names():
            if not entry.is_entry_name(name):
                continue
            read = self._read(name)
            if read is None:
                continue
            key, token = read
            if key.filename() != name:
                self._files.ignoring(name, "it was written for another key")
                continue
            found.append((name, key, token))
        return found

    def _read(self, name: str) -> tuple[CacheKey, CachedToken] | None:
        doc = self._files.read_json(name)
        if doc is None:
            return None
        decoded = entry.decode(doc)
        if isinstance(decoded, str):
            self._files.ignoring(name, decoded)
            return None
        return decoded
