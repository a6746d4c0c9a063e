"""`aws ecr2 configure-docker` and its stdlib core, on real files in temp homes."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from awscli_ecr_login_ext.setup.docker_config import (
    DockerConfigError,
    containers_auth_path,
    docker_config_path,
    edit_config_file,
    helm_registry_config_path,
    plan_edit,
    write_edit,
)
from tests.conftest import REPO, error_line, require, usage_exit_code

ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
OTHER = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
ORIGINAL = {
    "auths": {
        ECR_HOST: {"auth": "QVdTOnNlY3JldA=="},
        f"https://{ECR_HOST}/v1/": {"auth": "QVdTOm9sZA=="},
        "ghcr.io": {"auth": "dXNlcjpnaHA="},
    },
    "credsStore": "desktop",
    "credHelpers": {"gcr.io": "gcloud"},
    "psFormat": "table {{.ID}}",
    "proxies": {"default": {"httpProxy": "http://127.0.0.1:3128"}},
}


def write(path: Path, document, mode: int = 0o644) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document, indent=4)
    path.write_text(text)
    path.chmod(mode)
    return text


# -- the core ----------------------------------------------------------------------------


def test_adds_helpers_keeps_every_other_key_in_order_and_the_mode(tmp_path):
    path = tmp_path / "config.json"
    write(path, ORIGINAL, 0o640)
    edit = edit_config_file(path, [ECR_HOST, OTHER])
    assert edit.changes == [f"+ credHelpers: {ECR_HOST} = ecr2", f"+ credHelpers: {OTHER} = ecr2"]
    document = json.loads(path.read_text())
    assert list(document) == list(ORIGINAL)
    assert document["credHelpers"] == {"gcr.io": "gcloud", ECR_HOST: "ecr2", OTHER: "ecr2"}
    for key in ("auths", "credsStore", "psFormat", "proxies"):
        assert document[key] == ORIGINAL[key]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert edit.notes and "--remove-stored-passwords" in edit.notes[0]
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_idempotent_second_run_does_not_write(tmp_path):
    path = tmp_path / "config.json"
    write(path, ORIGINAL)
    edit_config_file(path, [ECR_HOST])
    before = (path.read_text(), path.stat().st_ino, path.stat().st_mtime_ns)
    edit = edit_config_file(path, [ECR_HOST])
    assert edit.changes == []
    assert (path.read_text(), path.stat().st_ino, path.stat().st_mtime_ns) == before


def test_new_file_is_0600_in_a_new_0700_directory(tmp_path):
    path = tmp_path / "new" / ".docker" / "config.json"
    edit = edit_config_file(path, [ECR_HOST])
    assert edit.created
    assert json.loads(path.read_text()) == {"credHelpers": {ECR_HOST: "ecr2"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_remove_stored_passwords_only_for_those_hosts(tmp_path):
    path = tmp_path / "config.json"
    write(path, ORIGINAL)
    edit = edit_config_file(path, [ECR_HOST], remove_passwords=True)
    assert f"- auths: {ECR_HOST} (stored credentials removed)" in edit.changes
    assert f"- auths: https://{ECR_HOST}/v1/ (stored credentials removed)" in edit.changes
    document = json.loads(path.read_text())
    assert document["auths"] == {"ghcr.io": {"auth": "dXNlcjpnaHA="}}
    assert "QVdTOnNlY3JldA==" not in path.read_text()
    assert edit.notes == []


def test_a_different_helper_for_the_host_is_replaced_and_said_so(tmp_path):
    path = tmp_path / "config.json"
    write(path, {"credHelpers": {ECR_HOST: "ecr-login"}})
    assert edit_config_file(path, [ECR_HOST]).changes == [
        f"~ credHelpers: {ECR_HOST} = ecr2 (was ecr-login)"]


@pytest.mark.parametrize("text, reason", [
    ('{"auths": {', "is not valid JSON"),
    ("[1, 2]", "does not hold a JSON object"),
    ('{"credHelpers": ["x"]}', '"credHelpers" is not a JSON object'),
])
def test_bad_files_are_reported_and_left_untouched(tmp_path, text, reason):
    path = tmp_path / "config.json"
    write(path, text, 0o600)
    with pytest.raises(DockerConfigError, match=reason) as raised:
        edit_config_file(path, [ECR_HOST])
    assert "\n" not in str(raised.value)
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_a_symlinked_config_stays_a_symlink(tmp_path):
    real = tmp_path / "dotfiles" / "docker.json"
    write(real, {"psFormat": "x"}, 0o600)
    link = tmp_path / ".docker" / "config.json"
    link.parent.mkdir()
    link.symlink_to(real)
    edit_config_file(link, [ECR_HOST])
    assert link.is_symlink()
    assert json.loads(real.read_text())["credHelpers"] == {ECR_HOST: "ecr2"}


def test_remove_takes_only_ecr2_entries_and_drops_an_emptied_object(tmp_path):
    path = tmp_path / "config.json"
    write(path, {**ORIGINAL, "credHelpers": {"gcr.io": "gcloud", ECR_HOST: "ecr2",
                                             OTHER: "ecr-login", "public.ecr.aws": "ecr2"}})
    chosen = plan_edit(path, [OTHER, "public.ecr.aws", "ghcr.io"], remove=True)
    assert chosen.changes == ["- credHelpers: public.ecr.aws = ecr2"]
    [note] = chosen.notes
    assert note == f"{path}: {OTHER} uses docker-credential-ecr-login, not ecr2; left as it is"
    every = plan_edit(path, None, remove=True)
    assert every.changes == [f"- credHelpers: {ECR_HOST} = ecr2",
                             "- credHelpers: public.ecr.aws = ecr2"]
    assert every.notes == []  # other helpers' entries are not this run's business
    write_edit(every)
    assert json.loads(path.read_text()) == {
        **ORIGINAL, "credHelpers": {"gcr.io": "gcloud", OTHER: "ecr-login"}}
    write(path, {"credHelpers": {ECR_HOST: "ecr2"}, "psFormat": "x"})
    write_edit(plan_edit(path, None, remove=True))
    assert json.loads(path.read_text()) == {"psFormat": "x"}  # as docker writes it: omitempty
    missing = plan_edit(tmp_path / "none" / "config.json", None, remove=True)
    write_edit(missing)
    assert missing.changes == [] and not (tmp_path / "none").exists()


def test_path_resolution(tmp_path):
    home = tmp_path / "home"
    (tmp_path / "dir").mkdir()
    assert docker_config_path(None, {"HOME": str(home)}) == home / ".docker" / "config.json"
    assert docker_config_path(None, {"HOME": str(home), "DOCKER_CONFIG": "/d"}) == Path(
        "/d/config.json")
    assert docker_config_path(str(tmp_path / "dir"), {"DOCKER_CONFIG": "/d"}) == (
        tmp_path / "dir" / "config.json")
    assert docker_config_path(str(tmp_path / "c.json"), {}) == tmp_path / "c.json"
    assert containers_auth_path({"HOME": str(home)}) == (
        home / ".config" / "containers" / "auth.json")
    assert containers_auth_path({"HOME": str(home), "XDG_RUNTIME_DIR": "/run/user/7"}) == Path(
        "/run/user/7/containers/auth.json")
    assert containers_auth_path({"HOME": str(home), "XDG_RUNTIME_DIR": "/run/user/7",
                                 "REGISTRY_AUTH_FILE": "/a.json"}) == Path("/a.json")


@pytest.mark.parametrize("platform, environ, expected", [
    ("linux", {"HOME": "/home/me"}, "/home/me/.config/helm/registry/config.json"),
    ("linux", {"HOME": "/home/me", "XDG_CONFIG_HOME": "/x"}, "/x/helm/registry/config.json"),
    ("linux", {"HOME": "/home/me", "XDG_CONFIG_HOME": "/x", "HELM_CONFIG_HOME": "/h"},
     "/h/registry/config.json"),
    ("linux", {"HELM_CONFIG_HOME": "/h", "HELM_REGISTRY_CONFIG": "/r.json"}, "/r.json"),
    ("freebsd14", {"HOME": "/home/me"}, "/home/me/.config/helm/registry/config.json"),
    ("darwin", {"HOME": "/Users/me"},
     "/Users/me/Library/Preferences/helm/registry/config.json"),
    ("darwin", {"HOME": "/Users/me", "XDG_CONFIG_HOME": "/Users/me/.config"},
     "/Users/me/.config/helm/registry/config.json"),
    ("win32", {"APPDATA": r"C:\Users\me\AppData\Roaming"},
     r"C:\Users\me\AppData\Roaming\helm\registry\config.json"),
    ("win32", {"USERPROFILE": r"C:\Users\me"},
     r"C:\Users\me\AppData\Roaming\helm\registry\config.json"),
    ("win32", {"APPDATA": r"C:\A", "HELM_REGISTRY_CONFIG": r"D:\helm\registry.json"},
     r"D:\helm\registry.json"),
])
def test_helm_registry_config_path_per_platform(platform, environ, expected):
    """helm's helmpath rules (tests/test_helm.py checks Linux against the real helms)."""
    assert str(helm_registry_config_path(environ, platform)) == expected


