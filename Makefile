# Reunite developer commands. `make run` starts a demo server; `make test` runs every test.
# Needs: make, bash, git and a Python >= 3.12 (found by bin/find-python); PostgreSQL
# server binaries for the second half of `make test` (see bin/with-postgres); Debian's
# redis-server for the shared-cache tests (bin/with-redis) and `make bench`.

PORT ?= 8000
ARGS ?=
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-deps

.DEFAULT_GOAL := help
.PHONY: help run test lint check messages serve bench bench-import clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(PY):
	python=$$(bin/find-python) && "$$python" -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --group dev
	touch $@

run: $(STAMP)  ## Set up, load demo data, serve on 127.0.0.1:PORT (default 8000) with the task worker
	$(PY) manage.py migrate
	$(PY) manage.py seed_demo
	bin/serve-dev $(PY) 127.0.0.1:$(PORT)

# Each pass has a throwaway Redis beside it for tests/test_shared_cache.py (bin/with-redis).
test: $(STAMP)  ## All tests on SQLite, then on a throwaway PostgreSQL (ARGS= for pytest)
	@echo "== pytest on SQLite =="
	DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 bin/with-redis $(PY) -m pytest $(ARGS)
	@echo "== pytest on PostgreSQL =="
	bin/with-postgres bin/with-redis $(PY) -m pytest $(ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

check: $(STAMP)  ## Django system checks; fail on missing migrations
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Every public language but English (settings.PUBLIC_LANGUAGES), in Django's locale names:
# zh-hans is zh_Hans, nl-be is nl_BE. Only ug translates the staff pages too.
LOCALES := ug zh_Hans tr kk fr nl_BE it

messages: $(STAMP)  ## Update the locale/ translation files of every public language, then compile them
	$(PY) manage.py makemessages $(LOCALES:%=-l %) --ignore=$(VENV) --ignore=staticfiles --ignore=private
	$(PY) manage.py compilemessages --ignore=$(VENV)

serve: $(STAMP)  ## The production server (bin/serve) and task worker on 127.0.0.1:PORT; needs the production settings
	bin/serve 127.0.0.1:$(PORT)

# ARGS=--exports: the case export benchmark instead (100,000 cases to CSV and JSON).
bench: $(STAMP)  ## Load test on throwaway PostgreSQL and Redis with the production server (needs wrk)
	REUNITE_REQUIRE_POSTGRES=1 REUNITE_REQUIRE_REDIS=1 \
		bin/with-postgres bin/with-redis $(PY) tests/bench/run.py $(ARGS)

bench-import: $(STAMP)  ## Spreadsheet import of 10,000 generated rows through the admin, on a throwaway PostgreSQL
	REUNITE_REQUIRE_POSTGRES=1 bin/with-postgres $(PY) tests/bench/imports.py $(ARGS)

clean:  ## Remove the venv, caches and collected static files (keeps db.sqlite3, private/)
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
