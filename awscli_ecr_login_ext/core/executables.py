"""Finding a program on ``PATH`` (core: stdlib only): the one rule for the ``aws`` a helper's
miss runs, the CLIs ``install`` configures and the container clients ``aws ecr2 login`` runs.

Empty ``PATH`` entries are skipped rather than read as the current directory: a program we run
with a registry password, or that signs with the user's credentials, is never picked up from
wherever the command happens to run.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


def is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def on_path(name: str, path: str) -> Iterator[str]:
    """Each executable file called ``name`` in the directories of the ``PATH``-style ``path``,
    in order."""
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory, name)
        if directory and is_executable(candidate):
            yield candidate


def first_on_path(name: str, path: str) -> str | None:
    """The first executable file called ``name`` on ``path`` (absolute), or None."""
    return next((os.path.abspath(found) for found in on_path(name, path)), None)
