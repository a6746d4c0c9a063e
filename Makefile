# Editable installs use compat mode (a plain path entry): the default mode's import
# hook costs every Python start in the venv ~20 ms, which the benchmarks would charge us.
# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
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
# The release artifacts (make dist) and what the suite installs them with, offline: pipx's
# newest release in .venv-pipx, and .wheelhouse, the wheels of the AWS CLI v1 releases of
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

.PHONY: all deps system-deps venv venv-v2 aws-cli-exe dist install-kinds test demo lint bench pythons clean

all: test

deps: system-deps venv venv-v2 aws-cli-exe

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
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# ... and the 1.45 line (separate botocore package) in .venv-v145.
$(STAMP_V145): pyproject.toml
	$(PYTHON) -m venv $(VENV_V145)
	$(VENV_V145)/bin/pip install -q --disable-pip-version-check -e . 'awscli>=1.45,<1.46' --config-settings editable_mode=compat
	touch $@

# ... and a regular (not editable) install, as users get it, in .venv-release: the tests of
# the credential helper's launcher and the benchmarks run its docker-credential-ecr2. pip
# builds in ./build, where setuptools never deletes files: start from an empty one.
$(STAMP_RELEASE): pyproject.toml $(PACKAGE_FILES)
	$(PYTHON) -m venv $(VENV_RELEASE)
	$(VENV_RELEASE)/bin/pip install -q --disable-pip-version-check 'awscli>=1.46'
	rm -rf build
	$(VENV_RELEASE)/bin/pip install -q --disable-pip-version-check --no-deps --force-reinstall .
	rm -rf build
	touch $@

# Without the tarball (a clone outside the workplace) the suite skips v2 2.36; under CI=true
# that is a failure, as is a failed build.
venv-v2:
	@if [ -f "$(V2_TARBALL)" ]; then $(MAKE) --no-print-directory $(STAMP_V2); \
	elif [ "$$CI" = true ]; then echo "$(V2_TARBALL) is missing: cannot build AWS CLI v2 2.36.7" >&2; exit 1; \
	else echo "$(V2_TARBALL) not found: AWS CLI v2 2.36.7 is not built, its tests will skip"; fi

$(STAMP_V2): $(V2_TARBALL)
	rm -rf $(VENV_V2) build-v2
	mkdir -p build-v2
	tar -xJf $(V2_TARBALL) -C build-v2
	$(PYTHON) -m venv $(VENV_V2)
	$(VENV_V2)/bin/pip install -q --disable-pip-version-check ./build-v2
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

$(STAMP_DIST):
	$(PYTHON) -m venv $(VENV_DIST)
	$(VENV_DIST)/bin/pip install -q --disable-pip-version-check 'build>=1.2.1' 'twine>=6.1'
	touch $@

install-kinds: $(STAMP_PIPX) $(STAMP_WHEELHOUSE)

$(STAMP_PIPX):
	$(PYTHON) -m venv $(VENV_PIPX)
	$(VENV_PIPX)/bin/pip install -q --disable-pip-version-check pipx
	touch $@

$(STAMP_WHEELHOUSE): $(STAMP) $(STAMP_V145) pyproject.toml
	rm -rf $(WHEELHOUSE)
	for venv in $(VENV) $(VENV_V145); do \
		$(VENV)/bin/pip download -q --disable-pip-version-check -d $(WHEELHOUSE) \
			"awscli==$$($$venv/bin/python -c 'import awscli; print(awscli.__version__)')" || exit 1; \
	done
	$(VENV)/bin/pip download -q --disable-pip-version-check -d $(WHEELHOUSE) pip wheel \
		$$($(VENV)/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"])')
	touch $@

test: deps $(DIST_STAMP) install-kinds
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

demo: deps
	$(VENV)/bin/python -m demo

lint: venv
	$(VENV)/bin/ruff check .

bench: deps
	$(VENV)/bin/python -m bench

# Every Python 3.9+ on this machine (pyenv's and Debian's), each in .venv-pythons/<version>
# with the newest AWS CLI v1 for it: imports, a real get-login-password, a helper cache hit
# and the core unit tests. Not part of `make test`: a few minutes, more on a cold start.
pythons: venv
	$(VENV)/bin/python scripts/check_pythons.py

clean:
	rm -rf $(VENV) $(VENV_V145) $(VENV_RELEASE) $(VENV_V2) $(AWS_EXE) .venv-pythons build build-v2 build-exe .pytest_cache .ruff_cache .hypothesis \
		$(VENV_DIST) $(VENV_PIPX) $(WHEELHOUSE) dist
