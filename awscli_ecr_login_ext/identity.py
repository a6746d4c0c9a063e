"""Who the caller is, for the ECR token cache, without resolving any credentials.

A registry token must never be served to a principal other than the one it was issued to, yet
finding out the real principal (STS, SSO, assume-role, credential_process...) is exactly the
slow work the cache exists to avoid. So the cache is keyed on what *selects* the credentials,
read straight from the environment and the shared AWS files. This is "the key":

1. Environment credentials. If ``AWS_ACCESS_KEY_ID`` is set (non-empty) and no profile was
   passed explicitly (``profile=``, as ``aws --profile X`` does), botocore uses the environment
   keys -- even when ``AWS_PROFILE`` is set -- so::

       key   = "env:" + sha256(access key id).hexdigest()
       label = "env:" + the first 8 hex digits of that hash       e.g. "env:3f2a9c1b"

   The access key id itself never appears in a key, a label or a cache file. Temporary
   environment credentials get a new access key id per session, hence a new identity.

2. Otherwise, a profile: the explicit ``profile`` argument, else ``AWS_PROFILE``, else
   ``AWS_DEFAULT_PROFILE``, else ``default``::

       key   = "profile:" + sha256 of a canonical JSON document holding
                 - the resolved absolute path of the config file
                   (``AWS_CONFIG_FILE``, default ``~/.aws/config``),
                 - the resolved absolute path of the credentials file
                   (``AWS_SHARED_CREDENTIALS_FILE``, default ``~/.aws/credentials``),
                 - the profile name,
                 - the sorted items of the profile's sections in the config file
                   (``[profile NAME]``; for ``default`` also ``[default]``), plus the
                   ``[sso-session X]`` section that profile names in ``sso_session``,
                 - the sorted items of the profile's section in the credentials file (``[NAME]``),
               where ``aws_secret_access_key``, ``aws_session_token`` and
               ``aws_security_token`` are left out and ``aws_access_key_id`` is replaced
               by its sha256.
       label = "profile:" + NAME

   Consequences: an assumed-role or SSO profile keeps its identity while its temporary keys
   rotate (those live in botocore's own caches, not in these files); two profiles never share
   an identity; editing a profile (a new ``role_arn``, ``source_profile``, ``sso_account_id``,
   ``credential_process``, static access key id...) gives a new identity, so tokens cached for
   the old settings are no longer served. Changing only a secret (secret key, session token)
   keeps the identity. Settings inherited from elsewhere (a ``source_profile``'s own section)
   are not part of the key.

Paths get ``~`` expanded with the home directory of the given environment (``HOME``;
``USERPROFILE`` on Windows) and ``$VAR`` expanded from it, as botocore does. A missing,
unreadable or malformed file counts as empty: computing an identity never raises.
"""

from __future__ import annotations

import os

from .frozen import Frozen

# The credential helper imports this module on every pull and push, so it avoids what costs
# start-up time there: hashlib (OpenSSL: ~4 ms, ~4 MiB), json and configparser (both import
# re), dataclasses. CPython's built-in SHA-256 gives the same digests as OpenSSL's.
try:
    from _sha256 import sha256  # CPython <= 3.11
except ImportError:
    try:
        from _sha2 import sha256  # CPython >= 3.12
    except ImportError:
        from hashlib import sha256
try:
    from _json import encode_basestring_ascii as _encode_string  # what json.dumps uses
except ImportError:  # not CPython: canonical_json leaves it all to the json module
    _encode_string = None

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Never part of an identity: rotating a secret must not invalidate the cache, and nothing
# derived from a secret should land in a cache key.
_SECRET_OPTIONS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
_HASHED_OPTIONS = frozenset({"aws_access_key_id"})


class Identity(Frozen):
    """``key``: stable opaque string for cache keys, never a secret in clear.
    ``label``: human-readable, "profile:NAME" or "env:<8 hex digits>".

    Immutable; compares and hashes by both fields.
    """

    __slots__ = ("key", "label")

    key: str
    label: str

    def __init__(self, key: str, label: str) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "label", label)


