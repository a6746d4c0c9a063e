"""Which credential source signs a call, and the cache Identity of its principal.

Modelled on botocore's own credential chain (``botocore.credentials.create_credential_resolver``
and ``ProfileProviderBuilder.providers``), one small class per provider, in botocore's order::

    EnvKeys            AWS_ACCESS_KEY_ID (left out when --profile was given)
    AssumeRole         role_arn + source_profile | credential_source
                       (not with web_identity_token_file)
    -- the profile providers, also the chain of an assume-role source_profile --
    WebIdentity        web_identity_token_file + role_arn (+ role_session_name), each taken from
                       AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME first
                       (not with --profile, nor in a source_profile chain)
    Sso                sso_account_id/sso_role_name + start URL and region (sso_session or legacy)
    SharedCredentials  aws_access_key_id in the credentials file's [NAME] section
    Login              login_session (botocore's LoginProvider; absent from v2 2.9's botocore)
    Process            credential_process
    ConfigFile         aws_access_key_id in the config file's profile
    --
    Ec2CredentialsFile AWS_CREDENTIAL_FILE (AWSAccessKeyId=...)
    BotoConfig         [Credentials] of BOTO_CONFIG, else /etc/boto.cfg, ~/.boto
    Container          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else _FULL_URI
                       (+ authorization token)
    InstanceMetadata   unless AWS_EC2_METADATA_DISABLED=true

The chain is the same in the botocore of every CLI the suite runs (v1 1.45 and 1.46, v2 2.9 and
2.36) and the CLI's own customizations only give the assume-role and web-identity providers a
cache. Two things differ, passed in by the caller: the profile the environment selects (v1 reads
``AWS_DEFAULT_PROFILE`` before ``AWS_PROFILE``, v2 the other way round), and whether botocore
has the login provider.

Each source answers "do my selectors say I supply the credentials?" from the environment and
botocore's profile map (``full_config['profiles']``: the config file's profiles with the
credentials file's sections merged over them), and if so gives the Identity: the key is a hash
of the source kind and what selects the principal (for assume-role, recursively the identity of
its source), so two different principals never share a key; secrets are never part of it.
Where only resolving credentials would tell the principal (credential_process, web identity,
container, instance metadata), the key is what selects it. Token files are read (their content
is hashed); nothing here runs a process or makes a network call. A configuration botocore
rejects (a source_profile loop, role_arn without a source...) gets an "invalid:" key no valid
chain produces: resolving never raises.

Like identity.py, this is on the credential helper's cache-hit path: stdlib only, and none of
json, re, hashlib, typing or dataclasses.
"""

from __future__ import annotations

from .aws_files import profile_from_environment, profile_maps
from .principal import Resolution, hash_text, make_identity, read_file_hash

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

_SSO_PROFILE_VARS = ("sso_role_name", "sso_account_id")
_SSO_SESSION_VARS = ("sso_start_url", "sso_region")
_WEB_IDENTITY_ENV = {"web_identity_token_file": "AWS_WEB_IDENTITY_TOKEN_FILE",
                     "role_arn": "AWS_ROLE_ARN", "role_session_name": "AWS_ROLE_SESSION_NAME"}


class Rejected(Exception):
    """botocore would refuse this configuration before making any call."""


class Chain:
    """What botocore's chain is built from, for one CLI session.

    ``profiles``: botocore's merged profile map; ``sso_sessions``: its ``sso_sessions``;
    ``credentials_file_keys``: the profiles whose credentials-file section holds an
    ``aws_access_key_id`` (the shared-credentials provider reads that file, not the merged map);
    ``explicit``: the profile was given with ``--profile``; ``login``: botocore has the login
    provider (a callable, asked only when a profile has ``login_session``).
    """

    def __init__(self, environ: Mapping[str, str], profiles: Mapping[str, Mapping[str, str]],
                 sso_sessions: Mapping[str, Mapping[str, str]] | None = None,
                 credentials_file_keys: frozenset | set = frozenset(), *,
                 explicit: bool = False, login: Callable[[], bool] = lambda: True) -> None:
        self.environ = environ
        self.profiles = profiles
        self.sso_sessions = sso_sessions or {}
        self.credentials_file_keys = credentials_file_keys
        self.explicit = explicit
        self.login = login

    def explicitly(self) -> Chain:
        """This chain for a session created for a named profile (``--profile``, or a
        registry's ``ecr2_registry_profiles`` profile): without the environment's keys."""
        return Chain(self.environ, self.profiles, self.sso_sessions, self.credentials_file_keys,
                     explicit=True, login=self.login)

    def profile(self, name: str) -> Mapping[str, str]:
        value = self.profiles.get(name)
        return value if isinstance(value, dict) else {}

    def resolve(self, profile_name: str) -> Resolution:
        """The source that signs for ``profile_name``; never raises."""
        try:
            for source in self._sources():
                found = source.find(self, profile_name)
                if found is not None:
                    return found
        except Rejected as error:
            return Resolution(make_identity("invalid", {"profile": profile_name,
                                                        "reason": str(error)},
                                            f"invalid:profile:{profile_name}"), None)
        except RecursionError:
            return Resolution(make_identity("invalid", {"profile": profile_name},
                                            f"invalid:profile:{profile_name}"), None)
        return Resolution(make_identity("none", {"profile": profile_name}, "no credentials"),
                          None)

    def _sources(self) -> Iterator:
        if not self.explicit:
            yield EnvKeys
        yield AssumeRole
        yield from profile_providers(disable_env_vars=self.explicit)
        # Imported only when reached: when a profile supplies the credentials (the usual
        # credential-helper hit) they cost nothing.
        from .machine_sources import MACHINE_SOURCES

        yield from MACHINE_SOURCES


