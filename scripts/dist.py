"""Build and check the release artifacts (``make dist``): the sdist and the wheel in ``dist/``.

1. A clean tree: the working tree's files but those git ignores, copied into a temporary
   directory, so nothing ignored (venvs, ``build/``, a stale ``*.egg-info`` whose SOURCES.txt
   setuptools would reuse) reaches an artifact. On a fresh clone: the files git tracks.
2. ``python -m build --no-isolation`` there: the sdist, then the wheel built from that sdist,
   with this venv's setuptools (from ``requirements/dist-py3.11.txt``, hash-checked; ``build``
   checks it against ``build-system.requires``). A
   deprecation warning anywhere in the build log fails the build: setuptools announces the
   changes that will one day stop it building this project that way.
3. ``python -m build --wheel`` from the clean tree itself: its wheel must hold exactly the
   files, byte for byte, of the one built from the sdist.
4. ``twine check --strict`` on both artifacts.
5. The files of each artifact, listed; the wheel holds the package (every file of the clean
   tree in it), the ``docker-credential-ecr2`` launcher and its metadata, nothing else (no
   tests, bench, demo, other scripts or venvs); the sdist holds the same plus README, LICENSE,
   CHANGELOG.md and the build configuration (MANIFEST.in says why no tests); the wheel's
   metadata carries the SPDX license, the license file and the version of
   ``awscli_ecr_login_ext/__init__.py``.

Run it with a Python that has ``build`` and ``twine`` (``make dist`` makes ``.venv-dist``).
"""

from __future__ import annotations

import ast
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "dist"
PACKAGE = "awscli_ecr_login_ext"
LAUNCHER = "docker-credential-ecr2"
LICENSE = "LICENSE"
WARNING = re.compile(r"deprecat", re.IGNORECASE)


class Failure(Exception):
    pass


