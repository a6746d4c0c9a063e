"""The ``ecr2_*`` profile settings, each parsed in one place for the CLI, the credential helper
and the token cache, so that one value gets one verdict everywhere: ``ecr2_cache_min_ttl``
here, ``ecr2_registry_profiles`` in ``registry_profiles`` (its name is here, so that a helper
hit without it imports no parser), ``ecr2_registry_aliases`` in ``selection``; the lines of
those two nested settings, as the CLI sees them, here."""

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


def nested_lines(value: object) -> list[str] | None:
    """The "KEY = VALUE" lines of a nested setting as the CLI sees them; None when ``value`` is
    neither text nor botocore's nested value.

    botocore hands the CLI a nested value as a dict (``configloader._parse_nested``: each line
    split at its first "=", both sides stripped, a key written again replacing the earlier
    line), while the credential helper reads the same value from the file as text. Text is
    read here by that rule (the user's lines kept, for the messages), so a key written twice
    means its last line to both, in its first line's place. A line without "=" makes botocore
    refuse the whole file; text holding one is returned line by line, for the setting's parser
    to name that line.
    """
    if isinstance(value, str):
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        if not all("=" in line for line in lines):
            return lines
        last_line_of = {}
        for line in lines:
            last_line_of[line.split("=", 1)[0].strip()] = line
        return list(last_line_of.values())
    if hasattr(value, "items"):  # botocore's dict; collections.abc would cost the helper
        return [f"{key} = {item}".strip() for key, item in value.items()]
    return None
