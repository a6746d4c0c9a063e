"""Lets AWS CLI v1 survive a ``cli_legacy_plugin_path`` line in ``[plugins]``.

AWS CLI v2 reads that line as a directory to add to ``sys.path``; v1 imports
every ``[plugins]`` value as a module, so the path crashes it with
``ModuleNotFoundError``. v1 imports all plugins before initialising any, so
this module, listed before the path line, installs a finder that answers a
path-shaped module name with an inert stub. Under v2 it does nothing.
"""

from __future__ import annotations

import os
import sys
import types
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from typing import Any


def awscli_initialize(cli: Any) -> None:
    """The guard registers nothing."""


def _looks_like_path(name: str) -> bool:
    return "/" in name or os.sep in name or ":" in name


class _PathStubFinder(MetaPathFinder, Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if _looks_like_path(fullname):
            return ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.awscli_initialize = awscli_initialize
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _running_under_cli_v1() -> bool:
    awscli = sys.modules.get("awscli")
    return awscli is not None and getattr(awscli, "__version__", "").startswith("1.")


if _running_under_cli_v1() and not any(isinstance(f, _PathStubFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _PathStubFinder())
