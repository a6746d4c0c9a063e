"""The ECR authorization token cache.

Location: ``$AWS_ECR2_CACHE_DIR``, else ``~/.aws/ecr2/cache/``. The directory is created with
its parents and the leaf set to mode 0700. A directory owned by another user, or writable by
group/others, is refused with a CacheError: anyone who can write there could plant tokens.

One file per cache key, named ``sha256(canonical JSON of the key).hexdigest() + ".json"``, mode
0600, holding exactly::

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
Entries are written atomically (a 0600 temp file in the same directory, fsync, rename).

On read, an entry is ignored -- a debug line, then treated as a miss that the next put()
replaces -- when it is a symlink or not a regular file, owned by another user, has any
group/other permission bit, is corrupt/truncated JSON, has another version, keys or value types,
or its "for" does not match the key asked for. Reading never raises except CacheError for an
unsafe directory. The token is never written to debug output.

Freshness: by default an entry is served while at least half of its lifetime
(expires_at - fetched_at) remains, like amazon-ecr-credential-helper; with ``min_ttl`` it is
served while at least that many seconds remain. Either way an entry is never served with less
than MIN_TTL_FLOOR (15 minutes) left, so a pull or push started with a cached token does not
run out halfway; a ``min_ttl`` below the floor is raised to it (a debug line says so). put()
stores only what get() would serve, so a token that comes back with less than the floor left
is used but not stored. An expired token is never served; get_unexpired() (degraded service:
the API failed) ignores the floor and the half-life rule.

fetch() is single-flight across processes: on a miss it takes an exclusive lock on
"<entry>.lock" (flock, or msvcrt.locking on Windows), re-checks the cache, and only then calls
the API. A crashed holder's lock is released by the OS; a hung holder is waited for at most
``wait`` seconds, after which the caller fetches without the lock.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time

from ..core.errors import Ecr2Error
from ..core.frozen import Frozen
from ..core.registry import VARIANTS
from ..identity.aws_files import expand_user
from ..identity.principal import Identity, canonical_json, sha256

# The credential helper reads an entry on every pull and push: that path imports no json (it
# imports re), math, hashlib or dataclasses; see _loads, canonical_json and identity.sha256.
try:
    from _json import make_scanner as _make_scanner  # json.loads' own C scanner
except ImportError:  # not CPython: json.loads reads every entry
    _make_scanner = None

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..core.selection import TokenRequest

# The lock files beside an entry: the fetching process's, and the one credential helpers take
# while their `aws` child fetches (and takes the other).
ENTRY_LOCK = "lock"
HELPER_LOCK = "helper-lock"
LOCKS = (ENTRY_LOCK, HELPER_LOCK)
MIN_TTL_FLOOR = 15 * 60.0  # seconds an entry must have left to be served or stored
FORMAT_VERSION = 1

_POSIX = os.name == "posix"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
# A FIFO planted under the entry's name must not hang the credential helper.
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_MAX_ENTRY_BYTES = 1 << 20
_LOCK_POLL_MIN = 0.005
_LOCK_POLL_MAX = 0.05

_TOP_KEYS = frozenset({"version", "for", "token", "expires_at", "fetched_at", "proxy_endpoint"})
_FOR_KEYS = frozenset(
    {"partition", "region", "variant", "public", "identity", "identity_label", "endpoint_url"}
)


class CacheError(Ecr2Error):
    """The cache cannot be used safely; the message is one user-facing line."""


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
        init = object.__setattr__
        init(self, "partition", partition)
        init(self, "region", region)
        init(self, "variant", variant)
        init(self, "public", public)
        init(self, "identity", identity)
        init(self, "endpoint_url", endpoint_url)
        if variant not in VARIANTS:
            raise ValueError(f"unknown endpoint variant {variant!r}")


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
        init = object.__setattr__
        init(self, "token", token)
        init(self, "expires_at", expires_at)
        init(self, "fetched_at", fetched_at)
        init(self, "proxy_endpoint", proxy_endpoint)

    @property
    def lifetime(self) -> float:
        return self.expires_at - self.fetched_at

    def remaining(self, now: float) -> float:
        return self.expires_at - now


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$AWS_ECR2_CACHE_DIR``, else ``~/.aws/ecr2/cache`` (absolute)."""
    if environ is None:
        environ = os.environ
    path = environ.get("AWS_ECR2_CACHE_DIR") or os.path.join("~", ".aws", "ecr2", "cache")
    return os.path.abspath(expand_user(path, environ))


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
        if min_ttl is not None:  # parsed by core.settings.min_ttl: a finite number
            min_ttl = float(min_ttl)
            if min_ttl < MIN_TTL_FLOOR:
                debug(f"token cache: ecr2_cache_min_ttl {min_ttl:g}s is below the floor of "
                      f"{MIN_TTL_FLOOR:g}s; using {MIN_TTL_FLOOR:g}s")
        self.min_ttl = min_ttl
        self._debug = debug
        self._clock = clock

    # -- freshness ------------------------------------------------------------------------

    def servable(self, token: CachedToken, now: float | None = None) -> bool:
        """Whether get() would serve ``token`` at ``now``."""
        if now is None:
            now = self._clock()
        remaining = token.remaining(now)
        if remaining < MIN_TTL_FLOOR:  # so never an expired one either
            return False
        if self.min_ttl is None:
            return token.lifetime > 0 and remaining >= token.lifetime / 2
        return remaining >= self.min_ttl

    # -- public API -----------------------------------------------------------------------

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
        reason = _token_problem(token)
        if reason is None and not self.servable(token):
            reason = "it is expired or below the minimum remaining lifetime"
        if reason is not None:
            self._debug(f"token cache: not storing token for {key.identity.label}: {reason}")
            return False
        payload = {
            "version": FORMAT_VERSION,
            "for": key.descriptor(),
            "token": token.token,
            "expires_at": token.expires_at,
            "fetched_at": token.fetched_at,
            "proxy_endpoint": token.proxy_endpoint,
        }
        import json  # a put follows a fetch: not the hit path

        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        try:
            self._ensure_directory()
            self._write_atomic(os.path.join(self.directory, key.filename()), data)
        except OSError as e:
            self._debug(f"token cache: could not write to {self.directory}: {_oserror(e)}")
            return False
        return True

    def fetch(
        self, key: CacheKey, fetcher: Callable[[], CachedToken], *, wait: float = 30.0,
        store: bool = True, lock: str = ENTRY_LOCK,
    ) -> tuple[CachedToken, bool]:
        """(token, True) from the cache, else (fetcher(), False) -- at most one process calls
        the fetcher for a key at a time; others wait up to ``wait`` seconds and reuse its
        result. ``store=False``: the fetcher fills the cache itself (the credential helper's
        ``aws`` child does), under the lock file "<entry>.<lock>" -- not the one the child takes."""
        token = self.get(key)
        if token is not None:
            return token, True
        lock_fd = None
        try:
            self._ensure_directory()
        except OSError as e:
            self._debug(f"token cache: cannot create {self.directory}: {_oserror(e)}")
        else:
            lock_fd = self._acquire_lock(
                os.path.join(self.directory, f"{key.filename()}.{lock}"), wait
            )
        try:
            if lock_fd is not None:
                token = self.get(key)
                if token is not None:
                    return token, True
            token = fetcher()
            if store:
                self.put(key, token)
            return token, False
        finally:
            if lock_fd is not None:
                _unlock_and_close(lock_fd)

    def entries(self) -> list[tuple[dict, CachedToken]]:
        """Every valid entry, expired or not: its "for" descriptor and its token."""
        return [(descriptor, token) for _, descriptor, token in self._scan()]

    def remove(self, predicate: Callable[[dict], bool]) -> int:
        """Delete the valid entries whose "for" descriptor satisfies ``predicate`` (and their
        lock files); returns how many entries were deleted. Invalid files are left alone. A
        process already waiting on a removed lock file may fetch once more than needed."""
        removed = 0
        for name, descriptor, _ in self._scan():
            if not predicate(dict(descriptor)):
                continue
            path = os.path.join(self.directory, name)
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError as e:
                self._debug(f"token cache: could not remove {path}: {_oserror(e)}")
                continue
            removed += 1
            for lock in LOCKS:
                try:
                    os.unlink(f"{path}.{lock}")
                except OSError:
                    pass
        return removed

    # -- directory ------------------------------------------------------------------------

    def _check_directory(self, st: os.stat_result) -> None:
        if not _POSIX:
            return
        if st.st_uid != os.getuid():
            raise CacheError(
                f"Refusing to use the token cache directory {self.directory}: it is owned by "
                f"another user (uid {st.st_uid}). Remove it, or set AWS_ECR2_CACHE_DIR to a "
                "directory of your own"
            )
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o022:
            import shlex

            raise CacheError(
                f"Refusing to use the token cache directory {self.directory}: it is writable "
                f"by other users (mode {mode:04o}). Run: chmod 700 {shlex.quote(self.directory)}"
            )

    def _existing_directory(self) -> bool:
        """True if the directory exists and is safe, False if it is absent or unusable."""
        try:
            st = os.stat(self.directory)
        except OSError as e:
            if not isinstance(e, FileNotFoundError):
                self._debug(f"token cache: cannot use {self.directory}: {_oserror(e)}")
            return False
        if not stat.S_ISDIR(st.st_mode):
            self._debug(f"token cache: {self.directory} is not a directory")
            return False
        self._check_directory(st)
        return True

    def _ensure_directory(self) -> None:
        try:
            st = os.stat(self.directory)
        except FileNotFoundError:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            # makedirs' mode is filtered by the umask and not applied if another process
            # created the directory first; set it exactly.
            os.chmod(self.directory, 0o700)
            st = os.stat(self.directory)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(20, "not a directory", self.directory)
        self._check_directory(st)

    # -- entry files ----------------------------------------------------------------------

    def _load(self, key: CacheKey) -> CachedToken | None:
        if not self._existing_directory():
            return None
        name = key.filename()
        entry = self._read_entry(name)
        if entry is None:
            return None
        descriptor, token = entry
        expected = key._match_fields()
        if {k: v for k, v in descriptor.items() if k != "identity_label"} != expected:
            self._debug(f"token cache: ignoring {name}: it was written for another key")
            return None
        return token

    def _scan(self) -> list[tuple[str, dict, CachedToken]]:
        if not self._existing_directory():
            return []
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as e:
            self._debug(f"token cache: cannot list {self.directory}: {_oserror(e)}")
            return []
        found = []
        for name in names:
            if not _is_entry_name(name):
                continue
            entry = self._read_entry(name)
            if entry is None:
                continue
            descriptor, token = entry
            try:
                key = CacheKey(
                    partition=descriptor["partition"],
                    region=descriptor["region"],
                    variant=descriptor["variant"],
                    public=descriptor["public"],
                    identity=Identity(
                        key=descriptor["identity"], label=descriptor["identity_label"]
                    ),
                    endpoint_url=descriptor["endpoint_url"],
                )
                name_matches = key.filename() == name
            except ValueError:
                name_matches = False
            if not name_matches:
                self._debug(f"token cache: ignoring {name}: it was written for another key")
                continue
            found.append((name, descriptor, token))
        return found

    def _read_entry(self, name: str) -> tuple[dict, CachedToken] | None:
        doc = self._read_document(name)
        if doc is None:
            return None
        entry = _parse_entry(doc)
        if isinstance(entry, str):
            self._debug(f"token cache: ignoring {os.path.join(self.directory, name)}: {entry}")
            return None
        return entry

    def _read_document(self, name: str) -> object | None:
        """The JSON document in file ``name`` of the directory, or None (a debug line says why
        when the file is there but unsafe, unreadable or not JSON)."""
        path = os.path.join(self.directory, name)
        reason = None
        data = b""
        if not _O_NOFOLLOW:
            try:
                if stat.S_ISLNK(os.lstat(path).st_mode):
                    reason = "it is a symlink"
            except OSError:
                pass
        fd = -1
        if reason is None:
            try:
                fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC | _O_BINARY)
            except FileNotFoundError:
                return None
            except OSError as e:
                # O_NOFOLLOW reports a symlink as ELOOP (EMLINK on some BSDs).
                if e.errno in (errno.ELOOP, errno.EMLINK):
                    reason = "it is a symlink"
                else:
                    reason = f"cannot open it ({_oserror(e)})"
        if fd >= 0:
            try:
                reason = _unsafe_file(os.fstat(fd))
                if reason is None:
                    data = _read_all(fd, _MAX_ENTRY_BYTES + 1)
                    if len(data) > _MAX_ENTRY_BYTES:
                        reason = "it is too large"
            except OSError as e:
                reason = f"cannot read it ({_oserror(e)})"
            finally:
                os.close(fd)
        if reason is None:
            try:
                return _loads(data)
            except (ValueError, RecursionError):
                reason = "it is not valid JSON (corrupt or truncated)"
        self._debug(f"token cache: ignoring {path}: {reason}")
        return None

    # -- other documents beside the entries ------------------------------------------------

    def read_note(self, name: str) -> object | None:
        """The JSON document a ``write_note(name, ...)`` left, with the entries' safety checks;
        None when there is none (or it is unsafe or corrupt)."""
        if _is_entry_name(name) or not self._existing_directory():
            return None
        return self._read_document(name)

    def write_note(self, name: str, document: object) -> bool:
        """Store a small JSON document (not a token) beside the entries, atomically, 0600;
        False when it could not be written (a debug line says why)."""
        if _is_entry_name(name) or os.sep in name or name.startswith("."):
            raise ValueError(f"not a note name: {name!r}")
        try:
            self._ensure_directory()
            self._write_atomic(os.path.join(self.directory, name),
                               canonical_json(document).encode("ascii"))
        except OSError as e:
            self._debug(f"token cache: could not write to {self.directory}: {_oserror(e)}")
            return False
        return True

    def _write_atomic(self, path: str, data: bytes) -> None:
        from ..core.atomic import write_atomically  # a write follows a fetch: not the hit path

        write_atomically(path, data, mode=0o600)

    # -- locking --------------------------------------------------------------------------

    def _acquire_lock(self, path: str, wait: float) -> int | None:
        """An fd holding an exclusive lock on ``path``, or None (timed out / no locking)."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, 0o600)
        except OSError as e:
            self._debug(f"token cache: cannot open lock file {path}: {_oserror(e)}")
            return None
        deadline = time.monotonic() + max(wait, 0.0)
        delay = _LOCK_POLL_MIN
        try:
            while True:
                try:
                    if _try_lock(fd):
                        return fd
                except OSError as e:
                    self._debug(f"token cache: cannot lock {path}: {_oserror(e)}")
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    self._debug(
                        f"token cache: {path} still locked after {wait:g}s; fetching without it"
                    )
                    break
                time.sleep(min(delay, left))
                delay = min(delay * 2, _LOCK_POLL_MAX)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        return None


# -- helpers ------------------------------------------------------------------------------


def _try_lock(fd: int) -> bool:
    """Non-blocking exclusive lock: True if taken, False if held elsewhere."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock_and_close(fd: int) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass  # closing the descriptor releases the lock anyway
    finally:
        os.close(fd)