def run(argv: list, cwd: Path | None = None) -> str:
    """Run a command, its output (stdout and stderr together) echoed and returned."""
    done = subprocess.run([str(arg) for arg in argv], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"})
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        raise Failure(f"{' '.join(map(str, argv))} exited {done.returncode}")
    return done.stdout


def tree_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def clean_tree(target: Path) -> list[str]:
    files = sorted(set(tree_files()))
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    return files


def package_version() -> str:
    """``__version__`` as setuptools reads it (``attr:``, statically, without importing)."""
    tree = ast.parse((REPO / PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
                "__version__"]:
            return ast.literal_eval(node.value)
    raise Failure(f"no __version__ in {PACKAGE}/__init__.py")


def build(tree: Path, outdir: Path, *flags: str) -> None:
    # Without isolation: the setuptools is this venv's, from the hashed lock (an isolated build
    # would fetch an unpinned one); build still checks it against build-system.requires.
    log = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", outdir, *flags, tree])
    warned = [line for line in log.splitlines() if WARNING.search(line)]
    if warned:
        raise Failure("the build warned of a deprecation:\n  " + "\n  ".join(warned))


def only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        raise Failure(f"expected one {pattern} in {directory}, found {found}")
    return found[0]


def wheel_contents(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        return sorted(member.name.split("/", 1)[1] for member in archive.getmembers()
                      if member.isfile())


def differences(what: str, wanted: set[str], got: set[str]) -> list[str]:
    if got == wanted:
        return []
    missing, extra = sorted(wanted - got), sorted(got - wanted)
    return [f"{what} are not the clean tree's: missing {missing}, extra {extra}"]


def check_sdist(names: list[str], files: list[str], version: str) -> list[str]:
    egg_info = f"{PACKAGE}.egg-info/"
    wanted = {name for name in files if name.startswith(PACKAGE + "/")} | {
        f"scripts/{LAUNCHER}", "README.md", LICENSE, "CHANGELOG.md", "pyproject.toml",
        "MANIFEST.in", "PKG-INFO", "setup.cfg"}
    got = {name for name in names if not name.startswith(egg_info)}
    return differences("the sdist's files", wanted, got)


def metadata_of(wheel: dict[str, bytes], version: str) -> email.message.Message:
    raw = wheel[f"{PACKAGE}-{version}.dist-info/METADATA"].decode()
    return email.parser.Parser().parsestr(raw)


def check_wheel(contents: dict[str, bytes], files: list[str], version: str) -> list[str]:
    dist_info, data = f"{PACKAGE}-{version}.dist-info/", f"{PACKAGE}-{version}.data/"
    problems = differences("the wheel's package files",
                           {name for name in files if name.startswith(PACKAGE + "/")},
                           {name for name in contents if name.startswith(PACKAGE + "/")})
    others = sorted(name for name in contents if not name.startswith((PACKAGE + "/", dist_info))
                    and name != f"{data}scripts/{LAUNCHER}")
    if others:
        problems.append(f"the wheel holds files outside the package: {others}")
    if f"{data}scripts/{LAUNCHER}" not in contents:
        problems.append(f"the wheel has no {LAUNCHER} launcher")
    license_file = f"{dist_info}licenses/{LICENSE}"
    if contents.get(license_file) != (REPO / LICENSE).read_bytes():
        problems.append(f"the wheel's {license_file} is not the tree's {LICENSE}")
    metadata = metadata_of(contents, version)
    expected = {"Name": "awscli-ecr-login-ext", "Version": version,
                "License-Expression": "Apache-2.0", "License-File": LICENSE}
    for field, value in expected.items():
        if metadata.get(field) != value:
            problems.append(f"METADATA {field} is {metadata.get(field)!r}, not {value!r}")
    if any(c.startswith("License ::") for c in metadata.get_all("Classifier") or []):
        problems.append("a License classifier beside the SPDX License-Expression")
    return problems


def main() -> int:
    version = package_version()
    with tempfile.TemporaryDirectory(prefix="ecr2-dist-") as scratch:
        root = Path(scratch)
        out, tree_out = root / "dist", root / "tree-wheel"
        files = clean_tree(root / "tree")
        clean_tree(root / "tree-again")  # a build leaves build/ and *.egg-info behind
        print(f"== clean tree: {len(files)} files", flush=True)
        print("== python -m build: the sdist, then the wheel from the sdist", flush=True)
        build(root / "tree", out)
        print("== python -m build --wheel: a wheel from the tree itself", flush=True)
        build(root / "tree-again", tree_out, "--wheel")
        sdist = only(out, f"{PACKAGE}-{version}.tar.gz")
        wheel = only(out, f"{PACKAGE}-{version}-py3-none-any.whl")
        tree_wheel = only(tree_out, wheel.name)
        print("== twine check --strict", flush=True)
        run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel])

        contents = wheel_contents(wheel)
        print(f"== {sdist.name}:")
        print("\n".join(f"  {name}" for name in sdist_names(sdist)))
        print(f"== {wheel.name}:")
        print("\n".join(f"  {name}" for name in sorted(contents)))
        problems = check_wheel(contents, files, version)
        problems += check_sdist(sdist_names(sdist), files, version)
        from_tree = wheel_contents(tree_wheel)
        if from_tree != contents:
            differ = sorted(name for name in set(from_tree) | set(contents)
                            if from_tree.get(name) != contents.get(name))
            problems.append(f"the wheel built from the sdist differs from the one built from "
                            f"the tree in: {differ}")
        else:
            print(f"== the wheel from the sdist and the wheel from the tree: the same "
                  f"{len(contents)} files, byte for byte")
        if problems:
            raise Failure("\n  ".join(["the artifacts are wrong:", *problems]))
        shutil.rmtree(DIST, ignore_errors=True)
        DIST.mkdir()
        for artifact in (sdist, wheel):
            shutil.copy2(artifact, DIST / artifact.name)
    print(f"== ok: {DIST.relative_to(REPO)}/{sdist.name} and {DIST.relative_to(REPO)}/{wheel.name}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as error:
        print(f"make dist: {error}", file=sys.stderr)
        sys.exit(1)
