from __future__ import annotations

import copy
import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
from awscli_ecr_login_ext.cache.secure_dir import CacheError, loads
from awscli_ecr_login_ext.cache.token_cache import TokenCache
from awscli_ecr_login_ext.identity.principal import Identity
from tests.conftest import require

REPO_ROOT = Path(__file__).resolve().parent.parent
POSIX = os.name == "posix"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX permissions")
NOW = 1_700_000_000.0
HOURS_12 = 12 * 3600.0


def ident(name: str = "dev") -> Identity:
    return Identity(key=f"profile:{name}-hash", label=f"profile:{name}")


def make_key(**overrides) -> CacheKey:
    fields = {
        "partition": "aws",
        "region": "eu-west-1",
        "variant": "standard",
        "public": False,
        "identity": ident(),
    }
    fields.update(overrides)
    return CacheKey(**fields)


def make_token(
    fetched_at: float = NOW, lifetime: float = HOURS_12, value: str = "dG9rZW4="
) -> CachedToken:
    return CachedToken(
        token=value,
        expires_at=fetched_at + lifetime,
        fetched_at=fetched_at,
        proxy_endpoint="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    )


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def debug_lines() -> list[str]:
    return []


@pytest.fixture
def cache(tmp_path, clock, debug_lines) -> TokenCache:
    return TokenCache(tmp_path / "cache", clock=clock, debug=debug_lines.append)


def entry_path(cache: TokenCache, key: CacheKey) -> Path:
    return Path(cache.directory) / key.filename()


# -- keys -----------------------------------------------------------------------------------


def test_filename_is_sha256_json_and_stable():
    name = make_key().filename()
    assert len(name) == 69 and name.endswith(".json")
    assert make_key().filename() == name
    # the label is informational, only identity.key counts
    relabelled = make_key(identity=Identity(key=ident().key, label="profile:other"))
    assert relabelled.filename() == name


@pytest.mark.parametrize(
    "change",
    [
        {"partition": "aws-cn"},
        {"region": "us-east-1"},
        {"variant": "fips"},
        {"variant": "dualstack"},
        {"variant": "fips-dualstack"},
        {"public": True},
        {"identity": ident("prod")},
        {"endpoint_url": "http://localhost:5000"},
    ],
)
def test_every_field_changes_the_filename(change):
    assert make_key(**change).filename() != make_key().filename()


def test_unknown_variant_rejected():
    with pytest.raises(ValueError):
        make_key(variant="weird")


def test_token_repr_hides_token():
    assert "dG9rZW4=" not in repr(make_token())


# -- round trip and freshness -----------------------------------------------------------------


def test_put_get_round_trip(cache):
    key, token = make_key(), make_token()
    assert cache.get(key) is None
    assert cache.put(key, token) is True
    assert cache.get(key) == token
    assert cache.get_unexpired(key) == token
    assert cache.get(make_key(region="us-east-1")) is None
    assert cache.get(make_key(identity=ident("prod"))) is None
    assert cache.get(make_key(endpoint_url="http://localhost:5000")) is None


def test_file_format(cache):
    key = make_key()
    cache.put(key, make_token())
    doc = json.loads(entry_path(cache, key).read_text())
    assert doc == {
        "version": 1,
        "for": {
            "partition": "aws",
            "region": "eu-west-1",
            "variant": "standard",
            "public": False,
            "identity": "profile:dev-hash",
            "identity_label": "profile:dev",
            "endpoint_url": None,
        },
        "token": "dG9rZW4=",
        "expires_at": NOW + HOURS_12,
        "fetched_at": NOW,
        "proxy_endpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    }


def test_half_life_rule(cache, clock):
    key = make_key()
    assert cache.put(key, make_token())
    clock.now = NOW + HOURS_12 / 2 - 1
    assert cache.get(key) is not None
    clock.now = NOW + HOURS_12 / 2 + 1
    assert cache.get(key) is None
    assert cache.get_unexpired(key) is not None  # degraded service still possible
    clock.now = NOW + HOURS_12
    assert cache.get_unexpired(key) is None  # expired: never
    assert cache.get(key) is None


def test_min_ttl_rule(tmp_path, clock):
    cache = TokenCache(tmp_path / "c", min_ttl=3600, clock=clock)
    key = make_key()
    assert cache.put(key, make_token())
    clock.now = NOW + HOURS_12 - 3601
    assert cache.get(key) is not None
    clock.now = NOW + HOURS_12 - 3599
    assert cache.get(key) is None
    assert cache.get_unexpired(key) is not None


FLOOR = 15 * 60.0


@pytest.mark.parametrize("min_ttl", [None, 0, 60, FLOOR - 1])
def test_an_entry_under_the_floor_is_never_served(tmp_path, clock, min_ttl):
    """Whatever the profile's minimum (none, or one below the floor), an entry with less than
    15 minutes left is not served, even one with more than half its short lifetime left; the
    degraded-service fallback may still use it while it is unexpired."""
    cache = TokenCache(tmp_path / "c", min_ttl=min_ttl, clock=clock)
    key = make_key()
    assert cache.put(key, make_token(lifetime=FLOOR + 60))
    assert cache.servable(make_token(lifetime=FLOOR + 60), NOW + 60)
    clock.now = NOW + 61
    assert cache.get(key) is None  # 14:59 of 16 minutes left
    assert cache.get_unexpired(key) is not None
    assert not cache.servable(make_token(lifetime=7 * 60), NOW + 3 * 60)  # 4 of 7 left


@pytest.mark.parametrize("min_ttl", [None, 0, 300])
def test_a_token_with_less_than_the_floor_left_is_not_stored(tmp_path, clock, min_ttl):
    cache = TokenCache(tmp_path / "c", min_ttl=min_ttl, clock=clock)
    key = make_key()
    assert cache.put(key, make_token(lifetime=10 * 60)) is False
    assert cache.put(key, make_token(lifetime=FLOOR - 1)) is False
    assert not entry_path(cache, key).exists()
    assert cache.put(key, make_token(lifetime=FLOOR)) is True


def test_a_min_ttl_above_the_floor_raises_it(tmp_path, clock):
    cache = TokenCache(tmp_path / "c", min_ttl=2 * FLOOR, clock=clock)
    key = make_key()
    assert cache.put(key, make_token(lifetime=2 * FLOOR - 1)) is False
    assert cache.put(key, make_token(lifetime=2 * FLOOR + 10)) is True
    clock.now = NOW + 10
    assert cache.get(key) is not None
    clock.now = NOW + 11
    assert cache.get(key) is None


def test_the_half_life_rule_still_holds_above_the_floor(cache, clock):
    key = make_key()
    assert cache.put(key, make_token(lifetime=4 * FLOOR))
    clock.now = NOW + 2 * FLOOR  # half of an hour left: still served
    assert cache.get(key) is not None
    clock.now = NOW + 2 * FLOOR + 1
    assert cache.get(key) is None


def test_a_min_ttl_below_the_floor_says_so_in_the_debug_log(tmp_path):
    lines: list[str] = []
    TokenCache(tmp_path / "c", min_ttl=60, debug=lines.append)
    assert lines == [("token cache: ecr2_cache_min_ttl 60s is below the floor of 900s; "
                      "using 900s")]
    lines.clear()
    TokenCache(tmp_path / "c", min_ttl=3600, debug=lines.append)
    TokenCache(tmp_path / "c", debug=lines.append)
    assert lines == []


def test_zero_min_ttl_never_serves_expired(tmp_path, clock):
    cache = TokenCache(tmp_path / "c", min_ttl=0, clock=clock)
    key = make_key()
    assert cache.put(key, make_token())
    clock.now = NOW + HOURS_12
    assert cache.get(key) is None
    assert cache.get_unexpired(key) is None


def test_expired_or_short_tokens_not_stored(cache, clock, tmp_path):
    key = make_key()
    assert cache.put(key, make_token(fetched_at=NOW - HOURS_12 - 5)) is False  # expired
    assert cache.put(key, make_token(fetched_at=NOW - HOURS_12 * 0.75)) is False  # < half left
    assert not entry_path(cache, key).exists()
    strict = TokenCache(tmp_path / "c2", min_ttl=3600, clock=clock)
    assert strict.put(key, make_token(lifetime=1800)) is False
    assert strict.put(key, make_token(lifetime=7200)) is True


def test_invalid_token_values_not_stored(cache):
    key = make_key()
    assert cache.put(key, make_token(value="")) is False
    bad = CachedToken(token="x", expires_at=float("inf"), fetched_at=NOW, proxy_endpoint=None)
    assert cache.put(key, bad) is False


# -- permissions ------------------------------------------------------------------------------


@posix_only
def test_modes(tmp_path, clock):
    old = os.umask(0)
    try:
        cache = TokenCache(tmp_path / "a" / "b" / "cache", clock=clock)
        key = make_key()
        assert cache.put(key, make_token())
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(entry_path(cache, key)).st_mode) == 0o600
    cache.fetch(make_key(region="us-east-1"), make_token)
    for path in Path(cache.directory).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert not path.name.endswith(".tmp")


def test_default_directory_from_environment(tmp_path):
    assert TokenCache(environ={"HOME": str(tmp_path)}).directory == str(
        tmp_path / ".aws" / "ecr2" / "cache"
    )
    custom = tmp_path / "custom"
    env = {"HOME": str(tmp_path), "AWS_ECR2_CACHE_DIR": str(custom)}
    assert TokenCache(environ=env).directory == str(custom)


@posix_only
def test_group_or_world_writable_directory_refused(cache):
    key = make_key()
    assert cache.put(key, make_token())
    os.chmod(cache.directory, 0o777)
    for call in (
        lambda: cache.get(key),
        lambda: cache.put(key, make_token()),
        lambda: cache.fetch(key, make_token),
        cache.entries,
    ):
        with pytest.raises(CacheError) as excinfo:
            call()
        message = str(excinfo.value)
        assert "\n" not in message
        assert message == (
            f"Refusing to use the token cache directory {cache.directory}: it is writable by "
            f"other users (mode 0777). Run: chmod 700 {cache.directory}"
        )
    os.chmod(cache.directory, 0o720)
    with pytest.raises(CacheError):
        cache.get(key)


@posix_only
def test_directory_owned_by_another_user_refused(cache):
    require(os.getuid() == 0, "needs root to chown")
    assert cache.put(make_key(), make_token())
    os.chown(cache.directory, 4242, -1)
    with pytest.raises(CacheError, match="owned by another user"):
        cache.get(make_key())


@posix_only
def test_readable_directory_is_accepted(cache):
    assert cache.put(make_key(), make_token())
    os.chmod(cache.directory, 0o755)
    assert cache.get(make_key()) is not None


def test_missing_directory_is_a_miss_and_not_created(cache):
    assert cache.get(make_key()) is None
    assert cache.entries() == []
    assert cache.remove(lambda d: True) == 0
    assert not os.path.exists(cache.directory)


def test_directory_is_a_file(tmp_path, debug_lines, clock):
    (tmp_path / "file").write_text("x")
    cache = TokenCache(tmp_path / "file", debug=debug_lines.append, clock=clock)
    assert cache.get(make_key()) is None
    assert cache.put(make_key(), make_token()) is False
    token, hit = cache.fetch(make_key(), make_token)
    assert (token, hit) == (make_token(), False)


# -- invalid entries: ignored, then replaced ---------------------------------------------------


def _valid_doc(key: CacheKey) -> dict:
    return {
        "version": 1,
        "for": key.descriptor(),
        "token": "dG9rZW4=",
        "expires_at": NOW + HOURS_12,
        "fetched_at": NOW,
        "proxy_endpoint": None,
    }


def _write_raw(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def _bad_entries(key: CacheKey) -> dict:
    valid = _valid_doc(key)
    text = json.dumps(valid).encode()
    other_key = make_key(region="us-east-1")
    cases = {
        "corrupt": b"\x00\xffnot json{",
        "truncated": text[: len(text) // 2],
        "empty": b"",
        "wrong-version": json.dumps({**valid, "version": 2}).encode(),
        "version-true": json.dumps({**valid, "version": True}).encode(),
        "extra-key": json.dumps({**valid, "extra": 1}).encode(),
        "missing-key": json.dumps(
            {k: v for k, v in valid.items() if k != "proxy_endpoint"}
        ).encode(),
        "token-not-str": json.dumps({**valid, "token": 12}).encode(),
        "expires-str": json.dumps({**valid, "expires_at": "soon"}).encode(),
        "expires-nan": text.replace(str(NOW + HOURS_12).encode(), b"NaN"),
        "huge-int": text.replace(str(NOW + HOURS_12).encode(), b"1" + b"0" * 400),
        "public-int": json.dumps({**valid, "for": {**valid["for"], "public": 0}}).encode(),
        "for-other-key": json.dumps({**valid, "for": other_key.descriptor()}).encode(),
        "not-object": b"[1, 2, 3]",
        "deep": b"[" * 100000,
    }
    return cases


@pytest.mark.parametrize("case", sorted(_bad_entries(make_key())))
def test_invalid_entry_ignored_then_replaced(cache, debug_lines, case):
    key = make_key()
    path = entry_path(cache, key)
    _write_raw(path, _bad_entries(key)[case])
    assert cache.get(key) is None
    assert cache.get_unexpired(key) is None
    assert cache.entries() == []
    assert any("ignoring" in line for line in debug_lines)
    assert cache.put(key, make_token())
    assert cache.get(key) == make_token()


@posix_only
def test_too_permissive_entry_ignored_then_replaced(cache, debug_lines):
    key = make_key()
    path = entry_path(cache, key)
    _write_raw(path, json.dumps(_valid_doc(key)).encode(), mode=0o644)
    assert cache.get(key) is None
    assert cache.entries() == []
    assert any("too open" in line for line in debug_lines)
    assert cache.put(key, make_token())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache.get(key) is not None


@posix_only
def test_entry_owned_by_another_user_ignored(cache, debug_lines):
    require(os.getuid() == 0, "needs root to chown")
    key = make_key()
    assert cache.put(key, make_token())
    os.chown(entry_path(cache, key), 4242, -1)
    assert cache.get(key) is None
    assert any("another user" in line for line in debug_lines)
    assert cache.put(key, make_token())
    assert cache.get(key) is not None


@pytest.mark.skipif(not hasattr(os, "symlink") or not POSIX, reason="symlinks")
def test_symlink_entry_ignored_then_replaced(cache, tmp_path, debug_lines):
    key = make_key()
    target = tmp_path / "elsewhere.json"
    _write_raw(target, json.dumps(_valid_doc(key)).encode())
    path = entry_path(cache, key)
    path.parent.mkdir(mode=0o700, parents=True)
    path.symlink_to(target)
    assert cache.get(key) is None
    assert any("symlink" in line for line in debug_lines)
    assert cache.put(key, make_token(value="bmV3"))
    assert not path.is_symlink()
    assert cache.get(key).token == "bmV3"
    assert json.loads(target.read_text())["token"] == "dG9rZW4="  # target untouched


@posix_only
def test_fifo_entry_does_not_hang(cache):
    key = make_key()
    path = entry_path(cache, key)
    path.parent.mkdir(mode=0o700, parents=True)
    os.mkfifo(path, 0o600)
    assert cache.get(key) is None


def test_entry_renamed_to_other_key_ignored_by_entries(cache):
    key = make_key()
    assert cache.put(key, make_token())
    os.replace(entry_path(cache, key), entry_path(cache, make_key(region="us-east-1")))
    assert cache.entries() == []
    assert cache.get(make_key(region="us-east-1")) is None


def test_debug_never_contains_token(cache, clock, debug_lines):
    key = make_key()
    secret = "U0VDUkVUVE9LRU4="
    cache.put(key, make_token(value=secret))
    cache.get(key)
    clock.now = NOW + HOURS_12 * 0.9
    cache.get(key)
    _write_raw(
        entry_path(cache, key), json.dumps({**_valid_doc(key), "token": secret})[:-3].encode()
    )
    cache.get(key)
    assert debug_lines
    assert not any(secret in line for line in debug_lines)


# -- entries() and remove() -------------------------------------------------------------------


def test_entries_and_remove(cache):
    keys = [make_key(), make_key(region="us-east-1"), make_key(identity=ident("prod"), public=True)]
    for i, key in enumerate(keys):
        assert cache.put(key, make_token(value=f"dG9r{i}"))
        cache.fetch(key, make_token)  # hit, but leaves no lock; make one below
    cache.fetch(make_key(region="ap-south-1"), make_token)  # creates a .lock too
    Path(cache.directory, "junk.txt").write_text("ignored")
    listed = cache.entries()
    assert len(listed) == 4
    assert sorted(key.filename() for key, _ in listed) == sorted(
        key.filename() for key in [*keys, make_key(region="ap-south-1")])
    for key, token in listed:
        assert isinstance(key, CacheKey) and isinstance(token, CachedToken)
    [public] = [key for key, _ in listed if key.public]
    assert public == keys[2]  # the identity's label too
    assert (public.fips, public.dualstack) == (False, False)
    assert cache.remove(lambda k: k.identity.label == "profile:prod") == 1
    assert cache.get(keys[2]) is None
    assert cache.remove(lambda k: k.region == "ap-south-1") == 1
    assert not Path(cache.directory, make_key(region="ap-south-1").filename() + ".lock").exists()
    assert len(cache.entries()) == 2
    assert cache.remove(lambda d: True) == 2
    assert cache.entries() == []
    assert Path(cache.directory, "junk.txt").exists()


# -- fetch --------------------------------------------------------------------------------------


def test_fetch_miss_then_hit(cache):
    calls = []

    def fetcher():
        calls.append(1)
        return make_token()

    assert cache.fetch(make_key(), fetcher) == (make_token(), False)
    assert cache.fetch(make_key(), fetcher) == (make_token(), True)
    assert len(calls) == 1


def test_fetch_returns_unstorable_token_without_caching(cache):
    short = make_token(fetched_at=NOW - HOURS_12 * 0.75)
    assert cache.fetch(make_key(), lambda: short) == (short, False)
    assert cache.get_unexpired(make_key()) is None


def test_fetch_exception_propagates_and_releases_lock(cache):
    def boom():
        raise RuntimeError("api down")

    with pytest.raises(RuntimeError):
        cache.fetch(make_key(), boom)
    start = time.monotonic()
    assert cache.fetch(make_key(), make_token, wait=5) == (make_token(), False)
    assert time.monotonic() - start < 1


_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
    from awscli_ecr_login_ext.cache.token_cache import TokenCache
    from awscli_ecr_login_ext.identity.principal import Identity

    cache_dir, counter, go, ready, sleep = sys.argv[1:6]
    key = CacheKey("aws", "eu-west-1", "standard", False, Identity("profile:x", "profile:x"))

    def fetcher():
        with open(counter, "a") as f:
            f.write(f"{os.getpid()}\\n")
        time.sleep(float(sleep))
        now = time.time()
        return CachedToken(f"tok-{os.getpid()}", now + 43200, now, "https://example")

    open(os.path.join(ready, str(os.getpid())), "w").close()
    while not os.path.exists(go):
        time.sleep(0.001)
    token, hit = TokenCache(cache_dir).fetch(key, fetcher, wait=60)
    print(json.dumps({"token": token.token, "hit": hit}))
    """
)
_CHILD_KEY = CacheKey("aws", "eu-west-1", "standard", False, Identity("profile:x", "profile:x"))


def _spawn(tmp_path: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    args = [
        str(tmp_path / "cache"),
        str(tmp_path / "counter"),
        str(tmp_path / "go"),
        str(tmp_path / "ready"),
        str(sleep),
    ]
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args], env=env, stdout=subprocess.PIPE, text=True
    )


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_single_flight_across_processes(tmp_path):
    (tmp_path / "ready").mkdir()
    procs = [_spawn(tmp_path, sleep=0.3) for _ in range(20)]
    try:
        _wait_for(lambda: len(os.listdir(tmp_path / "ready")) == 20)
        (tmp_path / "go").touch()
        results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert all(p.returncode == 0 for p in procs)
    assert len((tmp_path / "counter").read_text().splitlines()) == 1
    assert len({r["token"] for r in results}) == 1
    assert sum(not r["hit"] for r in results) == 1


def test_hung_lock_holder_is_bypassed_after_wait(tmp_path):
    (tmp_path / "ready").mkdir()
    (tmp_path / "go").touch()
    holder = _spawn(tmp_path, sleep=3600)  # takes the lock, then hangs inside the fetcher
    try:
        _wait_for(lambda: (tmp_path / "counter").exists())
        cache = TokenCache(tmp_path / "cache")
        now = time.time()
        mine = make_token(fetched_at=now, value="bWluZQ==")
        start = time.monotonic()
        assert cache.fetch(_CHILD_KEY, lambda: mine, wait=1) == (mine, False)
        elapsed = time.monotonic() - start
        assert 0.9 <= elapsed < 5
        assert cache.get(_CHILD_KEY) == mine  # and it was still stored
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(not POSIX, reason="kill semantics")
def test_crashed_lock_holder_releases_lock(tmp_path):
    (tmp_path / "ready").mkdir()
    (tmp_path / "go").touch()
    holder = _spawn(tmp_path, sleep=3600)
    _wait_for(lambda: (tmp_path / "counter").exists())
    holder.kill()
    holder.wait()
    cache = TokenCache(tmp_path / "cache")
    mine = make_token(fetched_at=time.time())
    start = time.monotonic()
    assert cache.fetch(_CHILD_KEY, lambda: mine, wait=10) == (mine, False)
    assert time.monotonic() - start < 2


def test_core_imports_stay_light(tmp_path):
    code = textwrap.dedent(
        """
        import sys, time
        from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
        from awscli_ecr_login_ext.cache.token_cache import TokenCache
        from awscli_ecr_login_ext.identity.chain import chain_from_files
        chain, name = chain_from_files({"HOME": sys.argv[1]}, major=int, login=bool)
        ident = chain.resolve(name).identity
        key = CacheKey("aws", "eu-west-1", "standard", False, ident)
        cache = TokenCache(sys.argv[1] + "/cache")
        now = time.time()
        cache.put(key, CachedToken("dG9r", now + 43200, now, None))
        assert cache.get(key) is not None
        heavy = [m for m in sys.modules
                 if m.split(".")[0] in ("awscli", "botocore", "tempfile", "datetime")]
        print(",".join(heavy))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


# -- property: arbitrary bytes never raise --------------------------------------------------------


def test_arbitrary_entry_bytes_never_raise(tmp_path, clock):
    cache = TokenCache(tmp_path / "c", clock=clock)
    key = make_key()
    path = entry_path(cache, key)
    text = json.dumps(_valid_doc(key)).encode()

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.one_of(
            st.binary(max_size=600),
            # near-valid documents: a random slice/splice of a valid one
            st.tuples(
                st.integers(0, len(text)), st.integers(0, len(text)), st.binary(max_size=20)
            ).map(lambda t: text[: t[0]] + t[2] + text[t[1] :]),
        )
    )
    def check(data: bytes) -> None:
        _write_raw(path, data)
        got = cache.get(key)
        assert got is None or isinstance(got, CachedToken)
        cache.get_unexpired(key)
        for stored, token in cache.entries():
            assert isinstance(stored, CacheKey) and isinstance(token, CachedToken)

    check()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


def test_arbitrary_field_values_never_raise(tmp_path, clock):
    cache = TokenCache(tmp_path / "c", clock=clock)
    key = make_key()
    path = entry_path(cache, key)
    valid = _valid_doc(key)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(sorted(valid) + [f"for.{k}" for k in sorted(valid["for"])]), _JSON)
    def check(field: str, value) -> None:
        doc = json.loads(json.dumps(valid))
        if field.startswith("for."):
            doc["for"][field[4:]] = value
        else:
            doc[field] = value
        _write_raw(path, json.dumps(doc).encode())
        got = cache.get(key)
        assert got is None or isinstance(got, CachedToken)
        cache.entries()

    check()


# -- the hit path without json, hashlib or dataclasses ------------------------------------------


def test_filenames_are_those_of_earlier_versions():
    """Pinned: entries written by earlier versions (json.dumps + hashlib) keep being found."""
    key = CacheKey("aws", "eu-west-1", "fips-dualstack", False,
                   Identity("profile:abc", "profile:dev"), "http://127.0.0.1:9/\u00e9")
    assert key.filename() == "b617059c511d8b0ba74aead35e85360b46236a6b7e126d3e22d050a283b169f9.json"
    key = CacheKey("aws", "us-east-1", "standard", True, Identity("env:\u2028x", "env:x"))
    assert key.filename() == "8d996827a8e4361aa37e3b565c30b8de5f2b0481b883ed51c815be3710bb95c5.json"


ENTRYISH = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4),
        max_leaves=15,
    ).map(lambda doc: json.dumps({"doc": doc}).encode()),
    st.tuples(
        st.sampled_from([b'{"a": 1}', b'{"a": NaN, "b": -Infinity}', b"{}", b'{"\\ud800": "x"}',
                         b'{"a": 1} ', b'{"a": 1}\n\t\r', b'{"a": 1}\x0c', b'{"a": 1}}',
                         b'{"a": 1e999}', b'{"a": [1, 2.5, true, null]}',
                         b'{"a": "\xed\xa0\x80"}']),
        st.sampled_from([b"", b" ", b"\x00", b"\xef\xbb\xbf", b"\xff", b"x", b"{"]),
        st.booleans(),
    ).map(lambda t: t[1] + t[0] if t[2] else t[0] + t[1]),
)


