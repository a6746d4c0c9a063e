"""The one atomic write: replacing a small file in one step (standard library only, no
relative import: install copies this file beside the redirect, which loads it by path)."""

from __future__ import annotations

import os
from pathlib import Path

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
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o600
    if isinstance(data, str):
        data = data.encode("utf-8")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
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
