"""A directory of small private JSON files, safe to read when others share the machine.

The directory is created with its parents and the leaf set to mode 0700. A directory owned by
another user, or writable by group/others, is refused with a CacheError: anyone who can write
there could plant files. A file is read only when it is a regular file (not a symlink, a FIFO
or a device), owned by this user, with no group/other permission bit, at most 1 MiB, and JSON;
otherwise a debug line says why and it counts as absent. Files are written atomically (a 0600
temp file in the same directory, fsync, rename). Locks are exclusive locks on files of their
own (flock, or msvcrt.locking on Windows), released by the OS if their holder dies.

The credential helper reads a file here on every pull and push: that path imports no json (it
imports re), so well-formed documents are decoded with json.loads' own C scanner (``loads``).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time

from ..core.errors import Ecr2Error

try:
    from _json import make_scanner as _make_scanner  # json.loads' own C scanner
except ImportError:  # not CPython: json.loads reads every document
    _make_scanner = None

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_POSIX = os.name == "posix"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
# A FIFO planted under a file's name must not hang the credential helper.
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_MAX_FILE_BYTES = 1 << 20
_LOCK_POLL_MIN = 0.005
_LOCK_POLL_MAX = 0.05


class CacheError(Ecr2Error):
    """The cache cannot be used safely; the message is one user-facing line."""


class SecureDirectory:
    """The directory ``path`` (absolute). Its methods never raise for a file that is absent or
    unsafe; only an unsafe directory raises (CacheError), and writes raise OSError."""

    def __init__(self, path: str, debug: Callable[[str], None]) -> None:
        self.path = path
        self.debug = debug

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    # -- the directory --------------------------------------------------------------------

    def _check(self, st: os.stat_result) -> None:
        if not _POSIX:
            return
        if st.st_uid != os.getuid():
            raise CacheError(
                f"Refusing to use the token cache directory {self.path}: it is owned by "
                f"another user (uid {st.st_uid}). Remove it, or set AWS_ECR2_CACHE_DIR to a "
                "directory of your own"
            )
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o022:
            import shlex

            raise CacheError(
                f"Refusing to use the token cache directory {self.path}: it is writable "
                f"by other users (mode {mode:04o}). Run: chmod 700 {shlex.quote(self.path)}"
            )

    def exists(self) -> bool:
        """True if the directory exists and is safe, False if it is absent or unusable."""
        try:
            st = os.stat(self.path)
        except OSError as e:
            if not isinstance(e, FileNotFoundError):
                self.debug(f"token cache: cannot use {self.path}: {oserror(e)}")
            return False
        if not stat.S_ISDIR(st.st_mode):
            self.debug(f"token cache: {self.path} is not a directory")
            return False
        self._check(st)
        return True

    def ensure(self) -> None:
        """Create the directory (0700) if absent; OSError when that fails."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
            # makedirs' mode is filtered by the umask and not applied if another process
            # created the directory first; set it exactly.
            os.chmod(self.path, 0o700)
            st = os.stat(self.path)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", self.path)
        self._check(st)

    def names(self) -> list[str]:
        """The names in the directory, sorted; none when it is absent or unreadable."""
        if not self.exists():
            return []
        try:
            return sorted(os.listdir(self.path))
        except OSError as e:
            self.debug(f"token cache: cannot list {self.path}: {oserror(e)}")
            return []

    # -- files ----------------------------------------------------------------------------

    def read_json(self, name: str) -> object | None:
        """The JSON document in file ``name``, or None (a debug line says why when the file
        is there but unsafe, unreadable or not JSON). The directory must exist."""
        path = self.file(name)
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
                    reason = f"cannot open it ({oserror(e)})"
        if fd >= 0:
            try:
                reason = _unsafe_file(os.fstat(fd))
                if reason is None:
                    data = _read_all(fd, _MAX_FILE_BYTES + 1)
                    if len(data) > _MAX_FILE_BYTES:
                        reason = "it is too large"
            except OSError as e:
                reason = f"cannot read it ({oserror(e)})"
            finally:
                os.close(fd)
        if reason is None:
            try:
                return loads(data)
            except (ValueError, RecursionError):
                reason = "it is not valid JSON (corrupt or truncated)"
        self.ignoring(name, reason)
        return None

    def ignoring(self, name: str, reason: str) -> None:
        self.debug(f"token cache: ignoring {self.file(name)}: {reason}")

    def write(self, name: str, data: bytes) -> None:
        """Create the directory if need be and write file ``name`` atomically, mode 0600."""
        from ..core.atomic import write_atomically  # a write follows a fetch: not the hit path

        self.ensure()
        write_atomically(self.file(name), data, mode=0o600)

    def remove(self, name: str) -> bool:
        """Delete file ``name``: True, or False when it is already gone; OSError when it
        cannot be deleted."""
        try:
            os.unlink(self.file(name))
        except FileNotFoundError:
            return False
        return True


def lock(directory: SecureDirectory, name: str, wait: float) -> int | None:
    """An fd holding an exclusive lock on file ``name`` of ``directory`` (created if need be),
    or None when the directory cannot be made, locking fails, or ``wait`` seconds pass first.
    Release it with ``unlock``."""
    debug = directory.debug
    try:
        directory.ensure()
    except OSError as e:
        debug(f"token cache: cannot create {directory.path}: {oserror(e)}")
        return None
    path = directory.file(name)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, 0o600)
    except OSError as e:
        debug(f"token cache: cannot open lock file {path}: {oserror(e)}")
        return None
    deadline = time.monotonic() + max(wait, 0.0)
    delay = _LOCK_POLL_MIN
    try:
        while True:
            try:
                if _try_lock(fd):
                    return fd
            except OSError as e:
                debug(f"token cache: cannot lock {path}: {oserror(e)}")
                break
            left = deadline - time.monotonic()
            if left <= 0:
                debug(f"token cache: {path} still locked after {wait:g}s; fetching without it")
                break
            time.sleep(min(delay, left))
            delay = min(delay * 2, _LOCK_POLL_MAX)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def unlock(fd: int) -> None:
    """Release a ``lock`` and close its descriptor."""
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


def loads(data: bytes) -> object:
    """``json.loads(data)``, without importing json for a well-formed document.

    A document here is UTF-8 text of one JSON object: that is decoded and scanned here exactly
    as json.loads does (its own C scanner, its default settings, only JSON whitespace after the
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


def oserror(e: OSError) -> str:
    return e.strerror or e.__class__.__name__
