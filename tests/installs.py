"""The package installed from its built artifacts (``make dist``), the ways users install it.

Every install is offline: pip and pipx see only ``.wheelhouse`` (``PIP_NO_INDEX``, made by
``make test`` from the hashed locks: the AWS CLI v1 releases of ``.venv`` and ``.venv-v145``,
the setuptools the build allows, pip and wheel), and pipx keeps everything (``PIPX_HOME``,
``PIPX_BIN_DIR``, ``PIPX_MAN_DIR``, ``HOME``) under the ``root`` directory it is given: the
real home and the repository are never touched, and nothing of the tree is importable from an
install.

API (each function installs and returns an ``Installed``; ``InstallError`` carries the output
of a command that failed)::

    pipx_install(kind, root)                  # `pipx install WHEEL`, kind "debian" (/usr/bin/pipx,
                                              # 1.1.0) or "pypi" (.venv-pipx, the locked release)
    pipx_inject(kind, root, awscli_version)   # `pipx install awscli==V`, then
                                              # `pipx inject --include-apps awscli WHEEL`
    venv_install(root, python, *requirements, extras="")
                                              # `python -m venv`, then
                                              # `pip install WHEEL[EXTRAS] REQS`
    user_install(home, python)                # `python -m pip install --user WHEEL` (its commands
                                              # find the package only with this HOME)
    sdist_install(root, python, *requirements)  # `pip install SDIST REQS`: pip builds it in
                                              # isolation

    Installed.bin_dir        # holds awscli-ecr-login-ext and docker-credential-ecr2 (and aws
                             # when the AWS CLI v1 is installed beside the package)
    Installed.site_packages  # the directory the package is imported from
    Installed.python         # the interpreter it runs on
    Installed.command(name)  # bin_dir / name

    InstallCache(root)       # each install above made once per session, memoized:
                             # .pipx(kind), .pipx_inject(kind, awscli_version),
                             # .venv(python, *requirements, extras=""), .sdist(python, *reqs)

``tests/conftest.py`` has the session fixtures ``install_cache`` and ``pipx_installed`` (one
per pipx kind; ``@pytest.mark.parametrize("pipx_installed", ["debian"], indirect=True)``
picks one). Treat an install as read-only: other tests share it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, clean_environment, require

PACKAGE = "awscli-ecr-login-ext"
DIST = REPO / "dist"
WHEELHOUSE = REPO / ".wheelhouse"
PIPX = {"debian": Path("/usr/bin/pipx"), "pypi": REPO / ".venv-pipx" / "bin" / "pipx"}
PIPX_KINDS = tuple(PIPX)
# The interpreter of each pipx: the one its venvs are made with.
PIPX_PYTHON = {"debian": Path("/usr/bin/python3"),
               "pypi": REPO / ".venv-pipx" / "bin" / "python"}
DEBIAN_PYTHON = Path("/usr/bin/python3")  # PEP 668: an externally managed environment
TIMEOUT = 600


class InstallError(Exception):
    pass


@dataclass(frozen=True)
class Installed:
    bin_dir: Path
    site_packages: Path
    python: Path

    def command(self, name: str) -> Path:
        return self.bin_dir / name


def package_version() -> str:
    text = (REPO / "awscli_ecr_login_ext" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE).group(1)


def _artifact(name: str) -> Path:
    path = DIST / name
    require(path.is_file(), f"{path} is missing: run make dist")
    return path


def built_wheel() -> Path:
    return _artifact(f"awscli_ecr_login_ext-{package_version()}-py3-none-any.whl")


def built_sdist() -> Path:
    return _artifact(f"awscli_ecr_login_ext-{package_version()}.tar.gz")


def offline_env(home: Path) -> dict[str, str]:
    """A clean environment with ``home`` as HOME in which pip installs from .wheelhouse only."""
    require((WHEELHOUSE / ".downloaded").exists(), f"{WHEELHOUSE} is missing: run make test")
    env = {key: value for key, value in clean_environment(home).items()
           if not key.startswith(("PIP_", "PIPX_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELHOUSE), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def pipx_env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {**offline_env(home), "PIPX_HOME": str(root / "pipx"),
            "PIPX_BIN_DIR": str(root / "bin"), "PIPX_MAN_DIR": str(root / "man")}


def run(argv: list, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run an install command; InstallError with its output if it fails."""
    done = subprocess.run([str(arg) for arg in argv], env=env, cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise InstallError(f"{' '.join(map(str, argv))} exited {done.returncode}:\n"
                           f"{done.stdout}{done.stderr}")
    return done


def site_packages_of(python: Path, env: dict[str, str]) -> Path:
    """Where ``python`` imports the package from (with ``env``: a --user install needs its HOME)."""
    code = ("import awscli_ecr_login_ext as p, os; "
            "print(os.path.dirname(os.path.dirname(p.__file__)))")
    where = run([python, "-c", code], env, cwd=Path("/"))
    return Path(where.stdout.strip())


def pipx_command(kind: str) -> Path:
    pipx = PIPX[kind]
    require(pipx.exists(), f"pipx ({kind}) not found at {pipx}: run make test")
    return pipx


def _pipx_venv(root: Path, name: str) -> Path:
    return root / "pipx" / "venvs" / name


def pipx_install(kind: str, root: Path, spec: Path | None = None) -> Installed:
    """``pipx install`` the built wheel (or ``spec``) with the pipx of ``kind``."""
    env = pipx_env(root)
    run([pipx_command(kind), "install", spec or built_wheel()], env, cwd=root)
    python = _pipx_venv(root, PACKAGE) / "bin" / "python"
    return Installed(root / "bin", site_packages_of(python, env), python)


def pipx_inject(kind: str, root: Path, awscli_version: str) -> Installed:
    """AWS CLI v1 installed by pipx, the built wheel injected into its venv with its apps."""
    env = pipx_env(root)
    pipx = pipx_command(kind)
    run([pipx, "install", f"awscli=={awscli_version}"], env, cwd=root)
    run([pipx, "inject", "--include-apps", "awscli", built_wheel()], env, cwd=root)
    python = _pipx_venv(root, "awscli") / "bin" / "python"
    return Installed(root / "bin", site_packages_of(python, env), python)


def venv_install(root: Path, python: Path, *requirements: str, extras: str = "",
                 package: Path | None = None) -> Installed:
    """A fresh venv of ``python`` with the built wheel (or ``package``), with ``extras``, and
    ``requirements``."""
    venv = root / "venv"
    env = offline_env(root / "home")
    run([python, "-m", "venv", venv], env, cwd=root)
    spec = f"{package or built_wheel()}" + (f"[{extras}]" if extras else "")
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", spec, *requirements], env,
        cwd=root)
    return Installed(venv / "bin", site_packages_of(venv / "bin" / "python", env),
                     venv / "bin" / "python")


