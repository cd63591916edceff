"""Every file in deploy/ is what it claims to be: nginx accepts the site, systemd the units, and
each command a unit runs exists. The multi-node tests (tests/load/test_multinode.py) run the
same nginx site for real in front of two app nodes."""

import http.client
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import get_commands

from .load.harness import (
    ROOT,
    base_env,
    free_port,
    manage,
    nginx_main_config,
    nginx_test,
    render_site,
    start_nginx,
)
from .missing import need

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALL_DIR = "/srv/clinic"
ENV_FILE = "/etc/clinic/clinic.env"
# Every file in deploy/ and the test that exercises it (a new file needs a test here).
EXERCISED = {
    "README.md": "test_readme_walks_through_every_deploy_file",
    # Booted for real under systemd by tests/boot/run.sh (make test-boot); here: its contract.
    "install": "test_installer_is_sound_bash_and_writes_what_the_units_read",
    "clinic.env.example": "test_env_template_gives_settings_that_load",
    "nginx/clinic.conf.template": "test_rendered_site_passes_nginx_t",
    "nginx/render.py": "test_rendered_site_passes_nginx_t",
    **{f"systemd/{unit.name}": "test_units_pass_systemd_analyze_verify" for unit in UNITS},
}


def test_every_deploy_file_is_exercised():
    files = sorted(str(path.relative_to(DEPLOY)) for path in DEPLOY.rglob("*") if path.is_file())
    assert files == sorted(EXERCISED)
    assert all(name in globals() for name in EXERCISED.values())


# --- nginx -------------------------------------------------------------------------------


def render(tmp_path, **kwargs):
    static = tmp_path / "static"
    static.mkdir(exist_ok=True)
    return render_site(
        tmp_path,
        ["127.0.0.1:18301", "127.0.0.1:18302"],
        static_root=static,
        https_port=free_port(),
        http_port=free_port(),
        **kwargs,
    )


@pytest.mark.parametrize("brotli", ["auto", "off"])
def test_rendered_site_passes_nginx_t(tmp_path, brotli):
    need("nginx", "nginx")
    site = render(tmp_path, brotli=brotli)
    code, output = nginx_test(nginx_main_config(tmp_path, site))
    assert code == 0, output
    text = site.read_text()
    assert "{{" not in text
    assert "server 127.0.0.1:18301 max_fails=2 fail_timeout=10s;" in text
    assert "server 127.0.0.1:18302 max_fails=2 fail_timeout=10s;" in text
    # HTTP/2 in the form this nginx knows: "http2 on;" from 1.25.1 (Debian 13), where the listen
    # parameter warns at every start (found by the first boot); the listen parameter before.
    if nginx_version() >= (1, 25, 1):
        assert re.search(r"^\s*http2 on;", text, re.MULTILINE)
        assert "ssl http2" not in text
    else:
        assert re.search(r"listen 127\.0\.0\.1:\d+ ssl http2;", text)


def test_http2_directive_form_for_new_nginx(tmp_path):
    text = render(tmp_path, extra=["--http2", "directive"]).read_text()
    assert len(re.findall(r"^\s*http2 on;", text, re.MULTILINE)) == 2  # the site and the default server
    assert "http2;" not in text.replace("http2 on;", "")
    text = render(tmp_path, extra=["--http2", "listen"]).read_text()
    assert "http2 on;" not in text
    assert re.search(r"listen 127\.0\.0\.1:\d+ ssl http2;", text)


def test_app_gets_the_canonical_host_and_cache_keys_on_it(tmp_path):
    # Security review 3, findings 5 and 6: the client's Host (with any port or case) must not
    # reach the app's absolute URLs, nor make new cache entries.
    text = re.sub(r"#.*", "", render(tmp_path).read_text())
    assert "$http_host" not in text
    assert re.findall(r"proxy_set_header Host ([^;]+);", text) == [
        f"$host:{re.search(r'listen 127.0.0.1:(\d+) ssl', text).group(1)}"
    ]
    assert 'proxy_cache_key "$scheme$host$request_uri";' in text
    assert render(tmp_path, extra=["--https-port", "443"]).read_text().count("proxy_set_header Host $host;") == 1


