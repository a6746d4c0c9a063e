"""awscli-ecr-login-ext redirect: what the AWS CLI imports as ``awscli_ecr_login_ext``.

``install`` copies this file (standard library only, nothing imported from awscli or
botocore at import time) to places no package manager owns or removes:

* ``DATA/plugin/awscli_ecr_login_ext/__init__.py``, the directory that v2's
  ``cli_legacy_plugin_path`` names (DATA: ``$XDG_DATA_HOME/awscli-ecr-login-ext``, by default
  ``~/.local/share/awscli-ecr-login-ext``), with ``DATA/installs``, the site-packages
  directories the package was installed in, one a line, most recent first;
* ``SITE/awscli_ecr_login_ext.py`` beside an AWS CLI v1 that has the package in SITE: the
  package directory shadows it while it is there, and ``pip uninstall`` (which removes only
  what the wheel's RECORD lists) leaves it behind.

Imported as the top-level package, it finds the real package (the recorded directories; the
same prefixes under another ``python3.X``; the prefix of ``awscli-ecr-login-ext`` or
``docker-credential-ecr2`` on PATH) and becomes it: the real ``__init__.py`` runs as
``awscli_ecr_login_ext``. Found nowhere (or failing to load), it stands in: every command
keeps working, ``aws ecr2 ...`` prints WARNING and fails, other commands print it at most
once a day, and ``aws ecr2 uninstall`` takes every entry of ours out again.

Imported as ``awscli_ecr_login_ext.redirect`` (from the package) it only defines things: the
rules that ``awscli-ecr-login-ext uninstall`` shares with that stand-in command live here.
"""

import os
import sys

NAME = "awscli_ecr_login_ext"
VERSION = 1
MARKER = b'"""awscli-ecr-login-ext redirect'  # how our copies are told from anything else
PLUGINS = "plugins"
PATH_KEY = "cli_legacy_plugin_path"
OURS = {"ecr2": NAME, "ecr2_v1_guard": NAME + ".v1_path_guard"}
REMOVE_COMMAND = "aws ecr2 uninstall"
WARN_EVERY = 24 * 3600  # seconds between two warnings on commands other than aws ecr2
# The first line of a config file that install creates: how uninstall knows it may delete the
# file again (when this line is all that is left), with no state kept anywhere else.
CREATED_HEADER = ("# Created by awscli-ecr-login-ext install; its uninstall deletes this file "
                  "while nothing else is in it.\n")
_INSTALLS = "installs"
_WARNED = "warned"


def data_directory(environ=os.environ):
    """Where install keeps the redirect and its record: owned by no package manager."""
    base = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "awscli-ecr-login-ext")


def plugin_path(data):
    """The directory v2's cli_legacy_plugin_path names."""
    return os.path.join(data, "plugin")


def config_file():
    """The config file as botocore finds it in this process: ``$VAR`` then ``~`` expanded (the
    package's one resolver, ``identity.aws_files.config_file_named``, cannot be imported by
    this copy)."""
    path = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    return os.path.expanduser(os.path.expandvars(path))


def recorded_sites(data):
    try:
        with open(os.path.join(data, _INSTALLS), encoding="utf-8") as record:
            return [line.strip() for line in record if line.strip()]
    except (OSError, UnicodeError):
        return []


def has_package(site):
    return os.path.isfile(os.path.join(site, NAME, "__init__.py"))


def _other_pythons(site):
    """``site`` under every other python3.X of the same prefix (a venv or pipx reinstalled
    with another Python)."""
    parts = site.split(os.sep)
    for index, part in enumerate(parts):
        if part.startswith("python3"):
            from glob import glob

            return sorted(glob(os.sep.join([*parts[:index], "python3*", *parts[index + 1:]])),
                          reverse=True)
    return []


def _sites_on_path(environ):
    """The site-packages of the prefix of our commands on PATH (symlinks resolved)."""
    from glob import glob

    for command in ("awscli-ecr-login-ext", "docker-credential-ecr2"):
        for directory in environ.get("PATH", "").split(os.pathsep):
            candidate = os.path.join(directory or ".", command)
            if os.path.isfile(candidate):
                prefix = os.path.dirname(os.path.dirname(os.path.realpath(candidate)))
                yield from sorted(glob(os.path.join(prefix, "lib*", "python3*", "*-packages")))