def user_install(home: Path, python: Path) -> Installed:
    """``pip install --user`` of the built wheel into ``home``/.local."""
    env = offline_env(home)
    run([python, "-m", "pip", "install", "-q", "--user", built_wheel()], env, cwd=home)
    return Installed(home / ".local" / "bin", site_packages_of(python, env), python)


def sdist_install(root: Path, python: Path, *requirements: str) -> Installed:
    """``pip install SDIST`` into a fresh venv: pip builds the wheel in an isolated environment
    with the setuptools that build-system.requires allows (from .wheelhouse)."""
    return venv_install(root, python, *requirements, package=built_sdist())


class InstallCache:
    """Each install made once, under ``root``, and handed out again after."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict[tuple, Installed] = {}

    def _once(self, key: tuple, install) -> Installed:
        if key not in self._done:
            directory = self.root / "-".join(re.sub(r"[^\w.]+", "_", str(part)) for part in key)
            directory.mkdir(parents=True)
            self._done[key] = install(directory)
        return self._done[key]

    def pipx(self, kind: str) -> Installed:
        return self._once(("pipx", kind), lambda root: pipx_install(kind, root))

    def pipx_inject(self, kind: str, awscli_version: str) -> Installed:
        return self._once(("inject", kind, awscli_version),
                          lambda root: pipx_inject(kind, root, awscli_version))

    def venv(self, python: Path, *requirements: str, extras: str = "") -> Installed:
        return self._once(("venv", python, extras, *requirements),
                          lambda root: venv_install(root, python, *requirements, extras=extras))

    def sdist(self, python: Path, *requirements: str) -> Installed:
        return self._once(("sdist", python, *requirements),
                          lambda root: sdist_install(root, python, *requirements))


def path_with(*directories: Path) -> str:
    """PATH with ``directories`` first, then this process's PATH."""
    return os.pathsep.join([*map(str, directories), os.environ.get("PATH", "")])
