"""Which registries a command asked for, and which token calls serve them (core: stdlib only).

A GetAuthorizationToken call returns a token valid for every registry the
caller may access in that partition, region and endpoint variant, so one call
serves each distinct :class:`TokenRequest`, however many registries share it.
"""

from __future__ import annotations

from .errors import Ecr2Error
from .registry import (
    Endpoint,
    Registry,
    RegistryError,
    format_host,
    host_of,
    parse_registry,
    parse_registry_id,
    partition_of_region,
)

# typing.TYPE_CHECKING without importing typing; collections.abc is imported only where used
# at run time (the credential helper's hit path never needs it).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_REQUEST_FIELDS = ("partition", "region", "fips", "dualstack", "public")


class TokenRequest(Endpoint):
    """One GetAuthorizationToken call: where it goes and which service answers it.

    Immutable; compares, hashes and prints by its fields.
    """

    __slots__ = _REQUEST_FIELDS

    partition: str
    region: str
    fips: bool
    dualstack: bool
    public: bool

    def __init__(self, partition: str, region: str, fips: bool = False, dualstack: bool = False,
                 public: bool = False) -> None:
        init = object.__setattr__
        init(self, "partition", partition)
        init(self, "region", region)
        init(self, "fips", fips)
        init(self, "dualstack", dualstack)
        init(self, "public", public)

    @classmethod
    def for_registry(cls, registry: Registry) -> TokenRequest:
        return cls(registry.partition, registry.region, registry.fips, registry.dualstack,
                   registry.public)

    @classmethod
    def default_for_region(cls, region: str) -> TokenRequest:
        """The caller's own private registry in a region."""
        return cls(partition_of_region(region) or "aws", region)


def aliases_from_config(value: object) -> dict[str, Registry]:
    """``ecr2_registry_aliases`` as the CLI hands it over: a nested mapping, or raw text."""
    if not value:
        return {}
    # Only when the profile has aliases: not on every credential-helper hit.
    from .aliases import parse_aliases

    if isinstance(value, str):  # from the config file as text: the credential helper's case
        return parse_aliases(value)
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        value = "\n".join(f"{name} = {host}" for name, host in value.items())
    if not isinstance(value, str):
        raise RegistryError("ecr2_registry_aliases must hold lines of the form NAME = ECRHOST")
    return parse_aliases(value)


def resolve_registry(value: str, aliases: Mapping[str, Registry]) -> Registry:
    """A --registry value: NAME=ECRHOST, a configured alias name, or an ECR host."""
    if "=" not in value:
        try:
            alias = aliases.get(host_of(value))
        except RegistryError:
            alias = None
        if alias is not None:
            return alias
    return parse_registry(value)


def select_registries(
    *,
    registries: Iterable[str] = (),
    registry_ids: Iterable[str] = (),
    public: bool = False,
    aliases: Mapping[str, Registry] | None = None,
    region: str | None = None,
    explicit_region: str | None = None,
) -> list[Registry]:
    """Every registry asked for, in the order asked; empty means "the caller's own".

    ``region`` is the configured region (used by ``registry_ids``);
    ``explicit_region`` is ``--region`` when given, which must not contradict
    a registry's own region.
    """
    selected = [resolve_registry(value, aliases or {}) for value in registries]
    ids = [parse_registry_id(value) for value in registry_ids]
    if ids:
        if not region:
            raise MissingRegionError()
        selected += [parse_registry(format_host(registry_id, region)) for registry_id in ids]
    if public:
        selected.append(parse_registry("public.ecr.aws"))
    if explicit_region:
        for registry in selected:
            if registry.region != explicit_region:
                raise RegistryError(
                    f"--region {explicit_region} contradicts registry {registry.name}, which is "
                    f"in {registry.region}; drop --region or name a registry in {explicit_region}")
    return selected


class MissingRegionError(Ecr2Error):
    """--registry-ids needs a region; the adapters turn this into the CLI's NoRegionError."""


def group_by_request(registries: Iterable[Registry]) -> dict[TokenRequest, list[Registry]]:
    """Registries grouped by the call that serves them, calls in first-asked order."""
    groups: dict[TokenRequest, list[Registry]] = {}
    for registry in registries:
        groups.setdefault(TokenRequest.for_registry(registry), []).append(registry)
    return groups
