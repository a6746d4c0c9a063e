"""The ``ecr2_*`` profile settings, each parsed in one place for the CLI, the credential helper
and the token cache, so that one value gets one verdict everywhere: ``ecr2_cache_min_ttl``
here, ``ecr2_registry_profiles`` in ``registry_profiles`` (its name is here, so that a helper
hit without it imports no parser)."""

from __future__ import annotations

from .errors import Ecr2Error

REGISTRY_PROFILES = "ecr2_registry_profiles"  # parsed by registry_profiles.parse_registry_profiles


class SettingError(Ecr2Error):
    """A profile setting with a value we refuse; the message names the setting and the profile."""


def min_ttl(value: str | None, profile: str) -> float | None:
    """``ecr2_cache_min_ttl`` of ``profile``: seconds an entry must have left to be served, or
    None when unset (blank counts as unset). A number below the 15-minute floor, negative ones
    included, is accepted (the cache raises it to the floor); ``inf``, a number too large for a
    float (``1e400``), ``nan`` and anything that is not a number are refused, since the first
    two would silently never cache."""
    text = (value or "").strip()
    if not text:
        return None
    import math  # only when the setting is there: not on every credential-helper hit

    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise SettingError(f"ecr2_cache_min_ttl in profile {profile!r} must be a number of "
                           f"seconds, not {text[:40]!r}")
    return number
