"""The registry selectors and cache switches every token-fetching ``ecr2`` command shares."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from .. import HELPER_VARIABLE
from ..awscli_compat import (
    configuration_error,
    configured_endpoint_url,
    create_client,
    credential_chain,
    is_sso_login_error,
    redacted_logs,
    refuse_prompts,
    require_signing,
    signing_method,
    usage_error,
)
from ..cache import TokenCache
from ..logins import Login, TokenSource, get_logins
from ..registry import Registry, RegistryError
from ..selection import (
    MissingRegionError,
    TokenRequest,
    aliases_from_config,
    select_registries,
)

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


def selected_registries(session: Any, parsed_args: Any, parsed_globals: Any) -> list[Registry]:
    """The registries asked for; empty means the caller's own registry."""
    try:
        aliases = aliases_from_config(
            session.get_scoped_config().get("ecr2_registry_aliases"))
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
    min_ttl = profile.get("ecr2_cache_min_ttl")
    try:
        min_ttl = float(min_ttl) if min_ttl not in (None, "") else None
    except ValueError:
        raise usage_error(f"ecr2_cache_min_ttl must be a number of seconds, not {min_ttl!r}")
    # A child of the "awscli" logger, so --debug shows why an entry was ignored.
    return TokenCache(min_ttl=min_ttl, debug=logging.getLogger("awscli.ecr2").debug)


def token_source(session: Any, parsed_args: Any, parsed_globals: Any,
                 secrets: list[str]) -> TokenSource:
    lock = threading.Lock()

    def client_for(request: TokenRequest) -> Any:
        # Creating clients touches shared session state; calling them does not.
        with lock:
            return create_client(session, parsed_globals, request.service,
                                 region=request.region, fips=request.fips,
                                 dualstack=request.dualstack)

    cache = token_cache(session, parsed_args)
    predicted = None
    if cache is not None:
        chain, profile = credential_chain(session)
        predicted = chain.resolve(profile)

    def signed_as_predicted() -> bool:
        method = signing_method(session)
        if predicted is not None and method == predicted.method:
            return True
        logging.getLogger("awscli.ecr2").debug(
            "token cache: not storing the token: botocore signed with %s credentials, the "
            "cache key %s expected %s", method, predicted and predicted.identity.label,
            predicted and predicted.method)
        return False

    return TokenSource(
        client_for=client_for,
        cache=cache,
        identity=predicted.identity if predicted is not None else None,
        signed_as_predicted=signed_as_predicted,
        endpoint_for=lambda request: (parsed_globals.endpoint_url
                                      or configured_endpoint_url(session, request.service)),
        warn=lambda message: print(message, file=sys.stderr),
        on_secret=secrets.append,
    )


def fetch_selected_logins(session: Any, parsed_args: Any, parsed_globals: Any, *,
                          single: bool = False) -> list[Login]:
    """The logins of the registries the selectors name, with the token kept out of --debug.

    ``single``: the command prints one password, so more than one registry is a usage error.
    """
    require_signing(parsed_globals)
    registries = selected_registries(session, parsed_args, parsed_globals)
    if single and len(registries) > 1:
        raise usage_error(
            f"{len(registries)} registries were selected, but this command prints one "
            "password; use 'aws ecr2 get-login' for several.")
    for_helper = bool(os.environ.get(HELPER_VARIABLE))
    if for_helper:
        refuse_prompts(session, session.get_config_variable("profile") or "default")
    with redacted_logs() as secrets:
        source = token_source(session, parsed_args, parsed_globals, secrets)
        request = None if registries else default_request(session)
        try:
            return get_logins(source, registries, request)
        except Exception as error:
            if for_helper and is_sso_login_error(error):
                raise _sso_login_needed(session) or error from None
            raise


def _sso_login_needed(session: Any) -> Exception | None:
    """For a credential helper, botocore's SSO token failure as one line saying what to run."""
    chain, profile = credential_chain(session)
    sso_profile = chain.resolve(profile).sso_profile
    if sso_profile is None:
        return None
    return configuration_error(
        f"profile {sso_profile!r} has no valid SSO session; run "
        f"'aws sso login --profile {sso_profile}', then try again")
