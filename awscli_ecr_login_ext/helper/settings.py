"""The credential helper's settings: the environment, the credential chain and the selected
profile's settings, read from the shared files without botocore (endpoint rules included)."""

from __future__ import annotations

from . import HelperError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..core.registry import Registry
    from ..identity.chain import Chain
    from ..identity.principal import Resolution
    from .child import CliFacts

_SERVICE_ENV = {"ecr": "AWS_ENDPOINT_URL_ECR", "ecr-public": "AWS_ENDPOINT_URL_ECR_PUBLIC"}
_SERVICE_CONFIG_KEY = {"ecr": "ecr", "ecr-public": "ecr_public"}


class Settings:
    """The environment, the credential chain and the selected profile's settings, read from
    the shared files without botocore.

    The profile and the chain are those of the user's AWS CLI (``user_cli``): ``facts`` tells
    its major and login provider when they matter, so the settings read here belong to the
    identity in the cache key.
    """

    def __init__(self, environ: Mapping[str, str], chain: Chain, profile: str) -> None:
        self.environ = environ
        self.chain, self.profile = chain, profile
        self.scoped = self.chain.profile(self.profile)
        self._sections: dict[str, dict[str, str]] | None = None
        self._aliases: dict[str, Registry] | None = None
        self._registry_profiles: dict[str, str] | None = None

    @classmethod
    def active(cls, environ: Mapping[str, str], facts: Callable[[], CliFacts]) -> Settings:
        """The profile the environment selects, in the order of the user's CLI."""
        from ..identity.chain import chain_from_files

        chain, profile = chain_from_files(
            environ, major=lambda: facts().major, login=lambda: facts().login)
        return cls(environ, chain, profile)

    def registry_profiles(self) -> dict[str, str]:
        """``ecr2_registry_profiles``: {ECR host: profile}."""
        if self._registry_profiles is None:
            from ..core.settings import REGISTRY_PROFILES

            value = self.scoped.get(REGISTRY_PROFILES)
            if not value:  # as parse_registry_profiles has it, without importing it
                self._registry_profiles = {}
                return self._registry_profiles
            from ..core.registry import RegistryError
            from ..core.registry_profiles import parse_registry_profiles

            try:
                self._registry_profiles = parse_registry_profiles(
                    value, self.chain.profiles.keys())
            except RegistryError as error:
                raise HelperError(f"profile {self.profile!r}: {error}") from None
        return self._registry_profiles

    def for_registry(self, registry: Registry) -> Settings:
        """The settings of the profile that signs for ``registry``: the one the active
        profile's ``ecr2_registry_profiles`` maps it to (as with --profile), else this one."""
        mapping = self.registry_profiles()
        if not mapping:
            return self
        from ..core.registry_profiles import profile_for

        mapped = profile_for(registry, mapping)
        return self if mapped is None else Settings(self.environ, self.chain.explicitly(), mapped)

    def predicted(self) -> Resolution:
        """The credential source (``principal.Resolution``) the chain predicts."""
        return self.chain.resolve(self.profile)

    def aliases(self) -> dict[str, Registry]:
        if self._aliases is None:
            from ..core.registry import RegistryError
            from ..core.selection import aliases_from_config

            try:
                self._aliases = aliases_from_config(self.scoped.get("ecr2_registry_aliases"))
            except RegistryError as error:
                raise HelperError(f"profile {self.profile!r}: {error}") from None
        return self._aliases

    def min_ttl(self) -> float | None:
        from ..core import settings

        return settings.min_ttl(self.scoped.get("ecr2_cache_min_ttl"), self.profile)

    def endpoint_url(self, service: str) -> str | None:
        """The configured endpoint URL for ``service`` ("ecr"/"ecr-public"), as botocore finds
        it, or None for the real AWS endpoint."""
        environ = self.environ
        ignore = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        if ignore is None:
            ignore = self.scoped.get("ignore_configured_endpoint_urls", "")
        if ignore.strip().lower() == "true":
            return None
        for value in (environ.get(_SERVICE_ENV[service]), environ.get("AWS_ENDPOINT_URL")):
            if value:
                return value
        services = self.scoped.get("services", "").strip()
        if services:
            from ..identity.aws_files import config_file_path, named_section, parse_nested, read_ini

            if self._sections is None:
                self._sections = read_ini(config_file_path(self.environ))
            for section, items in self._sections.items():
                if named_section(section, "services") == services:
                    nested = parse_nested(items.get(_SERVICE_CONFIG_KEY[service], ""))
                    if nested.get("endpoint_url"):
                        return nested["endpoint_url"]
        return self.scoped.get("endpoint_url") or None
