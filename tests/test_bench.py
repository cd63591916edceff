"""scripts/bench.py's pure parts: the goals of issue 24 against figures, the report, and the nginx
configuration it runs (deploy/nginx's site rendered for loopback, plus the static copies)."""

import getpass
import subprocess
import sys
from pathlib import Path

import pytest

from tests.missing import need

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402  (a script: its own directory holds its imports)


def wrk_figures(rps, p99_ms=5.0, bad=0):
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": p99_ms, "requests": rps * 2, "bad_responses": bad, "socket_errors": ""}


def compared(app_rps, nginx_rps, **app):
    return {"app": wrk_figures(app_rps, **app), "nginx": wrk_figures(nginx_rps), "ratio": round(app_rps / nginx_rps, 3)}


def a_run(edge_rps=45_000, app_rps=15_000, peer_rps=(2_000, 4_000)):
    pages = ("home", "treatment page")
    return {
        "database": "sqlite",
        "load_before": (0.5, 0.4, 0.3),
        "load_after": (1.5, 0.6, 0.4),
        "page_kb": {"home": 5, "treatment page": 35},
        "edge": {page: {**compared(edge_rps, 50_000), "cache": "HIT"} for page in pages},
        "servers": {bench.SHIPPED: {page: compared(app_rps, 100_000) for page in pages}},
        "peers": {
            name: {page: {**compared(rps, 100_000), "kb": 30} for page in pages}
            for name, rps in zip(bench.PEERS, peer_rps, strict=True)
        },
        "form_get": wrk_figures(320),
        "submissions": {"sent": 800, "accepted": 800, "stored": 800, "lost": 0, "seconds": 3.5, "per_s": 228.6},
        "seed_requests": 50_000,
        "seed_seconds": 55.0,
        "staff": {
            "queue (default)": {"p50_ms": 120.0, "queries": 11},
            "availability, 4 weeks": {"p50_ms": 4.0, "queries": 0},
        },
    }


def verdicts(lines):
    return [met for _text, met in lines]


def test_edge_goal_is_met_at_80_percent_of_static_tls_with_p99_under_50_ms():
    edge = {
        "at the goal": compared(40_000, 50_000),
        "below it": compared(39_000, 50_000),
        "slow tail": compared(45_000, 50_000, p99_ms=50.0),
        "errors": compared(45_000, 50_000, bad=3),
    }
    assert verdicts(bench.edge_goal_lines(edge)) == [True, True, False, True, True, False, True, False]


def test_the_app_alone_is_compared_with_the_best_peer_page_by_page():
    app = {"home": compared(15_000, 100_000), "treatment page": compared(14_000, 100_000)}
    peers = {
        "plain Django": {"home": compared(2_000, 100_000), "treatment page": compared(10_000, 100_000)},
        "Wagtail": {"home": compared(9_000, 100_000), "treatment page": compared(3_000, 100_000)},
    }
    lines = bench.peer_goal_lines(app, peers)
    # home: 15 % against Wagtail's 9 % (1.7x); treatment page: 14 % against plain Django's 10 % (1.4x).
    assert verdicts(lines) == [True, False]
    assert "Wagtail: 9.0%" in lines[0][0] and "1.7×" in lines[0][0]
    assert "plain Django: 10.0%" in lines[1][0] and "1.4×" in lines[1][0]


def test_a_run_without_peers_has_no_peer_goal():
    assert bench.peer_goal_lines({"home": compared(15_000, 100_000)}, {}) == []


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        ({}, []),
        (
            {"submissions": {"sent": 800, "accepted": 799, "stored": 799, "lost": 1, "seconds": 3, "per_s": 266}},
            ["intake"],
        ),
        ({"form_get": wrk_figures(299)}, ["form page GET"]),
        ({"staff": {"queue (default)": {"p50_ms": 300.0, "queries": 11}}}, ["queue (default)"]),
        ({"staff": {"availability, 4 weeks": {"p50_ms": 51.0, "queries": 0}}}, ["availability, 4 weeks"]),
    ],
)
def test_every_goal_of_a_run_is_judged(change, missed):
    run = {**a_run(), **change}
    lines = bench.goal_lines(run)
    assert [text.split(":")[0] for text, met in lines if not met] == missed
    assert len([text for text, _met in lines if "through the shipped nginx config" in text]) == 4


