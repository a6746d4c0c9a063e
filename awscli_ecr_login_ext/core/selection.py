"""Which registries a command asked for, and which token calls serve them (core: stdlib only).

A GetAuthorizationToken call returns a token valid for every registry the
caller may access in that partition, region and endpoint variant, so one call
serves each distinct :class:`TokenRequest`, however many registries share it.

An alias names an ECR registry by another host, such as a local mirror's ``127.0.0.1:5000``:
"NAME=ECRHOST" on the command line, or a line of ``ecr2_registry_aliases``. ``parse_registry``
reads either form of a name, so it lives here, above both the host grammar (``registry``) and
the alias grammar.
"""

from __future__ import annotations

from .errors import Ecr2Error
from .registry import (
    EXAMPLE_HOST,
    Endpoint,
    Registry,
    RegistryError,
    format_host,
    host_of,
    host_port,
    identify,
    parse_registry_id,
    partition_of_region,
    quote,
)
from .settings import nested_lines

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
        self._set(partition, region, fips, dualstack, public)

    @classmethod
    def for_registry(cls, registry: Registry) -> TokenRequest:
        return cls(registry.partition, registry.region, registry.fips, registry.dualstack,
                   registry.public)

    @classmethod
    def default_for_region(cls, region: str) -> TokenRequest:
        """The caller's own private registry in a region."""
        return cls(partition_of_region(region) or "aws", region)


# -- aliases: "NAME=ECRHOST" on the command line, the lines of ecr2_registry_aliases ----------

_ALIASES_WHERE = " in ecr2_registry_aliases"


def parse_registry(value: str) -> Registry:
    """Parse an ECR host, URI or image reference, or "NAME=ECRHOST" naming an alias for one."""
    if isinstance(value, str) and "=" in value:
        return parse_alias(value)
    try:
        return identify(value)
    except (TypeError, ValueError) as exc:
        raise _not_ecr(value, str(exc)) from None


def _not_ecr(value: object, reason: str = "") -> RegistryError:
    detail = f" ({reason})" if reason else ""
    return RegistryError(
        f"{quote(value)} is not an Amazon ECR registry{detail}; "
        f"expected a host such as {EXAMPLE_HOST} or public.ecr.aws"
    )


def parse_alias(value: str) -> Registry:
    """Parse "NAME=ECRHOST": the registry ECRHOST names, named NAME."""
    try:
        return _alias_target(value)
    except ValueError as exc:
        raise _alias_error(value, str(exc)) from None


def _alias_target(value: str) -> Registry:
    """Parse "NAME=ECRHOST"; raise ValueError with a short reason."""
    name, _, target = (part.strip() for part in value.partition("="))
    if not name:
        raise ValueError("empty name before '='")
    if "=" in target:
        raise ValueError("the target must be an ECR host, not another alias")
    try:
        alias = host_port(name)[0]
    except ValueError as exc:
        raise ValueError(f"name {quote(name)}: {exc}") from None
    try:
        registry = identify(target)
    except ValueError as exc:
        reason = f": {exc}" if str(exc) else ""
        raise ValueError(f"target {quote(target)} is not an Amazon ECR registry{reason}") from None
    return registry._replace(name=alias)


def _alias_error(value: str, reason: str, where: str = "") -> RegistryError:
    return RegistryError(
        f"{quote(value)}{where} is not a valid registry alias ({reason}); "
        f"expected NAME=ECRHOST such as 127.0.0.1:5000={EXAMPLE_HOST}"
    )


def parse_aliases(value: object) -> dict[str, Registry]:
    """Parse the nested config value ``ecr2_registry_aliases``: lines of "NAME = ECRHOST", as
    the CLI hands them over (botocore's nested dict) or as the credential helper reads them
    (the file's text)."""
    lines = nested_lines(value)
    if lines is None:
        raise RegistryError("ecr2_registry_aliases must hold lines of the form NAME = ECRHOST, "
                            f"not {quote(value)}")
    aliases: dict[str, Registry] = {}
    for entry in lines:
        if "=" not in entry:
            raise _alias_error(entry, "no '='", _ALIASES_WHERE)
        try:
            registry = _alias_target(entry)
        except ValueError as exc:
            raise _alias_error(entry, str(exc), _ALIASES_WHERE) from None
        if registry.name in aliases:
            raise _alias_error(entry, f"{registry.name} is already defined", _ALIASES_WHERE)
        aliases[registry.name] = registry
    return aliases


def aliases_from_config(value: object) -> dict[str, Registry]:
    """``ecr2_registry_aliases`` of a profile; none when unset."""
    return parse_aliases(value) if value else {}


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
