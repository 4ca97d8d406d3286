# AuditKit: `make run` serves the app with demo data; `make test` runs ruff and the whole suite on SQLite
# and PostgreSQL. Both set themselves up on a fresh machine with Python 3.11+ and Node/npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
DEMO_PASSWORD ?= auditkit-demo
AUDITKIT_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export AUDITKIT_TEST_DATABASE_URL

VENDOR_STAMP := auditkit/web/static/vendor/.stamp
CATALOGS := $(wildcard auditkit/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test serve install install-dev assets translations lint messages clean

run: install assets translations
	$(BIN)/auditkit setup --demo-password "$(DEMO_PASSWORD)"
	@echo "AuditKit on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/auditkit run --host 127.0.0.1 --port $(PORT) --no-reload --no-debugger

test: install-dev assets translations
	$(BIN)/ruff check .
	$(BIN)/pytest --engine sqlite
	$(BIN)/pytest --engine postgresql

# Production-style serving: gunicorn with several workers on the configured database
# (AUDITKIT_DATABASE_URL=postgresql+psycopg://..., AUDITKIT_ENV=production, AUDITKIT_SECRET_KEY=...).
serve: install assets translations
	$(BIN)/auditkit db upgrade
	$(BIN)/gunicorn --workers $${WORKERS:-4} --bind 127.0.0.1:$(PORT) --access-logfile - "auditkit:create_app()"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "AuditKit needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: .stamp-install
.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

install-dev: .stamp-install-dev
.stamp-install-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ .stamp-install

assets: $(VENDOR_STAMP)
$(VENDOR_STAMP): package.json package-lock.json scripts/vendor-assets.mjs
	npm ci --no-audit --no-fund
	npm run --silent build
	@touch $@

translations: $(COMPILED)
auditkit/translations/%/LC_MESSAGES/messages.mo: auditkit/translations/%/LC_MESSAGES/messages.po | .stamp-install
	$(BIN)/pybabel compile -d auditkit/translations -l $* 2>&1 | grep -v '^compiling' || true
	@test -f $@

# For developers: extract the strings and update the catalogs after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -w 120 -o auditkit/translations/messages.pot .
	$(BIN)/pybabel update -i auditkit/translations/messages.pot -d auditkit/translations --no-fuzzy-matching -w 120 --ignore-obsolete

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules auditkit/web/static/vendor .stamp-* $(COMPILED)
