"""README.md (issue 24): short, for users, true of the code, one figure for one quantity.

- its size, where its first usage example starts, `make demo` and `make test` named, no
  relative links (it is also the package index page);
- every `aws ecr2 <subcommand>`, `--option`, `awscli-ecr-login-ext <command>`,
  `docker-credential-ecr2 <action>`, `ecr2_*` setting and `AWS_ECR2_*` variable it names
  exists in the code (read from the command classes' ARG_TABLEs, the setup command's parser,
  the AWS CLIs' own global options and the package's source);
- a quantity stated in the README and in docs/ (the token's life, the cache's floor, the
  number of CLIs, the benchmark figures) has one value everywhere, and the benchmark figures
  are those of docs/benchmarks.md;
- its Upgrade and Uninstall blocks, run as written in that order with pipx (offline, from an
  older wheel to the current one), keep docker reading a registry through
  docker-credential-ecr2 and leave no credHelpers entry naming a helper that is gone.

Each checker has a negative self-check on a mutated copy, so it is seen to fail.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLIS, REPO, AwsHome, require

README = REPO / "README.md"
DOCS = REPO / "docs"
MAX_WORDS = 1400
FIRST_EXAMPLE_BY = 60

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")


def readme() -> str:
    return README.read_text()


def doc_pages() -> dict[str, str]:
    """docs/*.md but the generated benchmarks page, which is checked as the source."""
    return {f"docs/{path.name}": path.read_text() for path in sorted(DOCS.glob("*.md"))
            if path.name != "benchmarks.md"}


# -- size, shape, links ------------------------------------------------------------------------


def test_the_readme_is_at_most_1400_words():
    words = len(readme().split())
    assert words <= MAX_WORDS, f"README.md has {words} words (at most {MAX_WORDS})"


def first_example_line(text: str) -> int | None:
    """The line of the opening fence of the first fenced block holding an aws, docker or pipx
    command."""
    for match in FENCE.finditer(text):
        commands = [line.strip().split()[0] for line in match.group(1).splitlines()
                    if line.strip() and not line.strip().startswith("#")]
        if any(word in ("aws", "docker", "pipx") for word in commands):
            return text.count("\n", 0, match.start()) + 1
    return None


def test_the_first_usage_example_is_within_the_first_60_lines():
    line = first_example_line(readme())
    assert line is not None and line <= FIRST_EXAMPLE_BY, line
    pushed_down = "\n" * FIRST_EXAMPLE_BY + readme()  # self-check: the same text, lower
    assert first_example_line(pushed_down) > FIRST_EXAMPLE_BY


def test_the_readme_names_make_demo_and_make_test():
    text = readme()
    assert "make demo" in text and "make test" in text


def relative_links(text: str) -> list[str]:
    targets = re.findall(r"\]\(([^)\s]+)[^)]*\)", text)  # [text](target)
    targets += re.findall(r"^\[[^\]]+\]:\s*(\S+)", text, re.MULTILINE)  # [ref]: target
    targets += re.findall(r"""(?:href|src)=["']([^"']+)""", text)
    return [target for target in targets if not target.startswith(("https://", "mailto:"))]


def test_the_readme_has_no_relative_links():
    assert relative_links(readme()) == []
    assert relative_links("See [the docs](docs/usage.md) and [x](#why).") == [
        "docs/usage.md", "#why"]


# -- commands, options, settings against the code ---------------------------------------------


def ecr2_commands() -> dict[str, set[str]]:
    """Each `aws ecr2` subcommand (cache's as "cache list") and its options, from the
    command classes' ARG_TABLEs."""
    import importlib

    from awscli_ecr_login_ext.cli.commands.ecr2 import Ecr2Command

    commands: dict[str, set[str]] = {"help": set()}
    for entry in Ecr2Command.SUBCOMMANDS:
        name = entry["name"]
        module = importlib.import_module(
            f"awscli_ecr_login_ext.cli.commands.{name.replace('-', '_')}")
        cls = next(value for value in vars(module).values()
                   if isinstance(value, type) and getattr(value, "NAME", None) == name)
        commands[name] = {f"--{arg['name']}" for arg in getattr(cls, "ARG_TABLE", [])}
        for sub in getattr(cls, "SUBCOMMANDS", []):
            commands[f"{name} {sub['name']}"] = {
                f"--{arg['name']}" for arg in sub["command_class"].ARG_TABLE}
    from awscli_ecr_login_ext.setup.redirect import REMOVE_COMMAND

    commands[REMOVE_COMMAND.split()[-1]] = set()  # the stand-in's `aws ecr2 uninstall`
    return commands


def aws_global_options() -> set[str]:
    """The global options of the suite's AWS CLIs, from their own cli.json."""
    options: set[str] = set()
    code = ("import awscli, json, os; print(' '.join(json.load(open(os.path.join("
            "os.path.dirname(awscli.__file__), 'data', 'cli.json')))['options']))")
    for cli in CLIS:
        if cli.python and Path(cli.python).exists() and cli.label in ("v1", "v2.36"):
            shown = subprocess.run([str(cli.python), "-c", code], capture_output=True, text=True,
                                   check=False)
            if shown.returncode == 0:
                options |= {f"--{name}" for name in shown.stdout.split()}
    require(options, "no AWS CLI to read the global options from")
    return options


def setup_commands() -> dict[str, set[str]]:
    from awscli_ecr_login_ext.setup.command import build_parser

    parser = build_parser()
    subparsers = next(action for action in parser._actions
                      if isinstance(action, argparse._SubParsersAction))
    commands = {name: {option for action in sub._actions for option in action.option_strings}
                for name, sub in subparsers.choices.items()}
    commands[""] = {option for action in parser._actions for option in action.option_strings}
    return commands


HELPER_ACTIONS = {"get", "store", "erase", "list", "version"}


def code_strings() -> str:
    return "\n".join(path.read_text() for path in
                     sorted((REPO / "awscli_ecr_login_ext").rglob("*.py")))


def command_lines(text: str) -> list[str]:
    """Fenced lines (continuations joined) and inline code spans."""
    lines = []
    for match in FENCE.finditer(text):
        lines += match.group(1).replace("\\\n", " ").splitlines()
    fenceless = FENCE.sub("", text)
    lines += INLINE.findall(fenceless)
    return lines


def unknown_names(text: str, ecr2: dict[str, set[str]], globals_: set[str],
                  setup: dict[str, set[str]], code: str) -> list[str]:
    """What the text names that the code does not have."""
    unknown = []
    every_option = globals_ | set().union(*ecr2.values()) | set().union(*setup.values())
    segments = [segment for line in command_lines(text) if not line.lstrip().startswith("#")
                for segment in line.split(" # ", 1)[0].split("|")]
    for segment in segments:
        words = segment.replace("'", " ").replace('"', " ").split()
        if words and words[0] in ecr2 and words[0] != "help":  # `login --tool` in prose
            words = ["aws", "ecr2", *words]
        for index, word in enumerate(words):
            rest = words[index + 1:]
            if word == "aws" and rest[:1] == ["ecr2"]:
                subs = [w for w in rest[1:3] if not w.startswith("-")]
                name = subs[0] if subs else "help"
                if name == "cache" and len(subs) > 1:
                    name = f"cache {subs[1]}"
                if name not in ecr2:
                    unknown.append(f"aws ecr2 {name}")
                    continue
                allowed = ecr2[name] | globals_
                unknown += [f"aws ecr2 {name} {w}" for w in rest if w.startswith("--")
                            and w.split("=")[0] not in allowed]
            elif word.endswith("awscli-ecr-login-ext") and not word.startswith("./"):
                sub = rest[0] if rest and not rest[0].startswith("-") else ""
                if sub not in setup:
                    unknown.append(f"awscli-ecr-login-ext {sub}")
                    continue
                unknown += [f"awscli-ecr-login-ext {sub} {w}" for w in rest
                            if w.startswith("--") and w not in setup[sub]]
            elif word == "docker-credential-ecr2" and rest and rest[0] not in HELPER_ACTIONS:
                unknown.append(f"docker-credential-ecr2 {rest[0]}")
    for span in INLINE.findall(FENCE.sub("", text)):
        for option in re.findall(r"^(--[a-z][a-z-]*)", span):  # `--option` alone in prose
            if option not in every_option:
                unknown.append(option)
    for name in set(re.findall(r"\b(ecr2_[a-z0-9_]+)\b", text)):
        if f'"{name}"' not in code and f"'{name}'" not in code and f"{name} =" not in code:
            unknown.append(name)
    for name in set(re.findall(r"\b(AWS_ECR2_[A-Z0-9_]+)\b", text)):
        if name not in code:
            unknown.append(name)
    return sorted(set(unknown))


@pytest.fixture(scope="module")
def the_code():
    return ecr2_commands(), aws_global_options(), setup_commands(), code_strings()


def test_what_the_readme_names_exists_in_the_code(the_code):
    assert unknown_names(readme(), *the_code) == []


def test_the_names_check_fails_on_names_the_code_lacks(the_code):
    mutated = readme() + (
        "\n```sh\naws ecr2 get-login --registry HOST --no-such-option\naws ecr2 frobnicate\n"
        "awscli-ecr-login-ext reinstall\nawscli-ecr-login-ext status --cli v1\n"
        "echo HOST | docker-credential-ecr2 fetch\n```\n"
        "Set `ecr2_no_such_setting`, `AWS_ECR2_NO_SUCH` or `--no-such-flag`.\n")
    assert unknown_names(mutated, *the_code) == sorted([
        "--no-such-flag", "AWS_ECR2_NO_SUCH", "aws ecr2 frobnicate",
        "aws ecr2 get-login --no-such-option", "awscli-ecr-login-ext reinstall",
        "awscli-ecr-login-ext status --cli", "docker-credential-ecr2 fetch",
        "ecr2_no_such_setting"])


# -- one value for one quantity ----------------------------------------------------------------

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10}


def number(text: str) -> float:
    return float(NUMBER_WORDS.get(text.lower(), text))


# A quantity: (a word every sentence stating it holds, the pattern capturing its value). A
# sentence states the quantity when it holds the key word and matches the pattern.
QUANTITIES = {
    "the life of an ECR token, hours": (r"token", r"\b(\d+)[- ]hours?\b"),
    "the cache's floor, minutes": (r"left|floor", r"\b(\d+) minutes\b"),
    "the number of AWS CLIs the suite runs": (
        r"CLIs", r"\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+) (?:AWS )?CLIs\b"),
    "a cached helper get, ms": (r"cached `docker-credential-ecr2 get`", r"takes about (\d+) ms"),
    "the Go helper's cached get, ms": (r"times the Go helper's", r"the Go helper's (\d+) ms"),
    "a cached helper get against the Go helper's, times": (
        r"Go helper", r"about ([\d.]+) times the Go helper's"),
    "a cold helper miss, s": (r"cold miss", r"about ([\d.]+) s\b"),
    "the Go helper's cold miss, ms": (r"cold miss", r"against the Go helper's (\d+) ms"),
    "concurrent cold gets making one API call": (
        r"one API call", r"\b(\d+) (?:helpers missing at once|concurrent cold `get`s)"),
    "our hit at 1,000 profiles against 4, times": (
        r"1,000 profiles", r"hit takes ([\d.]+) times the 4-profile hit"),
    "our mapped hit at 1,000 profiles against 4, times": (
        r"1,000 profiles", r"\(([\d.]+) with the registry mapped to a profile\)"),
    "the Go helper's hit at 1,000 profiles against 4, times": (
        r"1,000 profiles", r"the Go helper's grows to ([\d.]+) times"),
}


def sentences(text: str) -> list[str]:
    text = FENCE.sub("", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)  # markers for the tests, not prose
    text = re.sub(r"\s+", " ", text)
    return re.split(r"(?<=[.!?:;])\s+(?=[A-Z`*(])", text)


def stated(pages: dict[str, str]) -> dict[str, dict[float, list[str]]]:
    """Each quantity's values, each with the pages stating it."""
    found: dict[str, dict[float, list[str]]] = {name: {} for name in QUANTITIES}
    for page, text in pages.items():
        for sentence in sentences(text):
            for name, (key, pattern) in QUANTITIES.items():
                if re.search(key, sentence):
                    for value in re.findall(pattern, sentence):
                        found[name].setdefault(number(value), []).append(page)
    return found


def benchmark_figures() -> dict[str, float]:
    """The figures docs/benchmarks.md measured, for the quantities they are the source of."""
    text = (DOCS / "benchmarks.md").read_text()

    def row(title: str) -> list[str]:
        line = next(line for line in text.splitlines() if f"| {title} |" in line)
        return [cell.strip() for cell in line.strip("|").split("|")]

    def median(cell: str) -> float:
        return float(cell.split()[0])

    go = row("Helper hit vs Go helper")
    scale = {cells[0]: cells for cells in (
        [cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
        if re.match(r"^\| \d+ \| \d+ \| \d+ \|", line))}
    one = scale["1"]
    return {
        "a cached helper get, ms": median(go[5]),
        "the Go helper's cached get, ms": median(go[6]),
        "a cached helper get against the Go helper's, times": median(go[9]),
        "a cold helper miss, s": float(one[1]) / 1000,
        "the Go helper's cold miss, ms": float(one[2]),
        "concurrent cold gets making one API call": float(max(scale, key=int)),
        "our hit at 1,000 profiles against 4, times": median(
            row("Warm hit, 1000 SSO profiles vs 4: growth of our helper (registry unmapped)")[9]),
        "our mapped hit at 1,000 profiles against 4, times": median(row(
            "Warm hit, 1000 SSO profiles vs 4: growth of our helper (registry mapped to a "
            "profile)")[9]),
        "the Go helper's hit at 1,000 profiles against 4, times": median(
            row("Warm hit, 1000 SSO profiles vs 4: growth of the Go helper")[9]),
    }


def disagreements(pages: dict[str, str], measured: dict[str, float]) -> list[str]:
    problems = []
    for name, values in stated(pages).items():
        if len(values) > 1:
            problems.append(f"{name}: " + "; ".join(
                f"{value:g} in {', '.join(sorted(set(where)))}" for value, where in values.items()))
        if name in measured:
            for value, where in values.items():
                decimals = len(f"{value:g}".partition(".")[2])
                if round(measured[name], decimals) != value:
                    problems.append(f"{name}: {value:g} in {', '.join(sorted(set(where)))}, "
                                    f"docs/benchmarks.md measured {measured[name]:g}")
    return problems


def all_pages() -> dict[str, str]:
    return {"README.md": readme(), **doc_pages()}


def test_the_readme_and_docs_state_each_quantity_once_and_as_measured():
    found = stated(all_pages())
    for name in ("the life of an ECR token, hours", "the cache's floor, minutes",
                 "a cached helper get, ms", "a cold helper miss, s",
                 "our hit at 1,000 profiles against 4, times"):
        assert found[name], f"no page states {name}: the checker no longer sees it"
    assert disagreements(all_pages(), benchmark_figures()) == []


@pytest.mark.parametrize("stated, quantity", [
    (r"An ECR token lives (\d+) hours\.", "the life of an ECR token"),
    (r"less than (\d+) minutes left", "the cache's floor"),
    (r"takes about (\d+) ms", "a cached helper get, ms"),
    (r"hit takes ([\d.]+) times the 4-profile hit", "our hit at 1,000 profiles"),
])
def test_the_figures_check_fails_on_a_figure_stated_differently(stated, quantity):
    pages = all_pages()
    pages["README.md"] = re.sub(r"\s+", " ", pages["README.md"])  # as sentences() reads it
    found = re.search(stated, pages["README.md"])
    assert found, f"the README no longer says {stated!r}"
    changed = f"{number(found.group(1)) + 10:g}"
    pages["README.md"] = (pages["README.md"][:found.start(1)] + changed
                          + pages["README.md"][found.end(1):])
    problems = disagreements(pages, benchmark_figures())
    assert any(problem.startswith(quantity) for problem in problems), problems


def test_the_figures_check_fails_on_another_number_of_clis():
    pages = {**all_pages(), "docs/extra.md": "The suite runs on six AWS CLIs."}
    assert any(p.startswith("the number of AWS CLIs") for p in disagreements(pages, {}))


# -- the Upgrade and Uninstall procedures, as written ------------------------------------------


def block_under(heading: str, text: str | None = None) -> str:
    """The first fenced sh block of the README's section ``heading``."""
    text = readme() if text is None else text
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```sh\n(.*?)^```\n", section, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no ```sh block under ## {heading}"
    return match.group(1)


def dangling_helpers(docker_config: Path, path: str) -> list[str]:
    """credHelpers entries whose docker-credential-<name> is on no directory of ``path``."""
    if not docker_config.exists():
        return []
    helpers = json.loads(docker_config.read_text()).get("credHelpers", {})
    return sorted(f"{host} = {name}" for host, name in helpers.items()
                  if shutil.which(f"docker-credential-{name}", path=path) is None)


def test_the_dangling_helpers_check_sees_one(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"a.example": "ecr2", "b.example": "nope"},
                                  "credsStore": "desktop"}))
    (tmp_path / "bin").mkdir()
    helper = tmp_path / "bin" / "docker-credential-ecr2"
    helper.write_text("#!/bin/sh\n")
    helper.chmod(0o755)
    assert dangling_helpers(config, str(tmp_path / "bin")) == ["b.example = nope"]
    helper.unlink()
    assert len(dangling_helpers(config, str(tmp_path / "bin"))) == 2


UNINSTALL = "awscli-ecr-login-ext uninstall"


def uninstall_docker_step(text: str | None = None) -> str:
    """The lines of the README's Uninstall block before `awscli-ecr-login-ext uninstall`:
    docker's step, which must be there, with `pipx uninstall` last."""
    lines = block_under("Uninstall", text).splitlines()
    assert UNINSTALL in lines, f"README.md's Uninstall block does not run `{UNINSTALL}`"
    at = lines.index(UNINSTALL)
    assert any(line.startswith("pipx uninstall ") for line in lines[at + 1:]), (
        f"README.md's Uninstall block has no `pipx uninstall` after `{UNINSTALL}`")
    assert any(line.strip() and not line.startswith("#") for line in lines[:at]), (
        f"README.md's Uninstall block drops nothing of docker's before `{UNINSTALL}`")
    return "\n".join(lines[:at]) + "\n"


def test_the_uninstall_check_fails_without_the_docker_step():
    block = block_under("Uninstall")
    without = block.replace(uninstall_docker_step(), "", 1)
    with pytest.raises(AssertionError, match="drops nothing of docker's"):
        uninstall_docker_step(readme().replace(block, without, 1))


def test_the_uninstall_blocks_docker_step_drops_only_ecr2s_credhelpers(aws_home, cli):
    """Its docker step alone, with each CLI as `aws`, on a config.json holding other helpers
    and keys too, under DOCKER_CONFIG too, and with no docker config at all."""
    script = uninstall_docker_step()
    bin_dir = aws_home.root / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").symlink_to(cli.executable)
    env = {**aws_home.env, "PATH": os.pathsep.join([str(bin_dir), aws_home.env["PATH"]])}

    def run(**more: str) -> None:
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], env={**env, **more},
                              cwd=aws_home.root, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=120)
        assert done.returncode == 0, done.stderr

    docker = aws_home.root / ".docker"
    docker.mkdir()
    kept = {"auths": {"other.example": {}}, "credsStore": "desktop"}
    (docker / "config.json").write_text(json.dumps({**kept, "credHelpers": {
        "1.dkr.ecr.eu-west-1.amazonaws.com": "ecr2", "gcr.io": "gcloud"}}))
    run()
    assert json.loads((docker / "config.json").read_text()) == {
        **kept, "credHelpers": {"gcr.io": "gcloud"}}
    elsewhere = aws_home.root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text(json.dumps({"credHelpers": {"x": "ecr2"}}))
    run(DOCKER_CONFIG=str(elsewhere))
    assert json.loads((elsewhere / "config.json").read_text()) == {}  # emptied: dropped
    nothing = aws_home.root / "none"
    run(DOCKER_CONFIG=str(nothing))  # no docker config: nothing to do
    assert not nothing.exists()


def push_docker_manifest(registry, name: str, tag: str) -> str:
    """The registry's tiny image again, under a Docker schema 2 manifest: `docker manifest
    inspect` reads no OCI manifest, and there is no daemon for a `docker pull`."""
    import urllib.parse

    layout, _ = registry.build_oci_layout(tag)
    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    oci = json.loads((blobs / index["manifests"][0]["digest"].split(":", 1)[1]).read_bytes())
    for item in [oci["config"], *oci["layers"]]:
        _, headers = registry._request("POST", f"/v2/{name}/blobs/uploads/")
        location = headers["Location"]
        joiner = "&" if "?" in location else "?"
        registry._request("PUT", f"{location}{joiner}digest="
                          f"{urllib.parse.quote(item['digest'], safe='')}",
                          (blobs / item["digest"].split(":", 1)[1]).read_bytes(),
                          {"Content-Type": "application/octet-stream"})
    docker = "application/vnd.docker."
    manifest = {
        "schemaVersion": 2, "mediaType": f"{docker}distribution.manifest.v2+json",
        "config": {**oci["config"], "mediaType": f"{docker}container.image.v1+json"},
        "layers": [{**layer, "mediaType": f"{docker}image.rootfs.diff.tar.gzip"}
                   for layer in oci["layers"]]}
    status, _ = registry._request("PUT", f"/v2/{name}/manifests/{tag}",
                                  json.dumps(manifest).encode(),
                                  {"Content-Type": manifest["mediaType"]})
    assert status == 201
    return f"{registry.host}/{name}:{tag}"


def test_the_readme_upgrade_then_uninstall_keep_docker_working_and_leave_nothing_dangling(
        tmp_path):
    """pipx installs an older wheel (the index is a find-links directory), the README's quick
    start sets it up beside AWS CLI v2 and configure-docker points docker at the helper; docker
    reads a manifest from a real registry through docker-credential-ecr2. Then the README's
    Upgrade block (pipx upgrade to the current wheel), docker again, on a warm and on a cold
    cache; then its Uninstall block: nothing in ~/.docker/config.json names a missing helper,
    and the AWS CLI runs as before."""
    from tests.conftest import registry_behind_fake_ecr
    from tests.installs import PACKAGE, built_wheel, pipx_command, pipx_env
    from tests.test_plugin_survival import wheel_with_version

    docker = shutil.which("docker")
    require(docker, "docker CLI not installed")
    pipx = pipx_command("debian")
    v2 = next(cli for cli in CLIS if cli.label == "v2.36")
    require(v2.executable.exists(), f"AWS CLI {v2.label} not found")
    wheels = tmp_path / "index"
    wheels.mkdir()
    wheel_with_version(built_wheel(), "0.0.1", wheels)
    root = tmp_path / "pipx"
    env = pipx_env(root)
    home = Path(env["HOME"])
    aws_bin = tmp_path / "aws-bin"
    aws_bin.mkdir()
    (aws_bin / "aws").symlink_to(v2.executable)
    aws_home = AwsHome(tmp_path / "unused", "")
    (home / ".aws").mkdir()
    shutil.copy(aws_home.credentials_file, home / ".aws" / "credentials")
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    env["PIP_FIND_LINKS"] = f"{wheels} {REPO / '.wheelhouse'}"
    env["PATH"] = os.pathsep.join([str(root / "bin"), str(aws_bin), "/usr/bin", "/bin"])
    env.pop("DOCKER_CONFIG", None)

    def sh(script: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], env=env, cwd=home,
                              capture_output=True, text=True, timeout=600, check=False,
                              stdin=subprocess.DEVNULL)
        assert not check or done.returncode == 0, f"{script}\n{done.stdout}{done.stderr}"
        return done

    password = "upgrade-Pa55word"
    ecr_host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    with registry_behind_fake_ecr(tmp_path / "servers", password) as (registry, ecr):
        env["AWS_ENDPOINT_URL"] = ecr.url
        (home / ".aws" / "config").write_text(
            f"[default]\nregion = eu-west-1\necr2_registry_aliases =\n"
            f"    {registry.host} = {ecr_host}\n")
        image = push_docker_manifest(registry, "hello", "docker")
        # What the README's quick start does, with `pipx install NAME` as it will be on PyPI.
        sh(f"{pipx} install {PACKAGE}")
        sh("awscli-ecr-login-ext install --cli v2")
        sh(f"aws ecr2 configure-docker --registry {registry.host}")
        assert sh("awscli-ecr-login-ext --version").stdout.strip() == "0.0.1"

        def docker_reads() -> None:
            shown = sh(f"docker manifest inspect --insecure {image}")
            assert json.loads(shown.stdout)["schemaVersion"] == 2
            assert password not in shown.stdout + shown.stderr

        docker_reads()
        assert len(ecr.requests) == 1
        shutil.copy(built_wheel(), wheels)  # the current release reaches the index

        sh(block_under("Upgrade").replace("pipx ", f"{pipx} "))
        assert sh("awscli-ecr-login-ext --version").stdout.strip() != "0.0.1"
        docker_reads()  # the cache the older release filled still answers
        assert len(ecr.requests) == 1
        sh("aws ecr2 cache clear")
        docker_reads()  # a miss: the helper runs aws, which loads the upgraded package
        assert len(ecr.requests) == 2
        hit = sh(f"echo {ecr_host} | docker-credential-ecr2 get")
        assert json.loads(hit.stdout)["Secret"] == password

        docker_config = home / ".docker" / "config.json"
        assert dangling_helpers(docker_config, env["PATH"]) == []
        assert json.loads(docker_config.read_text())["credHelpers"] == {registry.host: "ecr2"}
        sh(block_under("Uninstall").replace("pipx ", f"{pipx} "))
        assert not (root / "bin" / "docker-credential-ecr2").exists()
        assert dangling_helpers(docker_config, env["PATH"]) == []
        assert "[plugins]" not in (home / ".aws" / "config").read_text()
        assert sh("aws --version").stderr == ""
        pulled = sh(f"docker manifest inspect --insecure {image}", check=False)
        assert "docker-credential-ecr2" not in pulled.stdout + pulled.stderr