def test_brotli_is_on_exactly_when_asked_for(tmp_path):
    assert re.search(r"^\s*brotli on;", render(tmp_path, brotli="on").read_text(), re.MULTILINE)
    assert not re.search(r"^\s*brotli", render(tmp_path, brotli="off").read_text(), re.MULTILINE)


def test_body_limit_follows_the_apps_setting(tmp_path):
    assert "client_max_body_size 32m;" in render(tmp_path).read_text()
    env_file = tmp_path / "clinic.env"
    env_file.write_text("# the app's environment\nCLINIC_MAX_REQUEST_MB=20\n")
    site = render(tmp_path, extra=["--env-file", str(env_file)])
    assert "client_max_body_size 20m;" in site.read_text()


def test_forwarded_for_is_replaced_not_appended(tmp_path):
    # The client must not choose the address the app's rate limit and lockout count against.
    text = render(tmp_path).read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "$proxy_add_x_forwarded_for" not in text


def test_posts_are_never_resent_to_another_node(tmp_path):
    text = render(tmp_path).read_text()
    directives = re.findall(r"^\s*proxy_next_upstream\s+([^;]+);", text, re.MULTILINE)
    assert directives == ["error timeout http_502 http_504"]
    assert "non_idempotent" not in re.sub(r"#.*", "", text)


def test_nodes_get_a_fresh_connection_per_request(tmp_path):
    # A kept-alive connection the node closes just as a POST goes out makes a 502 nginx may not
    # retry; found by test_node_killed_mid_burst_loses_no_confirmed_request.
    upstream = re.search(r"upstream clinic_app \{(.*?)\}", render(tmp_path).read_text(), re.DOTALL).group(1)
    assert "keepalive" not in re.sub(r"#.*", "", upstream)


def test_micro_cache_skips_every_private_visit(tmp_path):
    text = render(tmp_path).read_text()
    cookies = re.search(r'"~\*\(\^\|;\)\\s\*\(([a-z|]+)\)=" 1;', text).group(1).split("|")
    assert sorted(cookies) == ["csrftoken", "messages", "sessionid"]
    assert "proxy_cache_bypass $clinic_private_visit $http_authorization $args;" in text
    assert "proxy_no_cache $clinic_private_visit $http_authorization $args;" in text
    # Exactly one location caches: the content pages. Admin, consultations and probes do not.
    assert text.count("proxy_cache clinic_pages;") == 1
    assert "proxy_ignore_headers" not in re.sub(r"#.*", "", text)


def nginx_version():
    result = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=30)
    return tuple(int(part) for part in re.search(r"nginx/([\d.]+)", result.stderr).group(1).split("."))


