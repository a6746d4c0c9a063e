"""The registry selectors and cache switches every token-fetching ``ecr2`` command shares."""

from __future__ import annotations

import logging
import os
from typing import Any

from .. import HELPER_VARIABLE
from ..cache.token_cache import TokenCache
from ..core import settings
from ..core.registry import Registry, RegistryError
from ..core.registry_profiles import SETTING, parse_registry_profiles
from ..core.selection import (
    MissingRegionError,
    TokenRequest,
    aliases_from_config,
    select_registries,
)
from .adapter import configuration_error, redacted_logs, require_signing, usage_error
from .logins import Login, get_logins
from .signers import token_sources

SELECTOR_ARGS = [
    {
        # "extend": `--registry a --registry b` keeps both, like `--registry a b`
        "name": "registry", "nargs": "+", "action": "extend", "no_paramfile": True,
        "help_text": (
            "<p>Registries to get credentials for: hostnames, URIs or image references, such "
            "as <code>123456789012.dkr.ecr.eu-west-1.amazonaws.com</code>, "
            "<code>https://123456789012.dkr-ecr.us-east-1.on.aws</code> or "
            "<code>public.ecr.aws/org/repo:tag</code>. Region, partition, account and "
            "endpoint (FIPS, dual-stack) come from the host, so <code>--region</code> is not "
            "needed. <code>NAME=ECRHOST</code> gets ECRHOST's credentials under another name "
            "(a DNS alias, a proxy or a mirror); names set in the profile's "
            "<code>ecr2_registry_aliases</code> work too. Values are used verbatim: "
            "<code>http://</code> and <code>file://</code> values are never fetched or "
            "read.</p>"),
    },
    {
        "name": "registry-ids", "nargs": "+", "action": "extend",
        "help_text": ("<p>12-digit AWS account IDs whose private registries in the configured "
                      "Region you want credentials for.</p>"),
    },
    {
        "name": "public", "action": "store_true",
        "help_text": ("<p>Also get credentials for Amazon ECR Public "
                      "(<code>public.ecr.aws</code>); the token is always requested in "
                      "us-east-1, as AWS requires.</p>"),
    },
    # Two dests, not one tri-state dest: CustomArgument hands argparse no default of None, so
    # a shared dest would start as store_true's False and hide the profile's ecr2_cache.
    {
        "name": "cache", "action": "store_true", "group_name": "cache",
        "help_text": ("<p>Serve the token from the token cache in "
                      "<code>~/.aws/ecr2/cache/</code> while at least half its lifetime, "
                      "and never less than 15 minutes, remains (<code>ecr2_cache_min_ttl = "
                      "SECONDS</code> in the profile raises that minimum), and fill it on a "
                      "miss. Also enabled by <code>ecr2_cache = true</code> in the profile. "
                      "<code>--no-cache</code> never uses the cache, whatever the profile "
                      "says (<code>AWS_ECR2_NO_CACHE=1</code> does the same).</p>"),
    },
    {
        "name": "no-cache", "action": "store_true", "group_name": "cache",
        "help_text": ("<p>Never use the token cache, whatever the profile says "
                      "(<code>AWS_ECR2_NO_CACHE=1</code> does the same).</p>"),
    },
]


def selected_registries(session: Any, parsed_args: Any, parsed_globals: Any,
                        config: Any = None) -> list[Registry]:
    """The registries asked for; empty means the caller's own registry. Aliases come from
    ``config`` (a profile's settings), else from the active profile."""
    if config is None:
        config = session.get_scoped_config()
    try:
        aliases = aliases_from_config(config.get("ecr2_registry_aliases"))
        return select_registries(
            registries=parsed_args.registry or (),
            registry_ids=parsed_args.registry_ids or (),
            public=parsed_args.public,
            aliases=aliases,
            region=session.get_config_variable("region"),
            explicit_region=parsed_globals.region,
        )
    except MissingRegionError:
        from botocore.exceptions import NoRegionError

        raise NoRegionError() from None
    except RegistryError as error:
        raise usage_error(str(error)) from None


def default_request(session: Any) -> TokenRequest:
    region = session.get_config_variable("region")
    if not region:
        from botocore.exceptions import NoRegionError

        raise NoRegionError()
    return TokenRequest.default_for_region(region)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def token_cache(session: Any, parsed_args: Any) -> TokenCache | None:
    """The cache when asked for (--cache, or ecr2_cache in the profile) and not refused
    (--no-cache or AWS_ECR2_NO_CACHE, whatever else says)."""
    profile = session.get_scoped_config()
    if parsed_args.no_cache or _truthy(os.environ.get("AWS_ECR2_NO_CACHE", "")):
        return None
    if not (parsed_args.cache or _truthy(profile.get("ecr2_cache", "false"))):
        return None
    return profile_token_cache(session)


def profile_token_cache(session: Any) -> TokenCache:
    """The token cache with the active profile's freshness rule (``ecr2_cache_min_ttl``, a bad
    value being the CLI's configuration error)."""
    try:
        min_ttl = settings.min_ttl(session.get_scoped_config().get("ecr2_cache_min_ttl"),
                                   active_profile(session))
    except settings.SettingError as error:
        raise configuration_error(str(error)) from None
    # A child of the "awscli" logger, so --debug shows why an entry was ignored.
    return TokenCache(min_ttl=min_ttl, debug=logging.getLogger("awscli.ecr2").debug)


def registry_profiles(session: Any, config: Any = None) -> dict[str, str]:
    """``ecr2_registry_profiles`` of ``config`` (a profile's settings), else of the active
    profile: {ECRHOST: PROFILE}; a bad line is the CLI's configuration error."""
    if config is None:
        config = session.get_scoped_config()
    try:
        return parse_registry_profiles(config.get(SETTING), session.available_profiles)
    except RegistryError as error:
        raise configuration_error(str(error)) from None


def active_profile(session: Any) -> str:
    return session.get_config_variable("profile") or "default"


def fetch_selected_logins(session: Any, parsed_args: Any, parsed_globals: Any, *,
                          single: bool = False) -> list[Login]:
    """The logins of the registries the selectors name, with the token kept out of --debug.

    ``single``: the command prints one password, so more than one registry is a usage error.
    Each registry is signed by the profile ``ecr2_registry_profiles`` maps it to, else by the
    active profile.
    """
    require_signing(parsed_globals)
    registries = selected_registries(session, parsed_args, parsed_globals)
    if single and len(registries) > 1:
        raise usage_error(
            f"{len(registries)} registries were selected, but this command prints one "
            "password; use 'aws ecr2 get-login' for several.")
    mapping = registry_profiles(session)
    cache = token_cache(session, parsed_args)
    request = None if registries else default_request(session)
    with redacted_logs() as secrets:
        # The session goes on to cli/signers and does not come back here.
        source_for = token_sources(session, parsed_globals, active_profile=active_profile(session),
                                   mapping=mapping, cache=cache, secrets=secrets,
                                   for_helper=bool(os.environ.get(HELPER_VARIABLE)))
        return get_logins(source_for, registries, request)