def profile_providers(*, disable_env_vars: bool) -> list:
    """``ProfileProviderBuilder.providers``, in its order."""
    return [WebIdentityFromEnv if not disable_env_vars else WebIdentity, Sso, SharedCredentials,
            Login, Process, ConfigFile]


def _profile_label(name: str, detail: str | None = None) -> str:
    return f"profile:{name} ({detail})" if detail else f"profile:{name}"


class EnvKeys:
    """botocore EnvProvider: ``AWS_ACCESS_KEY_ID`` (non-empty)."""

    method = "env"

    @staticmethod
    def find(chain: Chain, profile_name: str) -> Resolution | None:
        access_key_id = chain.environ.get("AWS_ACCESS_KEY_ID")
        if not access_key_id:
            return None
        digest = hash_text(access_key_id)
        return Resolution(make_identity("env", {"access_key_id": digest}, "env:" + digest[:8]),
                          EnvKeys.method)


class AssumeRole:
    """botocore AssumeRoleProvider: ``role_arn`` (without ``web_identity_token_file``) with a
    ``source_profile`` (resolved recursively) or a ``credential_source``."""

    method = "assume-role"

    @staticmethod
    def applies(profile: Mapping[str, str]) -> bool:
        return "role_arn" in profile and "web_identity_token_file" not in profile

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        if not cls.applies(chain.profile(profile_name)):
            return None
        return cls.assume(chain, profile_name, [profile_name])

    @classmethod
    def assume(cls, chain: Chain, name: str, visited: list[str]) -> Resolution:
        profile = chain.profile(name)
        source_profile = profile.get("source_profile")
        credential_source = profile.get("credential_source")
        if (source_profile is None) == (credential_source is None):
            raise Rejected(f"profile {name}: role_arn needs exactly one of source_profile "
                           "and credential_source")
        if credential_source is not None:
            source = cls._from_credential_source(chain, name, credential_source)
        else:
            source = cls._from_source_profile(chain, name, source_profile, visited)
        role_arn = profile["role_arn"]
        selectors = {name_: profile.get(name_) for name_ in (
            "role_arn", "external_id", "role_session_name", "duration_seconds", "mfa_serial")}
        selectors["source"] = source.identity.key
        return Resolution(make_identity("assume-role", selectors,
                                        _profile_label(name, f"assume-role {role_arn}")),
                          cls.method, sso_profile=source.sso_profile)

    @classmethod
    def _from_credential_source(cls, chain: Chain, name: str, credential_source: str
                                ) -> Resolution:
        from .machine_sources import Container, InstanceMetadata

        # botocore's CanonicalNameCredentialSourcer.is_supported: exact canonical names.
        provider = {"Environment": EnvKeys, "EcsContainer": Container,
                    "Ec2InstanceMetadata": InstanceMetadata}.get(credential_source)
        found = provider.find(chain, name) if provider is not None else None
        if found is None:
            raise Rejected(f"profile {name}: credential_source {credential_source} gives "
                           "no credentials")
        return found

    @classmethod
    def _from_source_profile(cls, chain: Chain, name: str, source_name: str,
                             visited: list[str]) -> Resolution:
        if source_name not in chain.profiles:
            raise Rejected(f"profile {name}: source_profile {source_name} does not exist")
        source = chain.profile(source_name)
        if source_name in visited and (source_name != name or not _has_static_keys(source)):
            raise Rejected(f"profile {name}: source_profile loop through {source_name}")
        visited.append(source_name)
        if _has_static_keys(source) or not cls.applies(source):
            for provider in profile_providers(disable_env_vars=True):
                found = provider.find(chain, source_name)
                if found is not None:
                    return found
            raise Rejected(f"source profile {source_name} has no credentials")
        return cls.assume(chain, source_name, visited)


