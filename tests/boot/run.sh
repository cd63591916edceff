#!/usr/bin/env bash
# `make test-boot`: deploy/install on a fresh Debian 13 under a real systemd, checked from outside.
#
# Builds (once, cached in /var/cache/clinic-boot) a minimal Debian 13 root, boots it with
# systemd-nspawn (it shares this machine's network: ports 80, 443, 8001 and 8002 must be free;
# PostgreSQL and Redis inside listen on Unix sockets only, so this machine's own may run),
# runs the installer from a clone of this repository's HEAD and checks what a clinic's operator
# and visitors would see. Needs root, mmdebstrap and systemd-container. Every step has a time
# limit; the container is always powered off at the end. Uncommitted changes are not tested.
set -Eeuo pipefail

REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
HOST=clinic.test
CACHE=${CLINIC_BOOT_CACHE:-/var/cache/clinic-boot}
SUITE=trixie
INCLUDE=systemd,systemd-sysv,dbus,ca-certificates
WORK="$(mktemp -d /var/tmp/clinic-boot.XXXXXX)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || PY=python3
STARTED=$(date +%s)
NSPAWN_PID="" CPID="" MACHINE=""

say() { printf '[boot %4ss] %s\n' "$(( $(date +%s) - STARTED ))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
trap 'say "FAIL at line $LINENO: $BASH_COMMAND"' ERR

# --- The container ----------------------------------------------------------------------------
PIP_OFFLINE=()
inside() {  # a command in the container, with a clean environment (not this machine's)
  timeout "${T:-300}" nsenter -t "$CPID" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb PIP_CERT=/etc/ssl/certs/ca-certificates.crt "${PIP_OFFLINE[@]}" "$@"
}

poweroff() {
  [ -n "$NSPAWN_PID" ] || return 0
  if kill -0 "$NSPAWN_PID" 2>/dev/null; then
    say "powering $MACHINE off"
    nsenter -t "$CPID" -a systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then kill -TERM "$NSPAWN_PID"; sleep 5; kill -KILL "$NSPAWN_PID" 2>/dev/null || true; fi
  fi
  wait "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID="" CPID=""
}

cleanup() {
  local code=$?
  poweroff
  if [ "$code" -eq 0 ] && [ -z "${CLINIC_BOOT_KEEP:-}" ]; then
    # Just after a power-off a few files may still be held for a moment.
    for _ in 1 2 3 4 5; do rm -rf "$WORK" 2>/dev/null && break; sleep 2; done
    [ ! -d "$WORK" ] || say "could not remove $WORK"
  else
    say "kept $WORK (console logs, roots)"
  fi
  exit "$code"
}
trap cleanup EXIT

base_root() {
  local key tar
  key="$(printf '%s %s %s v1' "$SUITE" minbase "$INCLUDE" | sha256sum | cut -c1-12)"
  tar="$CACHE/root-$key.tar"
  if [ ! -s "$tar" ]; then
    say "building the Debian 13 root (cached as $tar)" >&2
    install -d "$CACHE"
    timeout 900 mmdebstrap --quiet --variant=minbase --include="$INCLUDE" "$SUITE" "$tar.part" http://deb.debian.org/debian
    mv "$tar.part" "$tar"
  fi
  echo "$tar"
}

wheelhouse() {  # requirements.txt as wheels for Debian 13's Python, downloaded once (PyPI is slow from here)
  local dir="$CACHE/wheels-$(sha256sum "$REPO/requirements.txt" | cut -c1-12)"
  if [ ! -d "$dir" ]; then
    say "downloading the wheels for Python 3.13 (cached as $dir)" >&2
    rm -rf "$dir.part" && install -d "$dir.part"
    if timeout 900 env -u PIP_FIND_LINKS "$PY" -m pip download --quiet --only-binary=:all: --python-version 3.13 \
      --implementation cp --abi cp313 --abi abi3 --abi none --platform manylinux_2_39_x86_64 \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform any -r "$REPO/requirements.txt" -d "$dir.part" >"$WORK/wheels.log" 2>&1; then
      mv "$dir.part" "$dir"
    else
      say "no wheelhouse ($WORK/wheels.log): the installer downloads from PyPI" >&2
      return 0
    fi
  fi
  echo "$dir"
}

prepare() {  # a fresh machine from the cached root
  local name="$1" root="$WORK/$1"
  install -d "$root"
  tar -xf "$BASE" -C "$root"
  # The proxy in front of this machine re-signs TLS: the container trusts what this machine trusts.
  cp /usr/local/share/ca-certificates/* "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$root" update-ca-certificates >/dev/null 2>&1
  echo "$name" >"$root/etc/hostname"
  install -d "$CACHE/apt" "$CACHE/apt/partial"
}

boot() {
  local name="$1" root="$WORK/$1"
  MACHINE="$name"
  say "booting $name"
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet --register=no --keep-unit -D "$root" -b \
    --bind="$CACHE/apt:/var/cache/apt/archives" ${WHEELS:+--bind-ro="$WHEELS:/root/wheels"} \
    >>"$WORK/$name.console" 2>&1 </dev/null &
  NSPAWN_PID=$!
  local state=""
  for _ in $(seq 1 120); do
    # The container's PID 1 (systemd), not nspawn's short-lived helper child (the second boot
    # found that one first and waited on a process that was gone).
    CPID=""
    for pid in $(pgrep -P "$NSPAWN_PID" || true); do
      if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ]; then CPID="$pid"; fi
    done
    kill -0 "$NSPAWN_PID" 2>/dev/null || fail "$name: systemd-nspawn exited ($WORK/$name.console)"
    if [ -z "$CPID" ]; then sleep 1; continue; fi
    state="$(T=10 inside systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  case "$state" in running|degraded) ;; *) fail "$name did not finish booting (state: $state)" ;; esac
  say "$name is up ($state)"
}

# --- Checks from outside ------------------------------------------------------------------------
CA=""
curl_site() { curl -sS --max-time 10 --cacert "$CA" --resolve "$HOST:443:127.0.0.1" --resolve "$HOST:80:127.0.0.1" "$@"; }
expect() {  # expect WHAT ACTUAL WANTED
  [ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"
  say "ok: $1"
}
client() { timeout "${T:-300}" "$PY" "$REPO/tests/boot/client.py" --ca "$CA" --host "$HOST" "$@"; }
psql_inside() { inside runuser -u postgres -- psql -h /var/run/postgresql -p 5432 -d clinic -tAc "$1"; }
node_pids() { for unit in clinic@8001 clinic@8002 clinic-worker nginx; do inside systemctl show -p MainPID --value "$unit"; done | tr '\n' ' '; }
state_of_machine() {  # what a second installer run must leave as it is
  node_pids
  inside sha256sum /etc/clinic/clinic.env /etc/nginx/sites-available/clinic /var/lib/clinic/release \
    /usr/local/bin/clinic-manage /etc/systemd/system/clinic@.service | cut -c1-16 | tr '\n' ' '
}
RUNS=0
install_clinic() {
  RUNS=$((RUNS + 1))
  LAST_LOG="$WORK/install-$RUNS.log"
  say "deploy/install $* (log: $LAST_LOG)"
  T=1200 inside /root/clinic/deploy/install --host "$HOST" --self-signed \
    --smtp filemail:///var/lib/clinic/sent-mail --staff-email frontdesk@clinic.test "$@" \
    >"$LAST_LOG" 2>&1 || { tail -n 40 "$LAST_LOG"; fail "deploy/install failed (log above)"; }
  grep -A 100 "^Clinic at " "$LAST_LOG" | cut -c1-200 | head -n 12
}

# --- Preflight ------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "run it as root (it boots a container)"
for tool in mmdebstrap systemd-nspawn nsenter curl ss; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install mmdebstrap systemd-container curl iproute2"
done
for port in 80 443 8001 8002; do
  if [ -n "$(ss -ltnH "sport = :$port")" ]; then
    fail "port $port is in use on this machine; the container shares its network and needs 80, 443, 8001 and 8002"
  fi
done

BASE="$(base_root)"
say "root: $BASE"
# The installer's pip, as an operator behind a slow link would run it: from a local wheelhouse.
WHEELS="$(wheelhouse)"
[ -z "$WHEELS" ] || PIP_OFFLINE=(PIP_NO_INDEX=1 PIP_FIND_LINKS=/root/wheels)

# --- Machine A: install, check, break, reboot, upgrade ------------------------------------------
prepare a
git clone --quiet "$REPO" "$WORK/a/root/clinic"
boot a
install_clinic
CA="$WORK/a/etc/clinic/tls/$HOST.crt"

expect "healthz over TLS through nginx" "$(curl_site https://$HOST/healthz)" ok
expect "HTTP/2" "$(curl_site -o /dev/null -w '%{http_version}' https://$HOST/healthz)" 2
expect "http redirects to https" "$(curl_site -o /dev/null -w '%{http_code} %{redirect_url}' http://$HOST/treatments/)" \
  "301 https://$HOST/treatments/"
expect "/metrics through nginx" "$(curl_site -o /dev/null -w '%{http_code}' https://$HOST/metrics)" 403
expect "another Host name is refused" "$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' \
  --resolve other.test:443:127.0.0.1 https://other.test/healthz || true)" 000
# Two nodes share the cores: each starts cores / 2 workers (at least one), not cores + 1.
expect "workers per node" "$(inside sed -n 's/^WEB_CONCURRENCY=//p' /etc/clinic/clinic.env)" "$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))"
expect "readyz on a node's loopback port" "$(inside curl -s http://127.0.0.1:8001/readyz)" ok
expect "metrics on a node's loopback port" \
  "$(inside curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8002/metrics)" 200

UNITS="clinic@8001 clinic@8002 clinic-worker nginx postgresql redis-server clinic-send-reminders.timer \
clinic-expire-holds.timer clinic-send-check-ins.timer clinic-escalate-check-ins.timer clinic-purge-requests.timer \
clinic-backup.timer clinic-waitlist-offers.timer clinic-send-recalls.timer"
# shellcheck disable=SC2086
expect "every unit and timer active" "$(for unit in $UNITS; do echo "$unit=$(inside systemctl is-active "$unit")"; done | grep -v '=active$' || true)" ""
for job in send-reminders expire-holds send-check-ins escalate-check-ins purge-requests backup waitlist-offers send-recalls; do
  T=300 inside systemctl start "clinic-$job.service" || fail "clinic-$job.service failed: $(inside journalctl -u clinic-$job -n 20 --no-pager)"
  expect "clinic-$job.service run by hand" "$(inside systemctl show -p Result --value "clinic-$job.service")" success
done
expect "a backup archive" "$(inside sh -c 'ls /var/backups/clinic/*.tar.gz | wc -l')" 1

say "a patient's request with a photo, through nginx"
client submit --email first.patient@example.com --photo
expect "the request is stored" "$(psql_inside "SELECT count(*) FROM consultations_consultationrequest WHERE email = 'first.patient@example.com'")" 1
for _ in $(seq 1 60); do
  sent="$(inside sh -c 'grep -l "first.patient@example.com" /var/lib/clinic/sent-mail/* 2>/dev/null | wc -l')"
  [ "$sent" -ge 1 ] && break
  sleep 1
done
[ "$sent" -ge 1 ] || fail "no email to the patient left through the worker: $(inside journalctl -u clinic-worker -n 30 --no-pager)"
say "ok: the patient's email left through clinic-worker ($sent message file(s))"

say "kill -9 of a node"
before="$(inside systemctl show -p MainPID --value clinic@8001)"
inside kill -9 "$before"
T=120 client probe --count 30 --path /healthz
for _ in $(seq 1 60); do
  after="$(inside systemctl show -p MainPID --value clinic@8001)"
  [ "$after" != 0 ] && [ "$after" != "$before" ] && inside systemctl is-active --quiet clinic@8001 && break
  sleep 1
done
expect "systemd brought the node back" "$(inside curl -s http://127.0.0.1:8001/healthz)" ok

say "a second installer run changes nothing"
first="$(state_of_machine)"
install_clinic
grep -q "^Clinic at https://$HOST: nothing to change" "$LAST_LOG" || fail "the second run changed something ($LAST_LOG)"
expect "same processes, files and release after a second run" "$(state_of_machine)" "$first"

say "power off and boot again"
poweroff
boot a
T=120 client probe --count 20 --path /healthz --wait-first 60
expect "the request is still there" "$(psql_inside "SELECT count(*) FROM consultations_consultationrequest WHERE email = 'first.patient@example.com'")" 1
expect "the release step did not run at boot" "$(inside systemctl show -p ActiveState --value clinic-release.service)" inactive

say "an upgrade to a newer commit under light traffic"
printf 'release two\n' >"$WORK/a/root/clinic/static/boot-upgrade.txt"
git -C "$WORK/a/root/clinic" add static/boot-upgrade.txt
git -C "$WORK/a/root/clinic" -c user.name=boot -c user.email=boot@clinic.test commit --quiet -m "boot test: a newer release"
T=1200 client traffic --until-file "$WORK/upgrade-done" --prefix upgrade --out "$WORK/traffic.json" &
TRAFFIC=$!
install_clinic
touch "$WORK/upgrade-done"
wait "$TRAFFIC" || fail "requests failed during the upgrade ($WORK/traffic.json)"
stored="$(psql_inside "SELECT count(*) FROM consultations_consultationrequest WHERE email LIKE 'upgrade-%'")"
expect "every request confirmed during the upgrade is stored" "$stored" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["confirmed"])' "$WORK/traffic.json")"
expect "the new release is served" "$(curl_site -s https://$HOST/static/boot-upgrade.txt)" "release two"

say "backup, then restore on a new machine"
inside systemctl start clinic-backup.service
archive="$(inside sh -c 'ls -t /var/backups/clinic/*.tar.gz | head -n 1')"
cp "$WORK/a$archive" "$WORK/backup.tar.gz"
requests_a="$(psql_inside "SELECT email, status FROM consultations_consultationrequest ORDER BY email")"
photos_a="$(inside sh -c 'cd /var/lib/clinic/private-media && find . -type f -exec sha256sum {} + | sort')"
[ -n "$photos_a" ] || fail "machine a has no photo to restore"
poweroff

prepare b
cp -a "$WORK/a/root/clinic" "$WORK/b/root/clinic"
boot b
install_clinic
CA="$WORK/b/etc/clinic/tls/$HOST.crt"
install -o 0 -g 0 -m 0600 "$WORK/backup.tar.gz" "$WORK/b/var/backups/clinic/restore-me.tar.gz"
inside chown clinic:clinic /var/backups/clinic/restore-me.tar.gz
inside systemctl stop clinic@8001 clinic@8002 clinic-worker
T=600 inside clinic-manage restore /var/backups/clinic/restore-me.tar.gz >"$WORK/restore.log" 2>&1 || fail "restore failed ($WORK/restore.log)"
inside systemctl start clinic@8001 clinic@8002 clinic-worker
expect "the same requests on the new machine" "$(psql_inside "SELECT email, status FROM consultations_consultationrequest ORDER BY email")" "$requests_a"
expect "the same photos on the new machine" "$(inside sh -c 'cd /var/lib/clinic/private-media && find . -type f -exec sha256sum {} + | sort')" "$photos_a"
expect "the restored site answers" "$(curl_site https://$HOST/healthz)" ok

say "PASSED in $(( $(date +%s) - STARTED )) s"