def _outcome(load, data):
    try:
        return "value", repr(load(data))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return "raises", type(error), str(error)


@settings(max_examples=500)
@given(ENTRYISH)
def test_entry_reader_is_json_loads(data):
    assert _outcome(loads, data) == _outcome(json.loads, data)


def test_reading_an_entry_imports_no_json_hashlib_or_dataclasses(tmp_path):
    cache = TokenCache(tmp_path / "cache", clock=lambda: NOW)
    assert cache.put(make_key(), make_token())
    code = textwrap.dedent(f"""
        import sys
        from awscli_ecr_login_ext.cache.entry import CacheKey
        from awscli_ecr_login_ext.cache.token_cache import TokenCache
        from awscli_ecr_login_ext.identity.principal import Identity
        key = CacheKey("aws", "eu-west-1", "standard", False,
                       Identity("profile:dev-hash", "profile:dev"))
        token = TokenCache({str(tmp_path / "cache")!r}, clock=lambda: {NOW!r}).get(key)
        print(token.token)
        print(sorted(m for m in ("re", "json", "hashlib", "dataclasses", "math", "collections")
                     if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                            check=True)
    assert result.stdout.splitlines() == ["dG9rZW4=", "[]"]


def test_key_and_token_are_immutable_values():
    key, token = make_key(), make_token()
    assert key == make_key() and hash(key) == hash(make_key())
    assert key != make_key(endpoint_url="http://127.0.0.1:9") and len({key, make_key()}) == 1
    assert token == make_token() and hash(token) == hash(make_token())
    assert token != make_token(value="b3RoZXI=")
    assert repr(key) == (
        "CacheKey(partition='aws', region='eu-west-1', variant='standard', public=False, "
        "identity=Identity(key='profile:dev-hash', label='profile:dev'), endpoint_url=None)")
    assert repr(token) == (
        f"CachedToken(expires_at={NOW + HOURS_12!r}, fetched_at={NOW!r}, "
        "proxy_endpoint='https://123456789012.dkr.ecr.eu-west-1.amazonaws.com')")
    for value in (key, token):
        assert pickle.loads(pickle.dumps(value)) == value == copy.deepcopy(value)
        with pytest.raises(AttributeError):
            value.region = "x"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            del value.expires_at
    assert CacheKey("aws", "eu-west-1", "standard", False, ident()).endpoint_url is None