def find_package(data, environ=os.environ, exclude=()):
    """The site-packages directory holding the real package, or None."""
    sites = recorded_sites(data)
    skip = {os.path.realpath(path) for path in exclude}
    for group in (sites, [moved for site in sites for moved in _other_pythons(site)],
                  _sites_on_path(environ)):
        for site in group:
            if has_package(site) and os.path.realpath(site) not in skip:
                return site
    return None


# -- AWS CLI v1 and the cli_legacy_plugin_path line --------------------------------------------


class PathStubFinder:
    """v1 imports every [plugins] value, v2's plugin path too: answer a path-shaped module name
    with an inert module (v1 imports every plugin before it initialises any)."""

    def find_spec(self, fullname, path=None, target=None):
        if "/" in fullname or os.sep in fullname or ":" in fullname:
            from importlib.machinery import ModuleSpec

            return ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = type(sys)(spec.name)
        module.__path__ = []
        module.awscli_initialize = _initialize_nothing
        return module

    def exec_module(self, module):
        pass


def _initialize_nothing(cli):
    pass


def running_under_cli_v1():
    awscli = sys.modules.get("awscli")
    return awscli is not None and getattr(awscli, "__version__", "").startswith("1.")


def guard_v1_plugin_path():
    """Under v1, put a PathStubFinder first on ``sys.meta_path`` (once; an older copy's, of
    either name, counts)."""
    if running_under_cli_v1() and not any(
            type(finder).__name__ in ("PathStubFinder", "_PathStubFinder")
            for finder in sys.meta_path):
        sys.meta_path.insert(0, PathStubFinder())


# -- the rules install and uninstall share -----------------------------------------------------


def path_entries(section):
    value = section.get(PATH_KEY)
    return [entry for entry in value.split(os.pathsep) if entry] if value else []


def is_our_path_entry(entry, known, ours_present):
    """Ours: an entry in ``known`` (the redirect's directory, the recorded site-packages), one
    that holds the package (0.1.0 named its site-packages), or, beside our keys, a
    site-packages directory that no longer exists."""
    if entry in known or has_package(entry):
        return True
    return ours_present and entry.endswith("-packages") and not os.path.isdir(entry)


def remove_entries(section, known):
    """Take every [plugins] entry of ours out of ``section`` (an aws_config.ConfigSection)."""
    ours_present = any(section.get(key) == value for key, value in OURS.items())
    for key, value in OURS.items():
        if section.get(key) == value:
            section.remove(key)
    entries = path_entries(section)
    kept = [entry for entry in entries if not is_our_path_entry(entry, known, ours_present)]
    if kept != entries:
        if kept:
            section.set(PATH_KEY, os.pathsep.join(kept))
        else:
            section.remove(PATH_KEY)


def is_our_copy(path):
    try:
        with open(path, "rb") as copy:
            return copy.read(len(MARKER)) == MARKER
    except OSError:
        return False


def v1_stub(site):
    return os.path.join(site, NAME + ".py")


def remove_files(data, sites, say=print):
    """Delete the redirect, its record and the v1 stand-ins install wrote (only our copies)."""
    for site in sites:
        stub = v1_stub(site)
        if is_our_copy(stub):
            os.remove(stub)
            say(f"Removed {stub}")
    if os.path.isdir(data):
        import shutil

        shutil.rmtree(data)
        say(f"Removed {data}")


# -- standing in for a package that is gone ----------------------------------------------------


def warning(reason):
    return (f"awscli-ecr-login-ext: aws ecr2 is unavailable ({reason}); "
            f"'{REMOVE_COMMAND}' removes it from {config_file()}, or reinstall the package")


def _warn_now_and_then(line, data):
    """Print ``line`` unless it was printed less than WARN_EVERY ago (a marker in DATA)."""
    import time

    marker = os.path.join(data, _WARNED)
    try:
        if time.time() - os.stat(marker).st_mtime < WARN_EVERY:
            with open(marker, encoding="utf-8") as seen:
                if seen.read() == line:
                    return
    except (OSError, UnicodeError):
        pass
    sys.stderr.write(line + "\n")
    try:
        with open(marker, "w", encoding="utf-8") as seen:
            seen.write(line)
    except OSError:
        pass