def _read_all(fd: int, limit: int) -> bytes:
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _unsafe_file(st: os.stat_result) -> str | None:
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if _POSIX:
        if st.st_uid != os.getuid():
            return f"it is owned by another user (uid {st.st_uid})"
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            return f"its permissions are too open (mode {mode:04o})"
    return None


def _is_entry_name(name: str) -> bool:
    return (
        len(name) == 69
        and name.endswith(".json")
        and all(c in "0123456789abcdef" for c in name[:64])
    )


def _is_time(value: object) -> bool:
    if type(value) is int:
        return -(2**53) <= value <= 2**53  # JSON allows huge ints; float() would overflow
    # math.isfinite without importing math: inf - inf and nan - nan are NaN, never 0.0.
    return type(value) is float and value - value == 0.0


class _DecoderSettings:
    """json.loads' defaults, as the attributes its C scanner reads from a JSONDecoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {
        "-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan"),
    }.__getitem__


_scan = _make_scanner(_DecoderSettings()) if _make_scanner is not None else None


def _loads(data: bytes) -> object:
    """``json.loads(data)``, without importing json for a well-formed entry.

    An entry is UTF-8 text of one JSON object: that is decoded and scanned here exactly as
    json.loads does (its own C scanner, its default settings, only JSON whitespace after the
    object). Anything else, or any failure, is handed to json.loads itself, so the result or
    the exception is always json.loads' own.
    """
    if _scan is not None and data[:1] == b"{" and data[1:2] != b"\x00":
        try:
            # json.detect_encoding says "utf-8" for such bytes; json.loads uses surrogatepass.
            text = data.decode("utf-8", "surrogatepass")
            value, end = _scan(text, 0)
        except Exception:  # noqa: BLE001 - json.loads below raises its own exception for it
            end = None
        if end is not None and not text[end:].strip(" \t\n\r"):
            return value
    import json

    return json.loads(data)


def _token_problem(token: object) -> str | None:
    if not isinstance(token, CachedToken):
        return "not a CachedToken"
    if not isinstance(token.token, str) or not token.token:
        return "the token is not a non-empty string"
    if not (_is_time(token.expires_at) and _is_time(token.fetched_at)):
        return "expires_at/fetched_at are not finite numbers"
    if token.proxy_endpoint is not None and not isinstance(token.proxy_endpoint, str):
        return "proxy_endpoint is not a string"
    return None


def _parse_entry(doc: object) -> tuple[dict, CachedToken] | str:
    """The validated (descriptor, token) of an entry document, or why it is invalid."""
    if not isinstance(doc, dict) or doc.keys() != _TOP_KEYS:
        return "unexpected structure"
    version = doc["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        return "unsupported format version"
    descriptor = doc["for"]
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
    if type(doc["token"]) is not str or not doc["token"]:
        return '"token" is not a non-empty string'
    if not (_is_time(doc["expires_at"]) and _is_time(doc["fetched_at"])):
        return '"expires_at"/"fetched_at" are not finite numbers'
    proxy = doc["proxy_endpoint"]
    if proxy is not None and type(proxy) is not str:
        return '"proxy_endpoint" is not a string'
    token = CachedToken(
        token=doc["token"],
        expires_at=float(doc["expires_at"]),
        fetched_at=float(doc["fetched_at"]),
        proxy_endpoint=proxy,
    )
    return descriptor, token


def _oserror(e: OSError) -> str:
    return e.strerror or e.__class__.__name__
