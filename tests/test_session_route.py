"""The CLI's botocore session goes down the floors: each module of ours takes it once.

A real ``aws ecr2`` command runs inside the CLI's own Python with a profiler that notes, while
the command's ``_run_main`` runs, every call into this package whose arguments hold a botocore
``Session`` (or a command holding one). The modules those calls enter, in order, make the
session's route: a module that takes the session, hands it elsewhere and is later entered with
it again is the back-and-forth this test forbids (a get-login once walked cli/service and
cli/adapter in turn six times).
"""

from __future__ import annotations

import json

import pytest

from tests import test_registry_profiles_cli as profiles
from tests.conftest import run_python
from tests.test_registry_profiles_cli import OTHER, PROD, TOOLS, password

# Three registries: TOOLS and PROD mapped to profiles of their own, OTHER signed by the default.
ecr = pytest.fixture(profiles.ecr.__wrapped__, name="ecr")
home = pytest.fixture(profiles.home.__wrapped__, name="home")

# Runs the CLI's own driver, as `aws ARGS` would, with the profiler on: the route is written to
# ECR2_ROUTE_OUT as [[module, function], ...], one row each time the session enters a module.
ROUTE_RECORDER = r'''
import json, os, sys, threading
os.environ["AWS_CONFIG_FILE"] = os.environ["ECR2_ROUTE_CONFIG"]
from awscli.clidriver import create_clidriver
import botocore.session

PACKAGE = "awscli_ecr_login_ext"
route, running = [], [0]

def holds_session(value):
    return isinstance(value, botocore.session.Session) or isinstance(
        getattr(value, "_session", None), botocore.session.Session)

def note(frame, event, arg):
    module = frame.f_globals.get("__name__", "")
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return
    code = frame.f_code
    if code.co_name == "_run_main":
        running[0] += {"call": 1, "return": -1}.get(event, 0)
    if event != "call" or not running[0]:
        return
    arguments = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    if any(holds_session(frame.f_locals.get(name)) for name in arguments):
        if not route or route[-1][0] != module:
            route.append([module, code.co_name])

sys.setprofile(note)
threading.setprofile(note)
status = create_clidriver().main(sys.argv[1:])
sys.setprofile(None)
threading.setprofile(None)
with open(os.environ["ECR2_ROUTE_OUT"], "w") as out:
    json.dump(route, out)
sys.stdout.flush()
sys.exit(status)
'''


def route_of(home, cli, tmp_path, *args: str) -> tuple[list[list[str]], str]:
    """The session's route through our modules while ``aws ARGS`` runs, and its stdout."""
    out = tmp_path / "route.json"
    env = {**home.env, "ECR2_ROUTE_CONFIG": str(home.config_file), "ECR2_ROUTE_OUT": str(out)}
    result = run_python(cli, ROUTE_RECORDER, *args, env=env)
    return json.loads(out.read_text()), result.stdout


def modules_entered_again(route: list[list[str]]) -> list[str]:
    seen: set[str] = set()
    again = []
    for module, _ in route:
        if module in seen:
            again.append(module)
        seen.add(module)
    return again


COMMANDS = {
    # three registries, two of them mapped to other profiles, with the cache: every part of
    # a get-login that touches the session (mapped sessions, the cache key's chain, clients)
    "get-login": ["get-login", "--cache", "--registry", TOOLS, PROD, OTHER],
    "get-login-password": ["get-login-password", "--registry", PROD],
    "get-login-password default registry": ["get-login-password", "--no-cache"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_the_session_enters_each_module_once(home, cli, ecr, tmp_path, command):
    route, stdout = route_of(home, cli, tmp_path, "ecr2", *COMMANDS[command],
                             "--endpoint-url", ecr.url)
    modules = [module for module, _ in route]
    # The command got its logins: the route is that of a command that worked.
    if command == "get-login":
        logins = json.loads(stdout)["Logins"]
        assert [login["Password"] for login in logins] == [
            password("tools-user"), password("prod-user"), password("default-user")]
    elif command == "get-login-password":
        assert stdout == password("prod-user") + "\n"
    else:
        assert stdout == password("default-user") + "\n"
    assert modules[0].startswith("awscli_ecr_login_ext.cli.commands."), route
    assert "awscli_ecr_login_ext.cli.service" in modules, route
    assert modules_entered_again(route) == [], "\n".join(map(".".join, route))
