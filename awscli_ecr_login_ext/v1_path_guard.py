"""Lets AWS CLI v1 survive a ``cli_legacy_plugin_path`` line in ``[plugins]``.

AWS CLI v2 reads that line as a directory to add to ``sys.path``; v1 imports
every ``[plugins]`` value as a module, so the path crashes it with
``ModuleNotFoundError``. v1 imports all plugins before initialising any, so
this module, listed before the path line, installs a finder that answers a
path-shaped module name with an inert stub. Under v2 it does nothing.

The finder is the redirect's (``setup/redirect.py``): install also copies that file where the
package may be gone, so it is the one place of the rule.
"""

from __future__ import annotations

from .setup.redirect import guard_v1_plugin_path


def awscli_initialize(cli: object) -> None:
    """The guard registers nothing."""


guard_v1_plugin_path()
