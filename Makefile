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

.PHONY: help run serve test test-fast test-boot check lint lighthouse bench clean messages
help:
	@echo "make run     - set up .venv, migrate, load demo data, serve on 127.0.0.1:$(PORT) (DEBUG on)"
	@echo "make test    - the whole test suite, browser tests included"
	@echo "make test-fast - the tests without a browser, load or multi-node server (2 workers, under 2 minutes)"
	@echo "make lint    - ruff check and ruff format --check"
	@echo "make serve   - production-like server (needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS)"
	@echo "make check   - ruff, makemigrations --check, manage.py check, check --deploy (production env)"
	@echo "make messages - refresh locale/es/LC_MESSAGES/django.po from the code and compile it (needs gettext)"

# Development and `make serve`: requirements-dev.txt (what production runs, requirements.txt, plus
# tests, lint and the benchmark). A deployment installs requirements.txt only (deploy/install).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@PYTHON="$$($(find_python))"; \
	if [ -z "$$PYTHON" ]; then \
	  echo "ERROR: no working Python 3.12 or newer found (tried python3.13, python3.12, python3 and pyenv versions)." >&2; \
	  echo "Install Python 3.12+ (e.g. 'pyenv install 3.13') and run make again." >&2; exit 1; \
	fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# Local settings for every manage.py command (DEBUG on, a random secret key): written once if
# missing, never overwritten, git-ignored. Variables set in the environment win over it.
.env: | $(VENV)/.installed
	@$(PY) -c "import secrets; print('# Local development settings written by make run (git-ignored).\n# Variables set in the environment win over these; production never reads its key from here.\nDJANGO_DEBUG=true\nDJANGO_SECRET_KEY=' + secrets.token_urlsafe(50))" > $@
	@echo "Wrote .env for local development (DEBUG on, a random secret key)."

run: $(VENV)/.installed .env
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) createcachetable
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) seed_demo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE) runserver 127.0.0.1:$(PORT)

# Production-like: no seeding, DEBUG forced off, static files collected and hashed,
# the schema and the cache table brought up to date, then granian (serve.py; chosen with make bench).
serve: export DJANGO_DEBUG = false
serve: $(VENV)/.installed
	@if [ -z "$${DJANGO_SECRET_KEY:-}" ]; then \
	  echo "ERROR: DJANGO_SECRET_KEY is not set. make serve runs with DEBUG off and needs a long random secret:" >&2; \
	  echo "  export DJANGO_SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\"" >&2; \
	  echo "Keep the same value across restarts: it signs sessions and patients' self-service links." >&2; exit 1; \
	fi
	@if [ -z "$${DJANGO_ALLOWED_HOSTS:-}" ]; then \
	  echo "ERROR: DJANGO_ALLOWED_HOSTS is not set: the host names this site answers to, comma-separated, e.g." >&2; \
	  echo "  export DJANGO_ALLOWED_HOSTS=clinic.example.com   (or localhost,127.0.0.1 to try it on this machine;" >&2; \
	  echo "  add DJANGO_SECURE_SSL_REDIRECT=false there, as the app server itself speaks plain HTTP)" >&2; exit 1; \
	fi
	@# Settings errors stop it (clinic.E001: CLINIC_SITE_URL unset, patients would get broken links);
	@# warnings are shown, not enforced (a local try without TLS or SMTP may warn).
	$(MANAGE) check --deploy --tag security --fail-level ERROR
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) migrate --noinput
	@# Content errors (education.E001: a page not yet signed by a named reviewer) are shown but do
	@# not stop the server: the reviewer signs in through it to approve. `check --deploy` fails on them.
	$(MANAGE) check --deploy --fail-level CRITICAL
	$(MANAGE) createcachetable
	PORT=$(PORT) exec $(PY) serve.py

test: $(VENV)/.installed
	bash tests/run.sh

# The lane to run before each commit: no browser, no production server under load, no cluster.
test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -n 2 -m "not browser and not load" --ignore=tests/e2e --ignore=tests/load

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The environment `check --deploy` must pass in with no warnings: what a deployment sets.
DEPLOY_ENV = DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=clinic.example.com DJANGO_SECURE_SSL_REDIRECT=true \
	EMAIL_URL=smtp://mail.example.com:587 CLINIC_SITE_URL=https://clinic.example.com CLINIC_EMERGENCY_PHONE="+1 207 555 0199" \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"

check: lint
	DJANGO_DEBUG=true $(MANAGE) makemigrations --check --dry-run
	DJANGO_DEBUG=true $(MANAGE) check
	$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING

# The Spanish interface: new strings land in the .po (translate them, no fuzzy left), then the
# .mo is compiled. Both are committed, so running the site never needs gettext; the tests do.
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "ERROR: gettext is missing: apt-get install -y gettext" >&2; exit 1; }
	DJANGO_DEBUG=true $(MANAGE) makemessages -l es
	DJANGO_DEBUG=true $(MANAGE) compilemessages -l es --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) build staticfiles .pytest_cache

# --- Quality gates and speed: npm tools, Lighthouse, benchmark ------------------
# axe-core and vnu-jar (used by `make test`) and Lighthouse, exactly as package-lock.json pins
# them. --ignore-scripts: vnu-jar's install script would fetch a Java runtime; Debian's java is used.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "ERROR: npm is missing: apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

test: node_modules/.installed

lighthouse: $(VENV)/.installed node_modules/.installed
	$(PY) scripts/lighthouse.py

# The peers make bench compares the app with (a plain Django project, Wagtail with its page cache;
# scripts/peers/) run from a virtualenv of their own, so the app's requirements stay as they are.
PEERS_VENV := build/bench-peers
$(PEERS_VENV)/.installed: scripts/peers/requirements.txt
	@PYTHON="$$($(find_python))"; \
	if [ -z "$$PYTHON" ]; then echo "ERROR: no working Python 3.12 or newer found for the bench's peers." >&2; exit 1; fi; \
	rm -rf $(PEERS_VENV); echo "Creating $(PEERS_VENV) with $$PYTHON"; "$$PYTHON" -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install --quiet -r scripts/peers/requirements.txt
	@touch $@

# Options: make bench BENCH_ARGS="--seconds 2 --submissions 50 --seed-requests 2000 --no-write" (a short try).
bench: $(VENV)/.installed $(PEERS_VENV)/.installed
	$(PY) scripts/bench.py $(BENCH_ARGS)

# deploy/install on a fresh Debian 13 booted under systemd (systemd-nspawn), checked from outside:
# root, mmdebstrap and systemd-container; ports 80, 443, 8001, 8002 free. At most 30 minutes.
test-boot: $(VENV)/.installed
	timeout --kill-after=60 1800 tests/boot/run.sh
