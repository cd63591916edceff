#!/usr/bin/env bash
# The whole suite: fast tests in parallel, browser tests in the same run (one browser per worker).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ALLOW_ASYNC_UNSAFE=true
exec .venv/bin/pytest "$@"
