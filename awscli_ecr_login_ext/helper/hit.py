"""The credential helper's fast path: a warm ``get`` that does not parse the AWS files.

Resolving which cache entry serves a server URL means parsing the config and credentials files
and walking the credential chain (``service.Service``): about 8 ms at 1,000 profiles, growing
with the files. The answer depends only on inputs that are cheap to read, so a memo in the
token cache directory maps them to it, and a hit only checks that they are unchanged:

* what the helper reads to find the entry: the **bytes** of the config and credentials files
  (content, never ``stat``: a file rewritten in the same second, or with its mtime put back,
  is seen), and of the other files the chain may read (web identity and container token files,
  ``AWS_CREDENTIAL_FILE``, the boto configs: ``side_files``), a missing file counting as such;
* every environment variable the resolution consulted (``Recorder`` records them on the slow
  path), present or not, with its value.

A memo entry holds the server URL, the names of those variables and files, one salted SHA-256
of all their values and contents, and the result: the cache key's fields (its identity is a
digest already, as in the cache) and ``ecr2_cache_min_ttl``. It holds no secret: a secret
value (an access key id, a container token) enters only the salted digest. A hit reads the
files, recomputes the digest, and reads the entry through ``TokenCache.get`` (owner, mode,
symlink and freshness checks). Anything else -- no memo, a memo that is unreadable, unsafe
(``SecureDirectory.read_json``) or malformed, no entry whose digest matches, an entry that is not
fresh -- goes down the slow path, which writes the memo anew. A resolution that asked for the
user's CLI's facts (both profile variables set and different; ``login_session``) or read the
whole environment is not memoised: its result depends on more than these inputs.

What this path keeps off the hit, measured by ``make bench`` (row "warm hit vs profiles"):
parsing the files and walking the chain (``helper/settings``, ``identity/chain``,
``core/selection``: 1.5x the hit at 1,000 profiles before the memo), the server URL's grammar
(the memo is keyed on the URL as given). The stand-ins it relies on live with what they stand
in for: the entry and the memo are read with json's own C scanner (``secure_dir.loads``),
keys and the memo are written with ``principal.canonical_json`` and hashed with the built-in
``_sha256``/``_sha2`` (no ``json``, ``re`` or OpenSSL ``hashlib`` import), the answer is
encoded with ``_json`` (``protocol._credentials_json``).
"""

from __future__ import annotations

import os

from ..cache.entry import CacheKey, descriptor_problem, key_of
from ..cache.secure_dir import CacheError, SecureDirectory
from ..cache.token_cache import TokenCache, default_cache_dir
from ..identity.aws_files import config_file_path, credentials_file_path, expand_user
from ..identity.principal import canonical_json, sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ..core.authtoken import Credentials
    from .service import Service

MEMO_NAME = "docker-credential-ecr2.memo"
MEMO_VERSION = 1
MAX_ENTRIES = 32  # server URLs x environments remembered; the oldest go first
_ENTRY_KEYS = frozenset({"server", "env", "side", "inputs", "key", "min_ttl"})
# The environment variables naming files the chain may read besides the two shared files.
_SIDE_VARIABLES = ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                   "AWS_CREDENTIAL_FILE")


class Entry:
    """One remembered resolution: the inputs it read and the cache key it found."""

    __slots__ = ("env", "inputs", "key", "min_ttl", "server", "side")

    def __init__(self, server: str, env: list[str], side: list[str], inputs: str,
                 key: CacheKey, min_ttl: float | None) -> None:
        self.server, self.env, self.side, self.inputs = server, env, side, inputs
        self.key, self.min_ttl = key, min_ttl

    def document(self) -> dict:
        return {"server": self.server, "env": self.env, "side": self.side,
                "inputs": self.inputs, "key": self.key.descriptor(),
                "min_ttl": None if self.min_ttl is None else repr(self.min_ttl)}