# -- the command, through the real CLIs ------------------------------------------------------

# An endpoint nothing listens on: any AWS call would fail the command.
NO_ENDPOINT = "http://127.0.0.1:9"


def test_configure_docker_and_containers_auth(aws_home, cli):
    docker_dir = aws_home.root / "dc"
    runtime = aws_home.root / "run"
    runtime.mkdir(mode=0o700)
    env = {"DOCKER_CONFIG": str(docker_dir), "XDG_RUNTIME_DIR": str(runtime)}
    args = ["ecr2", "configure-docker", "--endpoint-url", NO_ENDPOINT, "--containers-auth",
            "--registry", f"127.0.0.1:5000={ECR_HOST}", OTHER]
    result = aws_home.run(cli, *args, env=env)
    assert result.returncode == 0, result.stderr
    docker_file, auth_file = docker_dir / "config.json", runtime / "containers" / "auth.json"
    assert result.stdout == (
        f"Created {docker_file}:\n  + credHelpers: 127.0.0.1:5000 = ecr2\n"
        f"  + credHelpers: {OTHER} = ecr2\n"
        f"Created {auth_file}:\n  + credHelpers: 127.0.0.1:5000 = ecr2\n"
        f"  + credHelpers: {OTHER} = ecr2\n")
    # The name has no profile alias: the helper could not map it, and we say so.
    assert "ecr2_registry_aliases" in result.stderr
    assert f"127.0.0.1:5000 = {ECR_HOST}" in result.stderr
    for path in (docker_file, auth_file):
        assert json.loads(path.read_text()) == {
            "credHelpers": {"127.0.0.1:5000": "ecr2", OTHER: "ecr2"}}
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = aws_home.run(cli, *args, env=env)
    assert again.returncode == 0
    assert again.stdout == (f"{docker_file}: already configured; nothing to change.\n"
                            f"{auth_file}: already configured; nothing to change.\n")


