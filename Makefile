# Clinic: `make run` for a local demo, `make test` for the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Find a working Python 3.12+: plain names first, then pyenv's installs directly
# (pyenv shims for versions that are not selected fail, so each candidate is tried).
define find_python
for c in python3.13 python3.12 python3 \
         $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3 \
         $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3 \
         /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do \
  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo "$$c"; break; fi; \
done
endef

.PHONY: help run serve test test-fast check lint lighthouse bench clean
help:
	@echo "make run     - set up .venv, migrate, load demo data, serve on 127.0.0.1:$(PORT) (DEBUG on)"
	@echo "make test    - the whole test suite, browser tests included"
	@echo "make serve   - production-like server (needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS)"
	@echo "make check   - ruff, makemigrations --check, manage.py check"

$(VENV)/.installed: requirements.txt
	@PYTHON="$$($(find_python))"; \
	if [ -z "$$PYTHON" ]; then \
	  echo "ERROR: no working Python 3.12 or newer found (tried python3.13, python3.12, python3 and pyenv versions)." >&2; \
	  echo "Install Python 3.12+ (e.g. 'pyenv install 3.13') and run make again." >&2; exit 1; \
	fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) createcachetable
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) seed_demo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed
	bash tests/run.sh

check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(MANAGE) makemigrations --check --dry-run
	DJANGO_DEBUG=true $(MANAGE) check

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
