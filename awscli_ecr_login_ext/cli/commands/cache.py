"""``aws ecr2 cache list|clear``: look into and empty the token cache, never showing a token."""

from __future__ import annotations

import sys
from argparse import Namespace
from datetime import datetime, timezone
from typing import Any, ClassVar

from ...cache.entry import CachedToken, CacheKey
from ...cache.token_cache import TokenCache
from ...core.registry import PUBLIC_REGION, Registry, host_of
from ..adapter import display, missing_subcommand_error
from ..service import profile_token_cache, selected_registries
from .base import Ecr2BasicCommand, doc_file


def cache_for_listing(session: Any) -> TokenCache:
    """The token cache with the profile's freshness rule; ``--no-cache`` and
    ``AWS_ECR2_NO_CACHE`` do not apply: these commands only look at or delete files."""
    return profile_token_cache(session)


def _registry_host(key: CacheKey, token: CachedToken) -> str:
    if token.proxy_endpoint:
        try:
            return host_of(token.proxy_endpoint)
        except ValueError:
            pass
    if key.public:
        return "ecr-public.aws.com" if key.dualstack else "public.ecr.aws"
    return ""


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat()


def profile_of(identity_label: str) -> str | None:
    """The profile an identity label names ("profile:NAME" or "profile:NAME (DETAIL)", see
    identity.Identity); None for credentials of no profile (environment, container...)."""
    if not identity_label.startswith("profile:"):
        return None
    return identity_label[len("profile:"):].split(" (", 1)[0]


def describe(cache: TokenCache, key: CacheKey, token: CachedToken) -> dict[str, Any]:
    """One listed entry: where the token is for, whose it is and until when; never the token."""
    return {
        "Registry": _registry_host(key, token),
        "Region": key.region,
        "Partition": key.partition,
        "Variant": key.variant,
        "Public": key.public,
        "Profile": profile_of(key.identity.label),
        "Identity": key.identity.label,
        "EndpointUrl": key.endpoint_url,
        "FetchedAt": _iso(token.fetched_at),
        "ExpiresAt": _iso(token.expires_at),
        "Servable": cache.servable(token),
    }


def _matches(key: CacheKey, registries: list[Registry]) -> bool:
    return any(
        key.partition == registry.partition
        and key.region == (PUBLIC_REGION if registry.public else registry.region)
        and key.variant == registry.variant
        and key.public == registry.public
        for registry in registries
    )


class CacheListCommand(Ecr2BasicCommand):
    NAME = "list"
    SUMMARY = "List the cached ECR authorization tokens (never the tokens themselves)"
    DESCRIPTION = doc_file("cache-list_description.rst")
    EXAMPLES = doc_file("cache-list_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = []

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        cache = cache_for_listing(self._session)
        entries = [describe(cache, key, token) for key, token in cache.entries()]
        entries.sort(key=lambda e: (e["Registry"], e["Region"], e["Identity"], e["ExpiresAt"]))
        display(self._session, parsed_globals, "ecr2-cache-list", {"Entries": entries})
        return 0


class CacheClearCommand(Ecr2BasicCommand):
    NAME = "clear"
    SUMMARY = "Delete cached ECR authorization tokens"
    DESCRIPTION = doc_file("cache-clear_description.rst")
    EXAMPLES = doc_file("cache-clear_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = [
        {
            "name": "registry", "nargs": "+", "no_paramfile": True,
            "help_text": (
                "<p>Delete only the tokens that serve these registries: hostnames, URIs or "
                "image references such as <code>123456789012.dkr.ecr.eu-west-1.amazonaws.com"
                "</code> or <code>public.ecr.aws</code>, or alias names from "
                "<code>ecr2_registry_aliases</code>. A token serves every registry of its "
                "partition, Region and endpoint variant, so that is what is matched. Without "
                "<code>--registry</code> every cached token is deleted.</p>"),
        },
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        registries: list[Registry] | None = None
        if parsed_args.registry:
            selectors = Namespace(registry=parsed_args.registry, registry_ids=None, public=False)
            # --region filters nothing here; it must not contradict the hosts either.
            registries = selected_registries(self._session, selectors,
                                             Namespace(region=None))
        cache = cache_for_listing(self._session)
        if registries is None:
            removed = cache.remove(lambda key: True)
        else:
            removed = cache.remove(lambda key: _matches(key, registries))
        noun = "token" if removed == 1 else "tokens"
        sys.stdout.write(f"Removed {removed} cached {noun} from {cache.directory}\n")
        return 0


class CacheCommand(Ecr2BasicCommand):
    NAME = "cache"
    SUMMARY = "Inspect or empty the ECR token cache"
    DESCRIPTION = doc_file("cache_description.rst")
    SUBCOMMANDS: ClassVar[list[dict]] = [
        {"name": CacheListCommand.NAME, "command_class": CacheListCommand},
        {"name": CacheClearCommand.NAME, "command_class": CacheClearCommand},
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        raise missing_subcommand_error(self)