class Inputs:
    """The inputs of a resolution as they are now: the two shared files' bytes, read once,
    and the memo of earlier resolutions."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.files = (_read(config_file_path(environ)), _read(credentials_file_path(environ)))
        self.notes = SecureDirectory(default_cache_dir(environ), debug=_quiet)
        try:
            memo = self.notes.read_json(MEMO_NAME) if self.notes.exists() else None
        except CacheError:  # an unsafe directory: what uses the cache says so, if anything
            memo = None
        self.salt, self.entries = _parse_memo(memo)
        self._side: dict[str, bytes | None] = {}
        self._files_digest: bytes | None = None

    def read_side(self, side: list[str]) -> None:
        """Read the files ``side`` now: a resolution that follows is digested with these
        bytes, which are never newer than what it read."""
        for path in side:
            if path not in self._side:
                self._side[path] = _read(expand_user(path, self.environ))

    def digest(self, env: list[str], side: list[str]) -> str:
        """The salted digest of the variables ``env`` and the files ``side`` as they are now,
        and of the two shared files."""
        if self._files_digest is None:  # once, however many entries are looked at
            files = sha256(self.salt.encode("ascii"))
            for data in self.files:
                _update(files, data)
            self._files_digest = files.digest()
        h = sha256(self.salt.encode("ascii") + self._files_digest)
        for name in env:
            value = self.environ.get(name)
            h.update(name.encode("utf-8", "surrogatepass") + b"\0")
            h.update(b"-" if value is None else b"=" + value.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        self.read_side(side)
        for path in side:
            h.update(path.encode("utf-8", "surrogatepass") + b"\0")
            _update(h, self._side[path])
        return h.hexdigest()

    def answer(self, server_url: str) -> Credentials | None:
        """The credentials of a fresh cache entry the memo names for ``server_url`` with these
        inputs; None when the slow path must decide."""
        from ..core.errors import Ecr2Error

        for entry in self.entries:
            if entry.server != server_url or self.digest(entry.env, entry.side) != entry.inputs:
                continue
            try:
                token = TokenCache(min_ttl=entry.min_ttl, environ=self.environ).get(entry.key)
                if token is None:
                    return None
                from ..core.authtoken import decode_token

                return decode_token(token.token)
            except Ecr2Error:
                return None  # the slow path meets it again and says it in one line
        return None

    def side_files(self) -> list[str]:
        """The files besides the two shared ones that the chain may read, as it names them:
        every ``web_identity_token_file`` of the files, the token files the environment names,
        and the boto configs. More than it reads is safe: each is one failed open on a hit."""
        from ..identity.aws_files import read_ini

        side = []
        for path in (config_file_path(self.environ), credentials_file_path(self.environ)):
            for items in read_ini(path).values():
                if items.get("web_identity_token_file"):
                    side.append(items["web_identity_token_file"])
        side.extend(self.environ[name] for name in _SIDE_VARIABLES if self.environ.get(name))
        boto = self.environ.get("BOTO_CONFIG")
        side.extend([boto] if boto is not None else ["/etc/boto.cfg", "~/.boto"])
        return sorted(set(side))

    def remember(self, server_url: str, env: list[str], side: list[str], inputs: str,
                 key: CacheKey, min_ttl: float | None) -> None:
        """Write the memo with this resolution first. An unwritable directory only means the
        next get takes the slow path again; an unsafe one is a CacheError, as for the entries."""
        entry = Entry(server_url, env, side, inputs, key, min_ttl)
        kept = [e for e in self.entries if (e.server, e.inputs) != (server_url, inputs)]
        entries = [entry, *kept][:MAX_ENTRIES]
        memo = {"version": MEMO_VERSION, "salt": self.salt,
                "entries": [e.document() for e in entries]}
        try:
            self.notes.write(MEMO_NAME, canonical_json(memo).encode("ascii"))
        except OSError:
            pass  # the next get takes the slow path again


def remembered(server_url: str, environ: Mapping[str, str]) -> Credentials | None:
    """The hit the memo names for ``server_url``, or None (then ask ``remembering``)."""
    return Inputs(environ).answer(server_url)


def remembering(server_url: str, environ: Mapping[str, str]) -> Service:
    """The slow path's Service, whose ``get(server_url)`` writes what it resolved to the memo.

    The inputs are read before the resolution runs: if a file changes meanwhile, the memo
    holds the digest of the older bytes, which the next hit does not match."""
    from .service import Service

    recorder = Recorder(environ)
    inputs = Inputs(recorder)
    side = inputs.side_files()
    inputs.read_side(side)

    def resolved(key: CacheKey, min_ttl: float | None) -> None:
        if recorder.enumerated:
            return
        env = sorted(recorder.names)
        inputs.remember(server_url, env, side, inputs.digest(env, side), key, min_ttl)

    return Service(recorder, resolved=resolved)


class Recorder:
    """The environment, recording the names the slow path consults (``names``), and whether it
    went through all of it (``enumerated``: then no memo can say what it depended on)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.names: set[str] = set()
        self.enumerated = False

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        return self._environ[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        self.names.add(name)
        return self._environ.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.names.add(name)
        return name in self._environ

    def __iter__(self) -> Iterator[str]:
        self.enumerated = True
        return iter(self._environ)

    def __len__(self) -> int:
        self.enumerated = True
        return len(self._environ)

    def keys(self) -> Iterator[str]:
        return iter(self)

    def items(self) -> Iterator[tuple[str, str]]:
        return ((name, self[name]) for name in self)

    def values(self) -> Iterator[str]:
        return (self[name] for name in self)


def _read(path: str) -> bytes | None:
    """A file's bytes; None when it cannot be read (the resolution then reads it as empty)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _update(h: object, data: bytes | None) -> None:
    h.update(b"-" if data is None else b"%d:" % len(data) + data)


def _parse_memo(document: object) -> tuple[str, list[Entry]]:
    """The salt and entries of a memo document; a new salt and no entries for anything
    malformed (the slow path then writes a good one)."""
    if isinstance(document, dict) and document.keys() == {"version", "salt", "entries"}:
        salt, entries = document["salt"], document["entries"]
        if (document["version"] == MEMO_VERSION and type(salt) is str and len(salt) == 32
                and type(entries) is list):
            parsed = [_parse_entry(entry) for entry in entries]
            if None not in parsed:
                return salt, parsed
    return os.urandom(16).hex(), []


def _parse_entry(entry: object) -> Entry | None:
    if not isinstance(entry, dict) or entry.keys() != _ENTRY_KEYS:
        return None
    server, env, side, inputs = entry["server"], entry["env"], entry["side"], entry["inputs"]
    key, min_ttl = entry["key"], entry["min_ttl"]
    if not (type(server) is str and type(inputs) is str and _strings(env) and _strings(side)
            and (min_ttl is None or type(min_ttl) is str)) or descriptor_problem(key):
        return None
    try:
        ttl = None if min_ttl is None else float(min_ttl)
    except ValueError:  # a min_ttl that is no number
        return None
    if ttl is not None and ttl - ttl != 0.0:  # inf or nan: never a parsed setting
        return None
    return Entry(server, env, side, inputs, key_of(key), ttl)


def _strings(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _quiet(message: str) -> None:
    """The memo is a shortcut: why it was not taken is the slow path's to say."""
