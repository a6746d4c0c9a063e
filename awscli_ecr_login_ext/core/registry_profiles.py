"""Which AWS profile signs for which registry: the ``ecr2_registry_profiles`` setting (core).

Set in the active profile's section of the AWS config file, in the nested form of
``ecr2_registry_aliases``::

    [default]
    ecr2_registry_profiles =
        111111111111.dkr.ecr.eu-west-1.amazonaws.com = tools
        222222222222.dkr.ecr.us-east-1.amazonaws.com = prod
        public.ecr.aws = tools

API:

* ``parse_registry_profiles(value, profiles)`` -> ``{ECRHOST: PROFILE}``. ``value`` is the
  setting as the credential helper reads it from the file (raw text, one ``ECRHOST = PROFILE``
  a line, blank lines ignored) or as botocore hands it to the CLI (the nested dict); empty or
  None means no mapping. ``profiles`` holds the names of the profiles that exist (botocore's
  ``Session.available_profiles``, or the keys of ``credential_sources.profile_maps``).
  Each ECRHOST is read with ``selection.parse_registry``'s grammar (a host, URI or image
  reference of a private ECR registry, or ``public.ecr.aws`` / ``ecr-public.aws.com``), and
  keyed by its lower-cased ECR host without port (``Registry.ecr_host``). A malformed line, a
  host that is not an ECR registry, an alias name or ``NAME=ECRHOST`` as the host, a host
  named twice, an empty profile name or a profile not in ``profiles`` raises ``RegistryError``
  whose message is one line quoting the offending line.
* ``profile_for(registry, mapping, aliases=None)`` -> the mapped profile, or None (the active
  profile signs, as without a mapping). ``registry`` is a ``Registry`` (already resolved from
  its alias, as ``selection.resolve_registry`` does) or a string, which is resolved first
  through ``aliases`` (``selection.aliases_from_config``); the mapping then applies to the ECR
  host behind it. Hosts match exactly: the FIPS or dual-stack host of a registry
  (``…dkr-ecr…on.aws``, ``ecr-public.aws.com``) is mapped by its own line.

Like registry.py this is on the credential helper's cache-hit path: standard library only,
and nothing imported at load time beyond our own core modules (no re, json or typing).
"""

from __future__ import annotations

from .registry import EXAMPLE_HOST, Registry, RegistryError, quote
from .selection import parse_registry, resolve_registry
from .settings import REGISTRY_PROFILES, nested_lines

# typing.TYPE_CHECKING without importing typing (the credential helper's hit path does without).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container, Mapping

__all__ = ["SETTING", "parse_registry_profiles", "profile_for"]

SETTING = REGISTRY_PROFILES



def _line_error(line: str, reason: str) -> RegistryError:
    return RegistryError(
        f"{quote(line)} in {SETTING} is not a valid registry mapping ({reason}); "
        f"expected ECRHOST = PROFILE such as {EXAMPLE_HOST} = prod")


def parse_registry_profiles(value: object, profiles: Container[str]) -> dict[str, str]:
    """``ecr2_registry_profiles`` as ``{ECRHOST: PROFILE}``; see the module docstring."""
    if not value:
        return {}
    lines = nested_lines(value)
    if lines is None:
        raise RegistryError(f"{SETTING} must hold lines of the form ECRHOST = PROFILE, "
                            f"not {quote(value)}")
    mapping: dict[str, str] = {}
    for entry in lines:
        host, sep, profile = (part.strip() for part in entry.partition("="))
        if not sep:
            raise _line_error(entry, "no '='")
        if not host:
            raise _line_error(entry, "no registry before '='")
        if not profile:
            raise _line_error(entry, "no profile after '='")
        if "=" in profile:
            raise _line_error(entry, "more than one '='")
        try:
            registry = parse_registry(host)
        except RegistryError:
            raise _line_error(entry, f"{quote(host)} is not an Amazon ECR registry host; "
                                     "aliases cannot be mapped, map their ECR host") from None
        if registry.ecr_host in mapping:
            raise _line_error(entry, f"{registry.ecr_host} is already mapped")
        if profile not in profiles:
            raise RegistryError(
                f"{quote(entry)} in {SETTING} names profile {quote(profile)}, which does "
                "not exist in the AWS config or credentials file")
        mapping[registry.ecr_host] = profile
    return mapping


def profile_for(registry: Registry | str, mapping: Mapping[str, str],
                aliases: Mapping[str, Registry] | None = None) -> str | None:
    """The profile ``mapping`` names for a registry (aliases resolved first), else None."""
    if not mapping:
        return None
    if isinstance(registry, str):
        registry = resolve_registry(registry, aliases or {})
    return mapping.get(registry.ecr_host)
