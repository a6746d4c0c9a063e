"""Registry aliases (core): "NAME=ECRHOST" on the command line, and the lines of
``ecr2_registry_aliases``. An alias names an ECR registry by another host, such as a local
mirror's ``127.0.0.1:5000``."""

from __future__ import annotations

from .registry import EXAMPLE_HOST, Registry, RegistryError, host_port, identify, quote

_ALIASES_WHERE = " in ecr2_registry_aliases"


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


def parse_aliases(text: str) -> dict[str, Registry]:
    """Parse the nested config value ``ecr2_registry_aliases``: lines of "NAME = ECRHOST"."""
    if not isinstance(text, str):
        raise RegistryError(f"{quote(text)} is not a list of NAME = ECRHOST registry aliases")
    aliases: dict[str, Registry] = {}
    for line in text.splitlines():
        entry = line.strip()
        if not entry:
            continue
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