def identity_from_environment(
    environ: Mapping[str, str] | None = None, profile: str | None = None
) -> Identity:
    """Derive the caller's Identity from ``environ`` (default ``os.environ``) and the shared
    AWS config files; ``profile`` is an explicitly requested profile (``aws --profile X``)."""
    if environ is None:
        environ = os.environ
    if not profile:
        access_key_id = environ.get("AWS_ACCESS_KEY_ID")
        if access_key_id:
            digest = _sha256_hex(access_key_id)
            return Identity(key="env:" + digest, label="env:" + digest[:8])
        profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"

    config_path = _resolve_path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)
    creds_path = _resolve_path(
        environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", environ
    )
    config = _read_ini(config_path)
    creds = _read_ini(creds_path)

    config_sections: dict[str, list[list[str]]] = {}
    for section, items in config.items():
        # botocore: [profile NAME], and [default] for the default profile only (a bare
        # [NAME] in the config file is not a profile).
        if _named_section(section, "profile") == profile or section == profile == "default":
            config_sections[section] = _scrub(items)
    sso_session = None
    for section in sorted(config_sections):
        for option, value in config_sections[section]:
            if option == "sso_session":
                sso_session = value.strip()
    if sso_session:
        for section, items in config.items():
            if _named_section(section, "sso-session") == sso_session:
                config_sections[section] = _scrub(items)

    document = {
        "version": 1,
        "config_file": config_path,
        "credentials_file": creds_path,
        "profile": profile,
        "config": config_sections,
        "credentials": _scrub(creds[profile]) if profile in creds else None,
    }
    return Identity(key="profile:" + _sha256_hex(canonical_json(document)),
                    label="profile:" + profile)


def _sha256_hex(text: str) -> str:
    # surrogatepass: undecodable bytes from files and odd environment strings must hash, not raise.
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_json(document: object) -> str:
    """``json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``.

    Written out for what identity and cache keys hold (dicts with str keys, lists, str, int,
    bool, None) with the json module's own C string encoder, because importing ``json`` also
    imports ``re``; anything else goes to ``json.dumps`` itself. The result is the same text,
    byte for byte: cache keys computed either way are interchangeable.
    """
    if _encode_string is not None:
        parts: list[str] = []
        try:
            _encode(document, parts.append)
        except (_NotPlain, RecursionError):
            pass  # json.dumps decides (and raises what it raises)
        else:
            return "".join(parts)
    import json

    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class _NotPlain(Exception):
    pass


def _encode(value: object, out) -> None:
    kind = type(value)
    if kind is str:
        out(_encode_string(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is int:
        out(int.__repr__(value))
    elif kind is dict:
        if not all(type(key) is str for key in value):
            raise _NotPlain
        out("{")
        for index, key in enumerate(sorted(value)):
            if index:
                out(",")
            out(_encode_string(key))
            out(":")
            _encode(value[key], out)
        out("}")
    elif kind is list or kind is tuple:
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _encode(item, out)
        out("]")
    else:
        raise _NotPlain


def _scrub(items: dict[str, str]) -> list[list[str]]:
    out = []
    for option, value in items.items():
        if option in _SECRET_OPTIONS:
            continue
        if option in _HASHED_OPTIONS:
            value = "sha256:" + _sha256_hex(value.strip())
        out.append([option, value])
    out.sort()
    return out


def _named_section(section: str, kind: str) -> str | None:
    """``profile NAME`` -> NAME (kind="profile"); botocore splits these with shlex, so allow
    extra blanks and one level of quoting."""
    if not section.startswith(kind):
        return None
    rest = section[len(kind) :]
    if not rest or not rest[0].isspace():
        return None
    name = rest.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1]
    return name or None


def expand_user(path: str, environ: Mapping[str, str]) -> str:
    """``os.path.expanduser`` taking the home directory from ``environ``."""
    if not path.startswith("~"):
        return path
    seps = "/\\" if os.name == "nt" else "/"
    end = len(path)
    for sep in seps:
        found = path.find(sep, 1)
        if found != -1:
            end = min(end, found)
    if end == 1:
        if os.name == "nt":
            home = environ.get("USERPROFILE")
            if not home and environ.get("HOMEPATH"):
                home = environ.get("HOMEDRIVE", "") + environ["HOMEPATH"]
        else:
            home = environ.get("HOME")
        if home:
            return (home.rstrip(seps) or home[:1]) + path[end:]
    return os.path.expanduser(path)


def _expand_vars(path: str, environ: Mapping[str, str]) -> str:
    if "$" not in path:
        return path
    import re

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return environ.get(name, match.group(0))

    return re.sub(r"\$(?:(\w+)|\{([^}]*)\})", substitute, path)


def _resolve_path(path: str, environ: Mapping[str, str]) -> str:
    path = expand_user(_expand_vars(path, environ), environ)
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path) if "\0" not in path else path


