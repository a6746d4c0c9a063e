"""Reading the shared AWS config and credentials files without botocore (core: stdlib only).

What the credential helper's hit path needs: an INI reader that sees the same sections as
botocore's configparser (``read_ini``), path expansion with the HOME of a given environment,
the config file's ``[profile NAME]`` / ``[sso-session NAME]`` section names, and botocore's
nested values (``parse_nested``). A missing, unreadable or malformed file counts as empty:
reading never raises. configparser and ``re`` are imported only for unusual files.
"""

from __future__ import annotations

import os

# typing.TYPE_CHECKING without importing typing (a few ms the credential helper need not pay).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def config_file_path(environ: Mapping[str, str]) -> str:
    """The config file the environment names (``AWS_CONFIG_FILE``, else ``~/.aws/config``)."""
    return _real(config_file_named(None, environ))


def config_file_named(explicit: str | None, environ: Mapping[str, str]) -> str:
    """The one resolver of the config file's path: ``explicit`` (a --config-file option), else
    ``AWS_CONFIG_FILE``, else ``~/.aws/config``, with botocore's ``$VAR`` and ``~`` rules. A
    symlink is not resolved: what edits the file (install, configure-docker) names it as the
    user does."""
    return expand_user(_expand_vars(explicit or environ.get("AWS_CONFIG_FILE")
                                    or "~/.aws/config", environ), environ)


def credentials_file_path(environ: Mapping[str, str]) -> str:
    """The credentials file the environment names (``AWS_SHARED_CREDENTIALS_FILE``, else
    ``~/.aws/credentials``)."""
    return resolve_path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
                        environ)


def parse_nested(text: str) -> dict[str, str]:
    """A nested value (``services``, ``ecr2_registry_aliases``...) as botocore's
    ``configloader._parse_nested`` reads it, minus its ValueError on a line without "="."""
    parsed = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            parsed[key.strip()] = value.strip()
    return parsed


def named_section(section: str, kind: str) -> str | None:
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


def resolve_path(path: str, environ: Mapping[str, str]) -> str:
    return _real(expand_user(_expand_vars(path, environ), environ))


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path) if "\0" not in path else path


def read_ini(path: str) -> dict[str, dict[str, str]]:
    """Sections of an INI file as botocore sees them; {} when missing/unreadable/malformed."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except (OSError, ValueError):
        return {}
    sections = parse_plain_ini(text)
    if sections is not None:
        return sections
    import configparser

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=path)
        return {section: dict(parser.items(section)) for section in parser.sections()}
    except Exception:  # noqa: BLE001 - any parse failure means "treat as empty", never raise
        return {}


def parse_plain_ini(text: str) -> dict[str, dict[str, str]] | None:
    """What ``RawConfigParser(strict=False)`` reads from ``text`` (as ``read_ini`` returns it),
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


# -- botocore's profiles, read from the files ------------------------------------------------

# The environment variables naming the profile, in the order each major's botocore reads them
# (botocore.configprovider BOTOCORE_DEFAULT_SESSION_VARIABLES["profile"]).
PROFILE_VARIABLES = {1: ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"),
                     2: ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}


def profile_from_environment(environ: Mapping[str, str], major: Callable[[], int]) -> str:
    """The profile botocore's session uses when none is given explicitly; ``major`` (the CLI
    major, asked only when both variables are set and differ) decides which variable wins."""
    names = [name for name in PROFILE_VARIABLES[1] if name in environ]
    if len(names) == 2 and environ[names[0]] != environ[names[1]]:
        names = PROFILE_VARIABLES[2 if major() >= 2 else 1]
    return (environ[names[0]] if names else "") or "default"


def profile_maps(environ: Mapping[str, str]) -> tuple[dict, dict, frozenset]:
    """botocore's ``full_config['profiles']`` and ``['sso_sessions']`` and the profiles with an
    access key id in the credentials file, read from the files the environment names."""
    config = read_ini(config_file_path(environ))
    credentials = read_ini(credentials_file_path(environ))
    profiles: dict[str, dict[str, str]] = {}
    sso_sessions: dict[str, dict[str, str]] = {}
    # As botocore.configloader.build_profile_map: a later section of the same name wins whole.
    for section, items in config.items():
        if section == "default":
            profiles["default"] = dict(items)
        elif named_section(section, "profile") is not None:
            profiles[named_section(section, "profile")] = dict(items)
        elif named_section(section, "sso-session") is not None:
            sso_sessions[named_section(section, "sso-session")] = dict(items)
    # As botocore.session.Session.full_config: credentials-file values override.
    for name, items in credentials.items():
        profiles.setdefault(name, {}).update(items)
    keys = frozenset(name for name, items in credentials.items()
                     if "aws_access_key_id" in items)
    return profiles, sso_sessions, keys
