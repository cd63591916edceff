#!/usr/bin/env bash
# The whole suite: fast tests in parallel, browser and load tests in the same run, on SQLite.
# With CLINIC_TEST_POSTGRES_URL set (.ci/run sets it), every test that touches the
# database (all but the browser and load tests, races included) runs again on PostgreSQL.
# Extra arguments go to both runs, e.g. `tests/run.sh tests/test_security.py`.
set -uo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ALLOW_ASYNC_UNSAFE=true

# pytest exit code 5 means "no tests selected". For the PostgreSQL run that is fine
# (the arguments picked only browser tests); for the main run it is a failure.
run_pytest() {
  local allow_empty=$1
  shift
  .venv/bin/pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ] && [ "$allow_empty" = yes ]; then
    echo "(no PostgreSQL tests among the selected ones)"
    rc=0
  fi
  return "$rc"
}

status=0
echo "=== Test suite on SQLite ==="
run_pytest no "$@" || status=$?

if [ -n "${CLINIC_TEST_POSTGRES_URL:-}" ]; then
  echo "=== Database tests on PostgreSQL ==="
  DATABASE_URL="$CLINIC_TEST_POSTGRES_URL" run_pytest yes -m "not browser and not load" "$@" || {
    rc=$?
    [ "$status" -ne 0 ] || status=$rc
  }
else
  echo "(CLINIC_TEST_POSTGRES_URL is not set: skipped the PostgreSQL run; .ci/run sets it)"
fi
exit "$status"
