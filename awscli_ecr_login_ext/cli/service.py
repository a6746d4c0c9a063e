"""The registry selectors and cache switches every token-fetching ``ecr2`` command shares."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from .. import HELPER_VARIABLE
from ..cache.token_cache import TokenCache
from ..core import settings
from ..core.registry import Registry, RegistryError
from ..core.registry_profiles import SETTING, parse_registry_profiles, profile_for
from ..core.selection import (
    MissingRegionError,
    TokenRequest,
    aliases_from_config,
    select_registries,
)
from .adapter import (
    configuration_error,
    configured_endpoint_url,
    create_client,
    credential_chain,
    is_sso_login_error,
    profile_session,
    redacted_logs,
    refuse_prompts,
    require_signing,
    signing_method,
    usage_error,
)
from .logins import Login, TokenSource, get_logins

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


def token_source(session: Any, profile: str, parsed_globals: Any, cache: TokenCache | None,
                 lock: threading.Lock, secrets: list[str], *, for_helper: bool) -> TokenSource:
    """Tokens signed with ``session``'s credentials (those of ``profile``'s chain)."""
    if for_helper:
        refuse_prompts(session, profile)

    def client_for(request: TokenRequest) -> Any:
        # Creating clients touches shared session state; calling them does not.
        with lock:
            return create_client(session, parsed_globals, request.service,
                                 region=request.region, fips=request.fips,
                                 dualstack=request.dualstack)

    predicted = None
    if cache is not None:
        chain, chain_profile = credential_chain(session)
        predicted = chain.resolve(chain_profile)

    def signed_as_predicted() -> bool:
        method = signing_method(session)
        if predicted is not None and method == predicted.method:
            return True
        logging.getLogger("awscli.ecr2").debug(
            "token cache: not storing the token: botocore signed with %s credentials, the "
            "cache key %s expected %s", method, predicted and predicted.identity.label,
            predicted and predicted.method)
        return False

    def explain(error: Exception) -> Exception | None:
        if for_helper and is_sso_login_error(error):
            return _sso_login_needed(session)
        return None

    return TokenSource(
        client_for=client_for,
        profile=profile,
        cache=cache,
        identity=predicted.identity if predicted is not None else None,
        signed_as_predicted=signed_as_predicted,
        explain=explain,
        endpoint_for=lambda request: (parsed_globals.endpoint_url
                                      or configured_endpoint_url(session, request.service)),
        warn=lambda message: print(message, file=sys.stderr),
        on_secret=secrets.append,
    )


def token_sources(session: Any, parsed_args: Any, parsed_globals: Any, secrets: list[str],
                  mapping: dict[str, str], *, for_helper: bool
                  ) -> Callable[[Registry | None], TokenSource]:
    """The TokenSource of each registry: its mapped profile's own session, else the CLI's."""
    cache = token_cache(session, parsed_args)
    lock = threading.Lock()
    sources: dict[str | None, TokenSource] = {}

    def source_for(registry: Registry | None) -> TokenSource:
        mapped = profile_for(registry, mapping) if registry is not None else None
        if mapped not in sources:
            signer = session if mapped is None else profile_session(session, mapped)
            sources[mapped] = token_source(signer, mapped or active_profile(session),
                                           parsed_globals, cache, lock, secrets,
                                           for_helper=for_helper)
        return sources[mapped]

    return source_for


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
    for_helper = bool(os.environ.get(HELPER_VARIABLE))
    with redacted_logs() as secrets:
        source_for = token_sources(session, parsed_args, parsed_globals, secrets, mapping,
                                   for_helper=for_helper)
        request = None if registries else default_request(session)
        return get_logins(source_for, registries, request)


def _sso_login_needed(session: Any) -> Exception | None:
    """For a credential helper, botocore's SSO token failure as one line saying what to run."""
    chain, profile = credential_chain(session)
    sso_profile = chain.resolve(profile).sso_profile
    if sso_profile is None:
        return None
    return configuration_error(
        f"profile {sso_profile!r} has no valid SSO session; run "
        f"'aws sso login --profile {sso_profile}', then try again")