def test_default_paths_under_home_and_profile_aliases(aws_home, cli):
    aws_home.write_config("[default]\nregion = eu-west-1\n"
                          f"ecr2_registry_aliases =\n    mirror.local = {ECR_HOST}\n")
    result = aws_home.run(cli, "ecr2", "configure-docker", "--containers-auth",
                          "--registry", "mirror.local", "--endpoint-url", NO_ENDPOINT)
    assert result.returncode == 0, result.stderr
    assert "ecr2_registry_aliases" not in result.stderr  # the profile maps it already
    for path in (aws_home.root / ".docker" / "config.json",
                 aws_home.root / ".config" / "containers" / "auth.json"):
        assert json.loads(path.read_text()) == {"credHelpers": {"mirror.local": "ecr2"}}


def test_remove_stored_passwords_and_explicit_config(aws_home, cli):
    path = aws_home.root / "elsewhere.json"
    write(path, ORIGINAL, 0o644)
    result = aws_home.run(cli, "ecr2", "configure-docker", "--config", str(path),
                          "--registry", ECR_HOST, "--remove-stored-passwords")
    assert result.returncode == 0, result.stderr
    assert f"  - auths: {ECR_HOST} (stored credentials removed)\n" in result.stdout
    assert "QVdTOnNlY3JldA==" not in result.stdout + result.stderr
    document = json.loads(path.read_text())
    assert set(document["auths"]) == {"ghcr.io"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not (aws_home.root / ".docker").exists()


def test_registry_ids_use_the_configured_region_without_a_call(aws_home, cli):
    result = aws_home.run(cli, "ecr2", "configure-docker", "--registry-ids", "123456789012",
                          "--public", "--endpoint-url", NO_ENDPOINT)
    assert result.returncode == 0, result.stderr
    document = json.loads((aws_home.root / ".docker" / "config.json").read_text())
    assert document == {"credHelpers": {ECR_HOST: "ecr2", "public.ecr.aws": "ecr2"}}


def test_no_registry_is_a_usage_error(aws_home, cli):
    result = aws_home.run(cli, "ecr2", "configure-docker")
    assert result.returncode == usage_exit_code(cli)
    assert "configure-docker needs the registries to configure" in result.stderr
    assert not (aws_home.root / ".docker").exists()


def test_a_corrupt_file_is_an_error_and_left_untouched(aws_home, cli):
    path = aws_home.root / ".docker" / "config.json"
    text = write(path, '{"auths": {"x": ', 0o600)
    result = aws_home.run(cli, "ecr2", "configure-docker", "--registry", ECR_HOST)
    assert result.returncode == 255
    assert f"{path} is not valid JSON" in result.stderr
    assert "left untouched" in result.stderr
    assert path.read_text() == text


HELM_FILE = Path(".config") / "helm" / "registry" / "config.json"


def test_helm_registry_config_keeps_every_other_byte_and_is_idempotent(aws_home, cli):
    """What `helm registry login` left there stays; a second run changes nothing."""
    helm_file = aws_home.root / "helm-registry.json"
    original = {"auths": {"ghcr.io": {"auth": "dXNlcjpnaHA="}}, "credHelpers": {"gcr.io": "gcloud"}}
    text = write(helm_file, original, 0o600)
    args = ["ecr2", "configure-docker", "--helm", "--registry", ECR_HOST, OTHER]
    env = {"HELM_REGISTRY_CONFIG": str(helm_file)}
    result = aws_home.run(cli, *args, env=env)
    assert result.returncode == 0, result.stderr
    docker_file = aws_home.root / ".docker" / "config.json"
    changes = f"  + credHelpers: {ECR_HOST} = ecr2\n  + credHelpers: {OTHER} = ecr2\n"
    assert result.stdout == (f"Created {docker_file}:\n{changes}"
                             f"Changed {helm_file}:\n{changes}")
    document = json.loads(helm_file.read_text())
    assert document == {**original, "credHelpers": {"gcr.io": "gcloud", ECR_HOST: "ecr2",
                                                    OTHER: "ecr2"}}
    assert stat.S_IMODE(helm_file.stat().st_mode) == 0o600
    before = helm_file.read_bytes()
    again = aws_home.run(cli, *args, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (f"{docker_file}: already configured; nothing to change.\n"
                            f"{helm_file}: already configured; nothing to change.\n")
    assert helm_file.read_bytes() == before
    assert text != before.decode()
    # Without the variable: helm's default under XDG_CONFIG_HOME, else ~/.config.
    default = aws_home.run(cli, "ecr2", "configure-docker", "--helm", "--registry", ECR_HOST)
    assert default.returncode == 0, default.stderr
    assert json.loads((aws_home.root / HELM_FILE).read_text()) == {
        "credHelpers": {ECR_HOST: "ecr2"}}


def test_helm_with_profile_maps_the_registries(aws_home, cli):
    aws_home.write_config("[default]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\n")
    result = aws_home.run(cli, "ecr2", "configure-docker", "--helm", "--registry", OTHER,
                          "--profile", "prod")
    assert result.returncode == 0, result.stderr
    assert f"Created {aws_home.root / HELM_FILE}:\n  + credHelpers: {OTHER} = ecr2\n" in (
        result.stdout)
    assert f"Changed {aws_home.config_file} [default]:\n" in result.stdout
    assert json.loads((aws_home.root / HELM_FILE).read_text()) == {"credHelpers": {OTHER: "ecr2"}}
    assert f"ecr2_registry_profiles =\n    {OTHER} = prod\n" in aws_home.config_file.read_text()


def test_a_malformed_helm_file_is_one_line_and_nothing_is_written(aws_home, cli):
    helm_file = aws_home.root / HELM_FILE
    text = write(helm_file, '{"credHelpers": ', 0o600)
    aws_home.write_config("[default]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\n")
    config_before = aws_home.config_file.read_text()
    result = aws_home.run(cli, "ecr2", "configure-docker", "--helm", "--registry", ECR_HOST,
                          "--profile", "prod")
    assert result.returncode == 255
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert f"{helm_file} is not valid JSON" in line and "left untouched" in line
    assert helm_file.read_text() == text
    assert not (aws_home.root / ".docker").exists()  # the Docker file is not written either
    assert aws_home.config_file.read_text() == config_before  # nor the mapping


CONTAINERS_FILE = Path(".config") / "containers" / "auth.json"
ALL_FILES = ["--containers-auth", "--helm"]


def test_remove_after_adding_gives_each_file_back(aws_home, cli):
    """Added to three files, then `--remove` without a registry (the uninstall form): every
    ecr2 entry goes, every other key and entry stays, in order, with the file's mode; a second
    run changes nothing and says so."""
    files = [aws_home.root / ".docker" / "config.json", aws_home.root / CONTAINERS_FILE,
             aws_home.root / HELM_FILE]
    for path in files[:2]:
        write(path, ORIGINAL, 0o640)
    added = aws_home.run(cli, "ecr2", "configure-docker", *ALL_FILES, "--public",
                         "--registry", ECR_HOST, f"mirror.local={OTHER}")
    assert added.returncode == 0, added.stderr
    removed = aws_home.run(cli, "ecr2", "configure-docker", "--remove", *ALL_FILES,
                           "--endpoint-url", NO_ENDPOINT)
    assert removed.returncode == 0, removed.stderr
    changes = (f"  - credHelpers: {ECR_HOST} = ecr2\n  - credHelpers: mirror.local = ecr2\n"
               "  - credHelpers: public.ecr.aws = ecr2\n")
    assert removed.stdout == "".join(f"Changed {path}:\n{changes}" for path in files)
    assert removed.stderr == ""
    for path in files[:2]:
        assert list(json.loads(path.read_text()).items()) == list(ORIGINAL.items())
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert json.loads(files[2].read_text()) == {}  # created by the add: its only key goes
    before = [(path.read_bytes(), path.stat().st_ino) for path in files]
    again = aws_home.run(cli, "ecr2", "configure-docker", "--remove", *ALL_FILES)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "".join(f"{path}: no ecr2 entry to remove; nothing to change.\n"
                                   for path in files)
    assert [(path.read_bytes(), path.stat().st_ino) for path in files] == before


def test_remove_with_selectors_takes_only_those_hosts(aws_home, cli):
    """--registry-ids in --profile's Region, --public and --registry: only those entries, and
    only where they name ecr2; the profile mapping is not touched; no AWS call."""
    aws_home.write_config("[default]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\n")
    config_before = aws_home.config_file.read_text()
    path = aws_home.root / ".docker" / "config.json"
    helpers = {ECR_HOST: "ecr2", OTHER: "ecr2", "public.ecr.aws": "ecr2",
               "mirror.local": "ecr-login", "gcr.io": "gcloud"}
    write(path, {"auths": ORIGINAL["auths"], "credHelpers": helpers})
    result = aws_home.run(cli, "ecr2", "configure-docker", "--remove", "--profile", "prod",
                          "--registry-ids", "210987654321", "--public",
                          "--registry", f"mirror.local={ECR_HOST}", "--endpoint-url", NO_ENDPOINT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"Changed {path}:\n  - credHelpers: {OTHER} = ecr2\n"
                             "  - credHelpers: public.ecr.aws = ecr2\n")
    assert result.stderr == (f"Note: {path}: mirror.local uses docker-credential-ecr-login, "
                             "not ecr2; left as it is\n")
    assert json.loads(path.read_text()) == {"auths": ORIGINAL["auths"], "credHelpers": {
        ECR_HOST: "ecr2", "mirror.local": "ecr-login", "gcr.io": "gcloud"}}
    assert aws_home.config_file.read_text() == config_before


def test_remove_with_nothing_to_remove_creates_nothing(aws_home, cli):
    result = aws_home.run(cli, "ecr2", "configure-docker", "--remove", "--registry", ECR_HOST)
    assert result.returncode == 0, result.stderr
    path = aws_home.root / ".docker" / "config.json"
    assert result.stdout == f"{path}: no ecr2 entry to remove; nothing to change.\n"
    assert not path.parent.exists()


def test_remove_with_a_malformed_file_writes_nothing(aws_home, cli):
    docker_file = aws_home.root / ".docker" / "config.json"
    docker_text = write(docker_file, {"credHelpers": {ECR_HOST: "ecr2"}}, 0o600)
    helm_text = write(aws_home.root / HELM_FILE, '{"credHelpers": ', 0o600)
    result = aws_home.run(cli, "ecr2", "configure-docker", "--remove", *ALL_FILES)
    assert result.returncode == 255
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert f"{aws_home.root / HELM_FILE} is not valid JSON" in line and "left untouched" in line
    assert docker_file.read_text() == docker_text
    assert (aws_home.root / HELM_FILE).read_text() == helm_text
    assert not (aws_home.root / CONTAINERS_FILE).exists()
    assert sorted(p.name for p in docker_file.parent.iterdir()) == ["config.json"]


def test_remove_with_remove_stored_passwords_is_a_usage_error(aws_home, cli):
    docker_file = aws_home.root / ".docker" / "config.json"
    text = write(docker_file, {"credHelpers": {ECR_HOST: "ecr2"}}, 0o600)
    result = aws_home.run(cli, "ecr2", "configure-docker", "--remove",
                          "--remove-stored-passwords", "--registry", ECR_HOST)
    assert result.returncode == usage_exit_code(cli)
    assert result.stderr.strip().splitlines() == [error_line(
        cli, "configure-docker: --remove and --remove-stored-passwords cannot be used together",
        usage=True)]
    assert result.stdout == ""
    assert docker_file.read_text() == text


# -- through the credential helper, with real skopeo ----------------------------------------


def test_skopeo_and_podman_pull_through_the_credential_helper(aws_home, tmp_path):
    """configure-docker --containers-auth, then skopeo and podman ask docker-credential-ecr2
    for the registry (mapped by ecr2_registry_aliases) and no password lands in any file."""
    from tests.conftest import CLIS, registry_behind_fake_ecr, system_blob_cache_removed
    from tests.servers.docker_registry import client_env

    # The regular install's helper (its launcher runs Python with -S); the docker test in
    # test_credential_helper.py runs the editable one.
    helper = REPO / ".venv-release" / "bin" / "docker-credential-ecr2"
    require(helper.exists(), f"{helper} is not installed (make test installs it)")
    skopeo = shutil.which("skopeo")
    require(skopeo, "skopeo is not installed")
    cli = CLIS[0]
    password = "helper-Pa55word"
    with registry_behind_fake_ecr(tmp_path, password) as (registry, ecr):
        env = {**aws_home.env, **client_env(tmp_path / "client", registry), **ecr.proxy_env()}
        env.pop("DOCKER_CONFIG")  # the containers tools should use their own auth file
        env["PATH"] = os.pathsep.join([str(helper.parent), env["PATH"]])
        aws_home.write_config("[default]\nregion = eu-west-1\n"
                              f"ecr2_registry_aliases =\n    {registry.host} = {ECR_HOST}\n")
        result = aws_home.run(cli, "ecr2", "configure-docker", "--containers-auth",
                              "--registry", registry.host, env=env)
        assert result.returncode == 0, result.stderr
        inspect = subprocess.run(
            [skopeo, "inspect", "--tls-verify=false", f"docker://{registry.host}/hello:v1"],
            capture_output=True, text=True, env=env, timeout=120, check=False)
        assert inspect.returncode == 0, inspect.stderr
        assert json.loads(inspect.stdout)["Digest"] == registry.pushed_digest
        podman = shutil.which("podman")
        require(podman, "podman is not installed")
        with system_blob_cache_removed():
            pull = subprocess.run(
                [podman, "pull", "--tls-verify=false", f"{registry.host}/hello:v1"],
                capture_output=True, text=True, env=env, timeout=300, check=False)
        assert pull.returncode == 0, pull.stderr
        assert ecr.requests, "the helper never asked the local ECR"
        for root in (tmp_path / "client", aws_home.root):
            for path in root.rglob("*"):
                if ".aws/ecr2/cache" in str(path):  # the helper's own token cache, by design
                    if path.is_file():
                        assert stat.S_IMODE(path.stat().st_mode) == 0o600
                    continue
                if path.is_file() and path.stat().st_size < 1_000_000:
                    data = path.read_bytes()
                    assert password.encode() not in data, path
                    assert base64.b64encode(f"AWS:{password}".encode()) not in data, path