def https_answer(nginx, host, method="GET", path="/healthz", body=None):
    """(status, body) nginx answers for this Host header, or None when it closes the connection."""
    connection = nginx.connection()
    try:
        connection.request(method, path, body=body, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    except (ConnectionError, http.client.RemoteDisconnected):
        return None
    finally:
        connection.close()


def https_status(nginx, host, method="GET", path="/healthz", body=None):
    answer = https_answer(nginx, host, method, path, body)
    return answer and answer[0]


class EchoHost(http.server.BaseHTTPRequestHandler):
    """A stand-in app node: answers every request with the Host header it received."""

    def do_GET(self):
        body = (self.headers.get("Host") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def lone_nginx(tmp_path, monkeypatch):
    """The rendered site, running, in front of one stand-in node, with a 1 MB body limit."""
    assert shutil.which("nginx"), "nginx is missing: apt-get install nginx (.ci/run does)"
    monkeypatch.setenv("CLINIC_MAX_REQUEST_MB", "1")
    static = tmp_path / "static"
    static.mkdir()
    node = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHost)
    threading.Thread(target=node.serve_forever, daemon=True).start()
    nginx = start_nginx(tmp_path, [f"127.0.0.1:{node.server_port}"], static)
    yield nginx
    nginx.stop()
    node.shutdown()
    node.server_close()


def test_unknown_hosts_are_refused(lone_nginx):
    port = lone_nginx.port
    # The site's names reach the node as the one canonical name (lower case, the site's port);
    # on the content pages, where the micro-cache is keyed on it, too.
    for path in ("/healthz", "/treatments/"):
        for sent in (f"localhost:{port}", f"LOCALHOST.:{port}", "localhost:9999", "LocalHost"):
            assert https_answer(lone_nginx, sent, path=path) == (200, f"localhost:{port}"), sent
    # Any other name is never passed on: the connection is closed (444).
    assert https_answer(lone_nginx, "evil.example") is None
    assert https_answer(lone_nginx, f"evil.example:{port}", path="/treatments/") is None
    plain = http.client.HTTPConnection("127.0.0.1", lone_nginx.http_port, timeout=10)
    try:
        plain.request("GET", "/", headers={"Host": "evil.example"})
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            plain.getresponse()
    finally:
        plain.close()


def test_error_log_never_holds_a_self_service_token(lone_nginx):
    # Security review 3, finding 8: a 413 on /consultations/manage/<token>/info/ wrote the
    # token into nginx's error log with the request line.
    host, body = f"localhost:{lone_nginx.port}", b"x" * (2 * 1024 * 1024)
    token = "SeCrEtToKeN1234567890"
    for path in (
        f"/consultations/manage/{token}/info/",
        f"/es/consultations/manage/{token}/info/",
        f"/consultations/again/{token}/",  # the "book again" link (issue 27)
        f"/consultations/offer/{token}/",  # a waitlist offer (issue 27)
    ):
        assert https_status(lone_nginx, host, "POST", path, body) == 413
    # Other URLs still log their errors (the log works and the test could see a token).
    assert https_status(lone_nginx, host, "POST", "/consultations/new/?marker=visible", body) == 413
    error_log = (lone_nginx.tmp / "nginx-error.log").read_text()
    assert "/consultations/new/" in error_log
    assert token not in error_log
    assert "/consultations/manage/TOKEN/info/" in lone_nginx.access_log()
    assert "/consultations/again/TOKEN/" in lone_nginx.access_log()
    assert "/consultations/offer/TOKEN/" in lone_nginx.access_log()
    assert token not in lone_nginx.access_log()


def test_render_refuses_a_malformed_node(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "nginx/render.py"), "--server-name", "x", "--node", "127.0.0.1:80; evil"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "--node" in result.stderr


# --- systemd -------------------------------------------------------------------------------


def read_unit(path):
    """{section: [(key, value), ...]} in file order: systemd allows a key more than once."""
    sections, current = {}, None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(unit, section, key):
    return [value for name, value in unit.get(section, []) if name == key]


def test_units_run_commands_that_exist():
    commands = get_commands()
    services = [unit for unit in UNITS if unit.suffix == ".service"]
    assert services
    for path in services:
        unit = read_unit(path)
        assert values(unit, "Service", "WorkingDirectory") == [INSTALL_DIR], path.name
        assert values(unit, "Service", "EnvironmentFile") == [ENV_FILE], path.name
        assert values(unit, "Service", "User") == ["clinic"], path.name
        for exec_start in values(unit, "Service", "ExecStart"):
            program, *arguments = exec_start.split()
            assert program.startswith(f"{INSTALL_DIR}/.venv/bin/"), exec_start
            assert (ROOT / program.removeprefix(f"{INSTALL_DIR}/")).exists(), exec_start
            if program.endswith("/python") and arguments[0] == "manage.py":
                assert arguments[1] in commands, f"{path.name}: no management command {arguments[1]!r}"
            elif program.endswith("/python"):
                assert (ROOT / arguments[0]).is_file(), exec_start
            else:
                assert program.endswith("/gunicorn"), exec_start
                assert arguments[:1] == ["--config"] and (ROOT / arguments[1]).is_file(), exec_start


def test_timers_run_the_scheduled_commands():
    scheduled = {}
    for timer in (unit for unit in UNITS if unit.suffix == ".timer"):
        service = timer.with_suffix(".service")
        assert service.exists(), f"{timer.name} has no {service.name}"
        assert values(read_unit(timer), "Timer", "OnCalendar"), timer.name
        command = values(read_unit(service), "Service", "ExecStart")[0].split()[2]
        scheduled[command] = timer.name
    assert {
        "send_reminders",
        "expire_holds",
        "purge_requests",
        "backup",
        "send_check_ins",
        "escalate_check_ins",
        "expire_waitlist_offers",
        "send_recalls",
    } <= set(scheduled)


def make_serve_steps():
    """The commands of `make serve`'s recipe, written as a unit in /srv/clinic would run them."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nserve: $(VENV)/.installed\n", 1)[1].split("\n\n", 1)[0]
    venv = f"{INSTALL_DIR}/.venv/bin/"
    steps = []
    for line in recipe.splitlines():
        line = line.strip()
        if line.startswith("$(MANAGE) ") or " exec " in line:
            command = line.split(" exec ", 1)[-1]
            command = command.replace("$(MANAGE)", f"{venv}python manage.py").replace("$(PY)", f"{venv}python")
            steps.append(command.replace("$(VENV)/bin/", venv))
    return steps


def test_units_run_what_make_serve_runs():
    # The release steps, then the server command; the node unit's instance is the PORT.
    *release, server = make_serve_steps()
    assert values(read_unit(DEPLOY / "systemd/clinic-release.service"), "Service", "ExecStart") == release
    node = read_unit(DEPLOY / "systemd/clinic@.service")
    assert values(node, "Service", "ExecStart") == [server]
    assert "PORT=%i" in values(node, "Service", "Environment")


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd); the units were still parsed above")
    # The units as installed, with this checkout and a copy of the env template in place of
    # /srv/clinic and /etc/clinic, so verify can check that every ExecStart is executable.
    env_file = tmp_path / "clinic.env"
    shutil.copy(DEPLOY / "clinic.env.example", env_file)
    for unit in UNITS:
        text = unit.read_text().replace(INSTALL_DIR, str(ROOT)).replace(ENV_FILE, str(env_file))
        (tmp_path / unit.name).write_text(text)
    os.link(tmp_path / "clinic@.service", tmp_path / "clinic@8001.service")
    checked = [unit.name for unit in UNITS if "@." not in unit.name] + ["clinic@8001.service"]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *checked], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- The environment file ------------------------------------------------------------------


def env_template():
    pairs = {}
    for line in (DEPLOY / "clinic.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_env_template_gives_settings_that_load(tmp_path):
    env = {
        **base_env(tmp_path / "static", tmp_path),
        **env_template(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
    }
    manage(env, "check", "--deploy", "--fail-level", "ERROR", timeout=120)  # raises, with the output, unless it passes


def test_env_template_lets_local_probes_in(tmp_path):
    # The first boot: `curl http://127.0.0.1:8001/readyz` (and Prometheus on 127.0.0.1) got 400,
    # the env file allowed the site's name only. Loopback names are safe to allow: nginx passes
    # only its server_name on (test_unknown_hosts_are_refused).
    env = {
        **base_env(tmp_path / "static", tmp_path),
        **env_template(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
    }
    script = (
        "from django.test import Client; c = Client(REMOTE_ADDR='127.0.0.1', raise_request_exception=False); "
        "print(c.get('/healthz', HTTP_HOST='127.0.0.1:8001').status_code, "
        "c.get('/healthz', HTTP_HOST='[::1]:8001').status_code, "
        "c.get('/healthz', HTTP_HOST='evil.example').status_code)"
    )
    result = manage(env, "shell", "-c", script, timeout=120)
    loopback_v4, loopback_v6, other = result.stdout.splitlines()[-1].split()
    # The view answered for the loopback names (503: this test's database is not migrated);
    # DisallowedHost would be 400, as it still is for any other name.
    assert (loopback_v4, loopback_v6, other) == ("503", "503", "400"), result.stderr[-2000:]


INSTALLER = DEPLOY / "install"


def installer_env_keys():
    return set(re.findall(r"^\s*(?:\[.*\] \|\| )?set_env (\w+) ", INSTALLER.read_text(), re.MULTILINE))


def test_installer_is_sound_bash_and_writes_what_the_units_read():
    result = subprocess.run(["bash", "-n", str(INSTALLER)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert os.access(INSTALLER, os.X_OK)
    usage = subprocess.run([str(INSTALLER), "--help"], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0
    for option in ("--host", "--self-signed", "--nodes", "--smtp"):
        assert option in usage.stdout
    assert subprocess.run([str(INSTALLER), "--bogus"], capture_output=True, timeout=30).returncode == 2
    # Every key it writes is one the env template documents (README.md's table lists them all).
    keys = installer_env_keys()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "WEB_CONCURRENCY"} <= keys
    documented = set(re.findall(r"^#?(\w+)=", (DEPLOY / "clinic.env.example").read_text(), re.MULTILINE))
    assert keys <= documented, keys - documented
    # The units read the env file it writes and run the code where it puts it.
    text = INSTALLER.read_text()
    assert "ENV_FILE=$ETC/clinic.env" in text and "ETC=/etc/clinic" in text and f"APP={INSTALL_DIR}" in text


def test_installer_database_and_redis_urls_use_sockets():
    # No TCP port for PostgreSQL or Redis (a shared network; hardening): the URLs the installer
    # writes point at Unix sockets, and the app's libraries read them so.
    import dj_database_url
    import redis

    text = INSTALLER.read_text()
    database_url = re.search(r'set_env DATABASE_URL "([^"]+)"', text).group(1)
    parsed = dj_database_url.parse(database_url)
    assert (parsed["HOST"], parsed["NAME"], parsed["USER"], parsed["PASSWORD"]) == (
        "/var/run/postgresql",
        "clinic",
        "clinic",
        "",
    )
    redis_url = re.search(r'set_env REDIS_URL "([^"]+)"', text).group(1)
    pool = redis.ConnectionPool.from_url(redis_url)
    assert pool.connection_kwargs["path"] == "/run/redis/redis-server.sock"
    assert "port 0" in text and "listen_addresses = ''" in text


def test_release_step_runs_once_per_release_not_at_boot():
    # The first boot: enabled as the README said, clinic-release ran check/collectstatic/migrate
    # at every boot (19-42 s before the site answered on 2 cores).
    release = read_unit(DEPLOY / "systemd/clinic-release.service")
    assert "Install" not in release
    for name in ("clinic@.service", "clinic-worker.service"):
        unit = read_unit(DEPLOY / "systemd" / name)
        assert not any("clinic-release" in value for value in values(unit, "Unit", "Wants")), name
        assert not any("clinic-release" in value for value in values(unit, "Unit", "Requires")), name


def test_release_step_leaves_static_files_readable_by_nginx():
    # collectstatic copies with FILE_UPLOAD_PERMISSIONS (0600): the boot test's nginx (group
    # clinic) answered 403 for every static file.
    from django.conf import settings

    assert settings.FILE_UPLOAD_PERMISSIONS & 0o040 == 0  # why the release step has to do it
    release = read_unit(DEPLOY / "systemd/clinic-release.service")
    assert values(release, "Service", "ExecStartPost") == [f"/usr/bin/chmod -R g+rX {INSTALL_DIR}/staticfiles"]


def test_node_is_started_only_once_it_accepts_connections():
    # The first boot: "started" before granian listened, so nginx marked both nodes failed and
    # answered 502 for ~12 s after a reboot. The unit now waits for its port.
    node = read_unit(DEPLOY / "systemd/clinic@.service")
    (post,) = values(node, "Service", "ExecStartPost")
    assert "/dev/tcp/127.0.0.1/%i" in post and "exit 1" in post
    assert "$" not in post  # systemd would expand it
    assert values(node, "Service", "TimeoutStartSec")


def test_env_template_names_what_a_multi_node_site_shares():
    env = env_template()
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "CLINIC_PRIVATE_MEDIA_ROOT",
        "DJANGO_SECRET_KEY",
        "CLINIC_TRUSTED_PROXY_HOPS",
    ):
        assert name in env, name
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CLINIC_TASKS_BACKEND"] == "database"


def test_readme_walks_through_every_deploy_file():
    readme = (DEPLOY / "README.md").read_text()
    for name in EXERCISED:
        if name != "README.md":
            assert Path(name).name.replace("@.service", "@") in readme, name
    assert "moto" in readme
