"""Who the caller is, for the ECR token cache, without resolving any credentials.

A registry token must never be served to a principal other than the one it was issued to, yet
finding out the real principal (STS, SSO, assume-role, credential_process...) is exactly the
slow work the cache exists to avoid. So the cache is keyed on the credential source botocore's
chain will pick and what selects the principal there (``credential_sources``): an ``Identity``.

``Identity.key`` is "KIND:" + sha256 of the source kind and its selectors, for example
``env`` (a hash of the access key id), ``assume-role`` (role ARN, external id, session name,
duration, MFA serial and the key of its source), ``sso`` (start URL, region, account, role),
``web-identity`` (role ARN, token file path and a hash of its content), ``container`` (URI
and a hash of the authorization token), ``instance-metadata`` (the endpoint settings).
``Identity.label`` says the same for people, without secrets: "env:3f2a9c1b",
"profile:dev", "profile:ops (assume-role arn:aws:iam::111111111111:role/deploy)",
"container", "instance-metadata"... Secret keys and session tokens are never part of either.

This module holds the value class and what the credential helper's hit path needs to read the
shared files without botocore: the INI reader (``_read_ini``, the same sections as
configparser), path expansion and ``canonical_json``/``sha256`` without their heavy imports.
A missing, unreadable or malformed file counts as empty: computing an identity never raises.
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
        from hashlib import sha256  # noqa: F401 - re-exported, as the two above
try:
    from _json import encode_basestring_ascii as _encode_string  # what json.dumps uses
except ImportError:  # not CPython: canonical_json leaves it all to the json module
    _encode_string = None

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

class Identity(Frozen):
    """``key``: stable opaque string for cache keys, never a secret in clear.
    ``label``: human-readable, without secrets: "profile:NAME", "env:<8 hex digits>",
    "profile:NAME (assume-role ARN)", "container"... (see ``credential_sources``).

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
    """The caller's Identity from ``environ`` (default ``os.environ``) and the shared AWS files,
    for the chain of the installed AWS CLI's botocore; ``profile`` is an explicitly requested
    profile (``aws --profile X``)."""
    from .credential_sources import chain_from_files

    chain, name = chain_from_files(os.environ if environ is None else environ, profile)
    return chain.resolve(name).identity


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