def _has_static_keys(profile: Mapping[str, str]) -> bool:
    return "aws_access_key_id" in profile or "aws_secret_access_key" in profile


class WebIdentity:
    """botocore AssumeRoleWithWebIdentityProvider with the environment disabled (--profile,
    or a source_profile's chain): the profile's web_identity_token_file and role_arn."""

    method = "assume-role-with-web-identity"
    use_env = False

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        profile = chain.profile(profile_name)

        def get(option: str) -> str | None:
            variable = _WEB_IDENTITY_ENV[option]
            if cls.use_env and variable in chain.environ:
                return chain.environ[variable]
            return profile.get(option)

        token_file = get("web_identity_token_file")
        if not token_file:
            return None
        role_arn = get("role_arn")
        if not role_arn:
            raise Rejected("web identity without a role ARN")
        selectors = {"role_arn": role_arn, "token_file": token_file,
                     "token_sha256": read_file_hash(token_file, chain.environ),
                     "role_session_name": get("role_session_name")}
        return Resolution(make_identity("web-identity", selectors, f"web-identity {role_arn}"),
                          cls.method)


class WebIdentityFromEnv(WebIdentity):
    """The same provider in the default chain: each setting from the environment first."""

    use_env = True


class Sso:
    """botocore SSOProvider: sso_account_id or sso_role_name in the profile; the start URL and
    region from its [sso-session NAME] (sso_session) or the profile itself (legacy)."""

    method = "sso"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        profile = chain.profile(profile_name)
        if all(name not in profile for name in _SSO_PROFILE_VARS):
            return None
        config = dict(profile)
        session_name = profile.get("sso_session")
        if session_name is not None:
            session = chain.sso_sessions.get(session_name)
            if not isinstance(session, dict):
                raise Rejected(f"sso-session {session_name} does not exist")
            for option, value in session.items():
                if config.get(option, value) != value:
                    raise Rejected(f"{option} differs between profile and sso-session")
                config[option] = value
        if any(name not in config for name in _SSO_PROFILE_VARS + _SSO_SESSION_VARS):
            raise Rejected(f"profile {profile_name}: incomplete SSO configuration")
        selectors = {name: config[name] for name in _SSO_PROFILE_VARS + _SSO_SESSION_VARS}
        selectors["sso_session"] = session_name
        detail = f"sso {config['sso_account_id']}/{config['sso_role_name']}"
        return Resolution(make_identity("sso", selectors, _profile_label(profile_name, detail)),
                          cls.method, sso_profile=profile_name)


class SharedCredentials:
    """botocore SharedCredentialProvider: aws_access_key_id in the credentials file."""

    method = "shared-credentials-file"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        if profile_name not in chain.credentials_file_keys:
            return None
        return _static_keys(cls.method, chain.profile(profile_name), profile_name)


def _static_keys(method: str, profile: Mapping[str, str], profile_name: str) -> Resolution:
    access_key_id = str(profile.get("aws_access_key_id", ""))
    selectors = {"access_key_id": hash_text(access_key_id.strip())}
    return Resolution(make_identity(method, selectors, _profile_label(profile_name)), method)


class Login:
    """botocore LoginProvider (newer botocores only): login_session in the profile."""

    method = "login"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        session = chain.profile(profile_name).get("login_session")
        if session is None or not chain.login():
            return None
        return Resolution(make_identity("login", {"login_session": session},
                                        _profile_label(profile_name, "login")), cls.method)


class Process:
    """botocore ProcessProvider: credential_process. Its principal is whatever the command
    prints, so the key is the command and the profile that names it."""

    method = "custom-process"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        command = chain.profile(profile_name).get("credential_process")
        if command is None:
            return None
        selectors = {"credential_process": command, "profile": profile_name}
        return Resolution(make_identity("process", selectors,
                                        _profile_label(profile_name, "credential_process")),
                          cls.method)


class ConfigFile:
    """botocore ConfigProvider: aws_access_key_id in the config file's profile."""

    method = "config-file"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        if "aws_access_key_id" not in chain.profile(profile_name):
            return None
        return _static_keys(cls.method, chain.profile(profile_name), profile_name)


# -- the chain from the files, without botocore (docker-credential-ecr2) ---------------------

def chain_from_files(environ: Mapping[str, str], profile: str | None = None, *,
                     major: Callable[[], int], login: Callable[[], bool]) -> tuple[Chain, str]:
    """The Chain and profile name of a CLI whose major and login provider ``major`` and
    ``login`` tell (asked only when they matter); ``profile`` is an explicit profile
    (``--profile``)."""
    name = profile or profile_from_environment(environ, major)
    profiles, sso_sessions, keys = profile_maps(environ)
    return Chain(environ, profiles, sso_sessions, keys, explicit=bool(profile),
                 login=login), name
