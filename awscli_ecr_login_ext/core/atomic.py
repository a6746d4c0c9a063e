"""The one atomic write: replacing a small file in one step (standard library only, no
relative import: install copies this file beside the redirect, which loads it by path)."""

from __future__ import annotations

import os

_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def write_atomically(path: str | os.PathLike[str], data: str | bytes, *,
                     mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one step.

    ``mode``: the file's mode; by default the existing file's, 0600 for a new one. A missing
    parent directory is created (the innermost one 0700). The data goes to a temporary file in
    the same directory (created exclusively, never through a link, mode 0600 whatever the
    umask), is fsynced, gets the mode, and is renamed over ``path``; on any failure the
    temporary file is removed and the error (an OSError for I/O) propagates.
    """
    # os.path, not pathlib: pathlib imports re, and the credential helper writes its memo here.
    path = os.fspath(path)
    directory, name = os.path.split(path)
    os.makedirs(directory or os.curdir, mode=0o700, exist_ok=True)
    if mode is None:
        mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o600
    if isinstance(data, str):
        data = data.encode("utf-8")
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, _FLAGS, 0o600)
    try:
        try:
            if os.name == "posix":
                os.fchmod(descriptor, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view):]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if os.name != "posix":
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