class StandIn:
    """``aws ecr2`` while the package is gone: the warning and a failure, or the removal."""

    name = "ecr2"

    def __init__(self, line, data, here):
        self._line, self._data, self._here = line, data, here
        self.lineage = [self]

    @property
    def lineage_names(self):
        return [self.name]

    def __call__(self, args, parsed_globals):
        if args[:1] == ["uninstall"]:
            try:
                return uninstall_without_the_package(self._data, self._here)
            except OSError as error:
                sys.stderr.write(f"awscli-ecr-login-ext: {getattr(error, 'filename', '')}: "
                                 f"{error.strerror or error}\n")
                return 255
        sys.stderr.write(self._line + "\n")
        return 255


def _copy(data, module):
    """A module install copied beside the redirect (the config editor), loaded from there."""
    from importlib.util import module_from_spec, spec_from_file_location

    path = os.path.join(plugin_path(data), NAME, module + ".py")
    if not os.path.isfile(path):
        raise OSError(2, f"missing; remove the lines naming {NAME} from [{PLUGINS}] in "
                         f"{config_file()} by hand", path)
    spec = spec_from_file_location(f"{NAME}._copy_{module}", path)
    loaded = module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def uninstall_without_the_package(data, here=None, say=print):
    """``aws ecr2 uninstall`` of the stand-in: our [plugins] entries (with the editor install
    copied beside the redirect), the redirect and the v1 stand-ins of the record."""
    path = config_file()
    sites = recorded_sites(data)
    if here and os.path.basename(here) == NAME + ".py":
        sites.append(os.path.dirname(here))
    if os.path.exists(path):
        aws_config, atomic = _copy(data, "aws_config"), _copy(data, "atomic")
        text = aws_config.read_config(aws_config.Path(path))
        section = aws_config.ConfigSection(text, PLUGINS)
        remove_entries(section, [plugin_path(data), *sites])
        if section.text() == CREATED_HEADER:
            os.remove(path)
            say(f"Deleted {path}: install created it and nothing else is in it.")
        elif section.text() != text:
            atomic.write_atomically(path, section.text())
            say(f"Removed the ecr2 plugin from [{PLUGINS}] in {path}")
    remove_files(data, sites, say)
    return 0


def stand_in(module, data, reason):
    """Make ``module`` an inert package whose ecr2 command says ``reason``."""
    here = getattr(module, "__file__", None)
    line = warning(reason)
    module.__path__ = []
    guard = type(sys)(NAME + ".v1_path_guard")
    guard.awscli_initialize = _initialize_nothing
    sys.modules[guard.__name__] = guard
    module.v1_path_guard = guard
    guard_v1_plugin_path()

    def add_command(command_table, **kwargs):
        command_table["ecr2"] = StandIn(line, data, here)

    def awscli_initialize(cli):
        cli.register("building-command-table.main", add_command,
                     unique_id="awscli-ecr-login-ext:ecr2")
        if "ecr2" not in sys.argv[1:]:
            _warn_now_and_then(line, data)

    module.awscli_initialize = awscli_initialize


def become_the_package():
    module = sys.modules[NAME]
    here = os.path.abspath(module.__file__)
    own = os.path.dirname(here)  # the redirect's package directory, or the v1 site-packages
    if os.path.basename(here) == "__init__.py" and os.path.basename(
            os.path.dirname(own)) == "plugin":
        data = os.path.dirname(os.path.dirname(own))
        exclude = [os.path.dirname(own)]
    else:
        data = data_directory()
        exclude = [own]
    site = find_package(data, exclude=exclude)
    if site is None:
        stand_in(module, data, "its package is gone: uninstalled, or moved")
        return
    from importlib.util import module_from_spec, spec_from_file_location

    directory = os.path.join(site, NAME)
    spec = spec_from_file_location(NAME, os.path.join(directory, "__init__.py"),
                                   submodule_search_locations=[directory])
    real = module_from_spec(spec)
    real._redirect = (VERSION, here)
    sys.modules[NAME] = real
    try:
        spec.loader.exec_module(real)
    except Exception as error:  # noqa: BLE001 (never break the CLI: stand in with the reason)
        sys.modules[NAME] = module
        stand_in(module, data, f"its package in {site} fails to load: {error}")


if __name__ == NAME:
    become_the_package()
