"""The AWS CLI and botocore a credential-helper miss would import, found without importing them.

The helper's cache key must follow the chain of the botocore that signs on a miss: which
environment variable names the profile (v1: ``AWS_DEFAULT_PROFILE`` first, v2: ``AWS_PROFILE``
first) and whether botocore has the login provider. Both are read from the files of the first
``awscli`` package on ``sys.path`` (its vendored ``awscli/botocore`` if it has one, as v1 >= 1.46
and v2 do, else the first top-level ``botocore``), and only when the answer matters (both
profile variables set and different; a profile with ``login_session``). When ``sys.path`` has
no awscli yet (the launcher started Python with ``-S``), ``site`` is run first, as a miss would.
"""

from __future__ import annotations

import os
import sys

_found: dict[str, str | None] = {}


def _package_dir(name: str) -> str | None:
    if name not in _found:
        _found[name] = None
        for entry in sys.path:
            candidate = os.path.join(entry or ".", name)
            if os.path.isfile(os.path.join(candidate, "__init__.py")):
                _found[name] = candidate
                break
    return _found[name]


def _load_site() -> None:
    if sys.flags.no_site and "site" not in sys.modules:
        import site

        site.main()
        _found.clear()


def awscli_dir() -> str | None:
    found = _package_dir("awscli")
    if found is None:
        _load_site()
        found = _package_dir("awscli")
    return found


def cli_major() -> int:
    """The major version of the installed AWS CLI; 1 when none is found (then a miss fails)."""
    path = awscli_dir()
    if path is not None:
        try:
            with open(os.path.join(path, "__init__.py"), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("__version__"):
                        version = line.partition("=")[2].strip().strip("'\"")
                        return int(version.split(".")[0])
        except (OSError, ValueError):
            pass
    return 1


def botocore_has_login() -> bool:
    """Whether the botocore a miss imports has ``LoginProvider`` (``login_session``)."""
    cli = awscli_dir()
    paths = [os.path.join(cli, "botocore")] if cli is not None else []
    top = _package_dir("botocore")
    if top is not None:
        paths.append(top)
    for path in paths:
        try:
            with open(os.path.join(path, "credentials.py"), encoding="utf-8") as f:
                return "class LoginProvider(" in f.read()
        except OSError:
            continue
    return False