def test_the_report_shows_each_goal_its_numbers_and_the_load(tmp_path):
    run = a_run(edge_rps=35_000)
    options = bench.parse_args(["--seconds", "6"])
    info = {
        "cpus": 2,
        "cpu": "a CPU",
        "memory_gb": 8,
        "os": "Linux",
        "python": "3.13",
        "packages": "Django 6.1.3",
        "peers": "Django 6.1.3, wagtail 8.0.1, granian 2.8.9",
        "tools": "wrk 4.1.0, nginx/1.22.1",
    }
    text = bench.markdown([run], info, options)
    assert "Load average (1/5/15 min) before: 0.5 / 0.4 / 0.3, after: 1.5 / 0.6 / 0.4" in text
    assert "70.0% of the same nginx sending it as a file over TLS (50000 req/s; goal ≥ 80%): **missed**" in text
    assert "15.0% of nginx, 3.8× the best peer's share (Wagtail 8 (page cache): 4.0%; goal ≥ 1.5×): met" in text
    assert "| peer: plain Django | home (30 KB) | 2000 |" in text
    assert "| nginx site (https) | treatment page (35 KB) | 35000 |" in text
    assert "wagtail 8.0.1" in text


def test_bench_options_default_to_what_make_serve_runs_and_refuse_a_seed_too_small():
    options = bench.parse_args([])
    assert (options.servers, options.peers, options.seed_requests) == ([bench.SHIPPED], True, 50_000)
    assert bench.parse_args(["--servers", "uvicorn asgi", "--no-peers"]).servers == [bench.SHIPPED, "uvicorn asgi"]
    with pytest.raises(SystemExit):
        bench.parse_args(["--seed-requests", "300"])


def test_a_peer_is_served_as_make_serve_serves_the_app():
    sys.path.insert(0, str(ROOT))
    import serve

    environ = {"WEB_CONCURRENCY": "3", "CLINIC_THREADS": "2"}
    peer = bench.PEERS["plain Django"]
    argv = bench.peer_command(peer, environ, 8123)
    shipped = serve.command({**environ, "PORT": "8123"})
    assert argv[0] == str(bench.PEERS_BIN / "granian")
    assert argv[argv.index("plainsite.wsgi:application")] == peer["app"]
    # Everything else as make serve: interface, port, workers, threads, timeouts, the access log.
    assert argv[1 : argv.index(peer["app"])] == shipped[1 : shipped.index("clinic.wsgi:application")]
    assert argv[argv.index(peer["app"]) + 1 : -2] == shipped[shipped.index("clinic.wsgi:application") + 1 :]
    assert argv[-2:] == ["--working-dir", str(bench.PEERS_DIR / "plain")]


def rendered(tmp_path):
    render = bench.load_render()
    argv = bench.render_argv(
        tmp_path,
        ["127.0.0.1:8101", "127.0.0.1:8102"],
        static_root=tmp_path / "static",
        https_port=44301,
        http_port=8081,
        certificate=tmp_path / "tls.crt",
        key=tmp_path / "tls.key",
    )
    return render.render(render.parse_args(argv))


def test_the_bench_renders_the_shipped_site_for_two_loopback_nodes(tmp_path):
    site = rendered(tmp_path)
    assert "server 127.0.0.1:8101 " in site and "server 127.0.0.1:8102 " in site
    assert "listen 127.0.0.1:44301 ssl" in site
    assert f"ssl_certificate {tmp_path}/tls.crt;" in site
    assert f"access_log {tmp_path}/access.log clinic;" in site
    assert f"proxy_cache_path {tmp_path}/cache " in site
    assert "proxy_cache clinic_pages;" in site  # the micro-cache, as shipped


def test_the_static_copies_are_served_over_tls_with_the_sites_log_and_plain_without(tmp_path):
    config = bench.main_config(
        tmp_path,
        tmp_path / "site.conf",
        static_tls_port=44302,
        static_port=8082,
        certificate=tmp_path / "tls.crt",
        key=tmp_path / "tls.key",
        http2_listen=True,
        workers=2,
        user="someone",
    )
    tls, plain = config.split("server {")[1:]
    assert f"include {tmp_path}/site.conf;" in config and f"pid {tmp_path}/nginx.pid;" in config
    assert "listen 127.0.0.1:44302 ssl http2;" in tls and f"access_log {tmp_path}/access.log clinic;" in tls
    assert f"ssl_certificate {tmp_path}/tls.crt;" in tls and f"root {tmp_path}/www;" in tls
    assert "listen 127.0.0.1:8082;" in plain and "access_log off;" in plain
    assert "user root;" not in config  # nginx runs as whoever runs the bench


def test_nginx_accepts_the_bench_configuration(tmp_path):
    nginx = need("nginx", "nginx")
    need("openssl", "openssl")
    certificate, key = bench.self_signed_certificate(tmp_path)
    for directory in ("www", "temp", "cache"):
        (tmp_path / directory).mkdir()
    site = tmp_path / "site.conf"
    site.write_text(rendered(tmp_path))
    config = tmp_path / "nginx.conf"
    config.write_text(
        bench.main_config(
            tmp_path,
            site,
            static_tls_port=44302,
            static_port=8082,
            certificate=certificate,
            key=key,
            http2_listen=bench.load_render().nginx_version() < (1, 25, 1),
            workers=1,
            user=getpass.getuser(),
        )
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-c", str(config), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