def _read_ini(path: str) -> dict[str, dict[str, str]]:
    """Sections of an INI file as botocore sees them; {} when missing/unreadable/malformed."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except (OSError, ValueError):
        return {}
    sections = _parse_plain_ini(text)
    if sections is not None:
        return sections
    import configparser

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=path)
        return {section: dict(parser.items(section)) for section in parser.sections()}
    except Exception:  # noqa: BLE001 - any parse failure means "treat as empty", never raise
        return {}


def _parse_plain_ini(text: str) -> dict[str, dict[str, str]] | None:
    """What ``RawConfigParser(strict=False)`` reads from ``text`` (as ``_read_ini`` returns it),
    for the plain files AWS config and credentials files are; None for anything else, which
    configparser itself then reads.

    configparser imports ``re`` (about 8 ms of the credential helper's start-up), so the common
    case is read here, following ``RawConfigParser._read`` (CPython 3.9-3.13) step by step with
    its default settings: lines split on "\n" only (``io.StringIO``); a line whose stripped text
    starts with "#" or ";" is a comment; a blank line adds an empty line to the value being read;
    a line indented deeper than its option's line continues that option's value; "[NAME]" opens
    section NAME (a repeated one is continued); otherwise "OPTION = VALUE" or "OPTION: VALUE",
    split at the first "=" or ":", OPTION right-stripped and lower-cased, VALUE stripped; a
    later value of the same option replaces the earlier one; a multi-line value is its lines
    joined with "\n", right-stripped. Everything else -- text before the first section, a line
    that is neither header nor option (a parsing error), an empty option name, a "[DEFAULT]"
    section (its options show in every section), a header with text after its "]" or a second
    "]" -- is left to configparser. ``tests/test_identity.py`` checks this against configparser.
    """
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] | None = None
    option = None  # the option whose value the following lines may continue
    indent = 0  # the indentation of that option's line
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            if section is not None and option:
                section[option].append("")
            continue
        if stripped[0] in "#;":
            continue
        depth = len(line) - len(line.lstrip())
        if section is not None and option and depth > indent:
            section[option].append(stripped)
            continue
        indent = depth
        if stripped[0] == "[":
            name = stripped[1:-1]
            if stripped[-1] != "]" or not name or "]" in name or name == "DEFAULT":
                return None
            section = sections.setdefault(name, {})
            option = None
            continue
        if section is None:
            return None
        equals, colon = stripped.find("="), stripped.find(":")
        split = colon if equals < 0 or 0 <= colon < equals else equals
        option = stripped[:split].rstrip().lower() if split > 0 else ""
        if not option:
            return None
        section[option] = [stripped[split + 1 :].strip()]
    return {
        name: {key: "\n".join(lines).rstrip() for key, lines in options.items()}
        for name, options in sections.items()
    }
