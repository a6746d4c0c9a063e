"""The botocore side of fetching tokens: the session that signs each registry's call, the
clients it makes, and the credential chain the cache key is predicted from.

The one module of ours that the CLI's session is handed to once the arguments are read:
``cli/service`` reads the settings from the session, then passes it here, and nothing passes
it back (``tests/test_session_route.py``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from awscli.customizations.utils import create_client_from_parsed_globals

from ..cache.token_cache import TokenCache
from ..core.registry import Registry
from ..core.registry_profiles import profile_for
from ..core.selection import TokenRequest
from .adapter import CLI_MAJOR, configuration_error
from .logins import TokenSource


def token_sources(session: Any, parsed_globals: Any, *, active_profile: str,
                  mapping: dict[str, str], cache: TokenCache | None, secrets: list[str],
                  for_helper: bool) -> Callable[[Registry | None], TokenSource]:
    """The TokenSource of each registry: its mapped profile's own session, else the CLI's
    (``active_profile``'s)."""
    lock = threading.Lock()
    sources: dict[str | None, TokenSource] = {}

    def source_for(registry: Registry | None) -> TokenSource:
        mapped = profile_for(registry, mapping) if registry is not None else None
        if mapped not in sources:
            signer = session if mapped is None else profile_session(session, mapped)
            sources[mapped] = token_source(signer, mapped or active_profile,
                                           parsed_globals, cache, lock, secrets,
                                           for_helper=for_helper)
        return sources[mapped]

    return source_for


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


def _sso_login_needed(session: Any) -> Exception | None:
    """For a credential helper, botocore's SSO token failure as one line saying what to run."""
    chain, profile = credential_chain(session)
    sso_profile = chain.resolve(profile).sso_profile
    if sso_profile is None:
        return None
    return configuration_error(
        f"profile {sso_profile!r} has no valid SSO session; run "
        f"'aws sso login --profile {sso_profile}', then try again")


def create_client(
    session: Any,
    parsed_globals: Any,
    service: str = "ecr",
    *,
    region: str | None = None,
    fips: bool = False,
    dualstack: bool = False,
) -> Any:
    """A client honouring every global option, optionally pinned to a region or endpoint variant."""
    overrides: dict[str, Any] = {}
    if region is not None:
        overrides["region_name"] = region
    if fips or dualstack:
        from botocore.config import Config

        overrides["config"] = Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack)
    return create_client_from_parsed_globals(session, service, parsed_globals, overrides)


def configured_endpoint_url(session: Any, service: str) -> str | None:
    """The endpoint a client without --endpoint-url takes from AWS_ENDPOINT_URL* or the config.

    Asked of botocore's own provider, so a cache entry is keyed by the endpoint the
    client really calls; None where this botocore has no such setting (Debian's v2 2.9).
    """
    try:
        from botocore.configprovider import ConfiguredEndpointProvider
    except ImportError:
        return None
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    return ConfiguredEndpointProvider(
        full_config=session.full_config, scoped_config=session.get_scoped_config(),
        client_name=service).provide()



def credential_chain(session: Any) -> tuple[Any, str]:
    """The ``credential_sources.Chain`` this session's botocore resolves credentials with,
    and the profile it uses.

    Everything comes from the session itself, so each major's rules hold without restating
    them: the profile name (``AWS_DEFAULT_PROFILE`` first on v1, ``AWS_PROFILE`` first on v2),
    whether ``--profile`` was given (botocore then drops the environment keys), botocore's
    merged profile map and sso-sessions, and whether this botocore has the login provider.
    """
    import botocore.configloader
    import botocore.credentials
    from botocore.exceptions import ConfigNotFound

    from ..identity.chain import Chain

    full_config = session.full_config
    try:
        credentials_file = botocore.configloader.raw_config_parse(
            session.get_config_variable("credentials_file"), parse_subsections=False)
    except ConfigNotFound:
        credentials_file = {}
    keys = frozenset(name for name, section in credentials_file.items()
                     if "aws_access_key_id" in section)
    chain = Chain(
        os.environ, full_config.get("profiles", {}), full_config.get("sso_sessions", {}), keys,
        explicit=session.instance_variables().get("profile") is not None,
        login=lambda: hasattr(botocore.credentials, "LoginProvider"))
    return chain, session.get_config_variable("profile") or "default"


def profile_session(session: Any, profile: str) -> Any:
    """A botocore session for ``profile`` (ecr2_registry_profiles) that resolves credentials
    as the CLI's own session would with ``--profile PROFILE``.

    A new session, not the CLI's with another profile set: changing a session's profile resets
    its components, and the CLI's session must keep serving the other registries. What the CLI
    does to its session that reaches credentials and clients is done again here: the
    assume-role and web-identity providers share ``~/.aws/cli/cache``
    (``assumerole.inject_assume_role_provider_cache``, every major), v2's SSO provider shares
    its credentials cache (``sso.inject_json_file_cache``), and the default client config the
    global options built (``--cli-read-timeout``, ``--cli-connect-timeout``) and the user agent
    are copied. The profile's own settings (retries, ``ca_bundle``, ``services``...) come from
    its section, as with ``--profile``.
    """
    import botocore.session
    from awscli.customizations.assumerole import inject_assume_role_provider_cache

    mapped = botocore.session.Session(profile=profile)
    for name in ("user_agent_name", "user_agent_version", "user_agent_extra"):
        setattr(mapped, name, getattr(session, name))
    config = session.get_default_client_config()
    if config is not None:
        mapped.set_default_client_config(config)
    inject_assume_role_provider_cache(mapped)
    if CLI_MAJOR >= 2:
        from awscli.customizations.sso import inject_json_file_cache

        inject_json_file_cache(mapped)
    return mapped


def signing_method(session: Any) -> str | None:
    """botocore's name for the source of the session's credentials (``Credentials.method``):
    "env", "assume-role", "sso", "custom-process"...; None without credentials."""
    return getattr(session.get_credentials(), "method", None)



def refuse_prompts(session: Any, profile: str) -> None:
    """No person answers a credential helper's ``aws``: an assume-role that asks for an MFA
    code fails with one line instead of reading /dev/tty."""

    def no_prompt(prompt: str = "") -> str:
        raise configuration_error(
            f"profile {profile!r} needs an MFA code; run 'aws ecr2 get-login-password "
            f"--cache --profile {profile}' once, then try again")

    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = no_prompt  # botocore's default is getpass, on /dev/tty


def is_sso_login_error(error: BaseException) -> bool:
    """botocore's "no valid SSO token" failures (expired, missing, refresh failed)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"SSOError", "TokenRetrievalError"})
