#!/usr/bin/env python3
"""Write the nginx site for Clinic from clinic.conf.template (standard library only).

    python3 deploy/nginx/render.py --server-name clinic.example.com \\
        --node 127.0.0.1:8001 --node 127.0.0.1:8002 > /etc/nginx/sites-available/clinic

The request-size limit is read from the app's environment file (CLINIC_MAX_REQUEST_MB in
/etc/clinic/clinic.env) so nginx and the app always agree; brotli is switched on when Debian's
brotli modules are installed. Run it again after changing the nodes or the environment file.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("clinic.conf.template")
DEFAULT_MAX_REQUEST_MB = 32
BROTLI_MODULES = ("/etc/nginx/modules-enabled/*brotli-filter*", "/etc/nginx/modules-enabled/*brotli-static*")
NODE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$|^unix:/\S+$")


def read_env_file(path):
    """KEY=value lines of a systemd EnvironmentFile (comments and blanks skipped, quotes removed)."""
    values = {}
    if path and Path(path).is_file():
        for line in Path(path).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
    return values


def nginx_version():
    """(1, 26, 3) from `nginx -v`; (0,) when nginx is not installed here."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        return (0,)
    result = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=30)  # noqa: S603 - nginx found on PATH
    found = re.search(r"nginx/(\d+(?:\.\d+)*)", result.stderr + result.stdout)
    return tuple(int(part) for part in found.group(1).split(".")) if found else (0,)


def brotli_installed():
    return all(glob.glob(pattern) for pattern in BROTLI_MODULES)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-name", required=True, help="host name(s) of the site, space-separated")
    parser.add_argument(
        "--node", action="append", help="an app node, host:port (repeat; default 127.0.0.1:8001 and :8002)"
    )
    parser.add_argument("--env-file", default="/etc/clinic/clinic.env", help="the app's environment file")
    parser.add_argument("--max-request-mb", type=int, help="default: CLINIC_MAX_REQUEST_MB from --env-file, else 32")
    parser.add_argument("--static-root", default="/srv/clinic/staticfiles", help="collectstatic's output directory")
    parser.add_argument("--tls-certificate", help="default: Let's Encrypt's fullchain.pem for the first server name")
    parser.add_argument("--tls-certificate-key", help="default: Let's Encrypt's privkey.pem for the first server name")
    parser.add_argument("--cache-dir", default="/var/cache/nginx/clinic")
    parser.add_argument("--access-log", default="/var/log/nginx/clinic.access.log")
    parser.add_argument("--listen-address", help="listen on this address only (default: every IPv4 and IPv6 address)")
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--https-port", type=int, default=443)
    parser.add_argument("--microcache-seconds", type=int, default=1)
    parser.add_argument("--max-fails", type=int, default=2)
    parser.add_argument("--fail-timeout", default="10s")
    parser.add_argument("--brotli", choices=["auto", "on", "off"], default="auto")
    parser.add_argument(
        "--http2",
        choices=["auto", "directive", "listen"],
        default="auto",
        help='"http2 on;" (nginx 1.25.1+) or "listen ... http2" (older); default: from `nginx -v`',
    )
    return parser.parse_args(argv)


def render(args):
    nodes = args.node or ["127.0.0.1:8001", "127.0.0.1:8002"]
    for node in nodes:
        if not NODE.match(node):
            raise SystemExit(f"--node {node!r} should be host:port or unix:/path")
    env = {**read_env_file(args.env_file)}
    max_mb = args.max_request_mb or int(
        env.get("CLINIC_MAX_REQUEST_MB") or os.environ.get("CLINIC_MAX_REQUEST_MB") or DEFAULT_MAX_REQUEST_MB
    )
    first_name = args.server_name.split()[0]
    live = f"/etc/letsencrypt/live/{first_name}"

    def listen(port, extra=""):
        if args.listen_address:
            return f"    listen {args.listen_address}:{port}{extra};"
        return f"    listen {port}{extra};\n    listen [::]:{port}{extra};"

    # "http2 on;" in the server block since nginx 1.25.1 (Debian 13), where "listen ... http2"
    # warns at every start; older nginx (Debian 12's 1.22) knows only the listen parameter.
    http2 = args.http2 if args.http2 != "auto" else ("directive" if nginx_version() >= (1, 25, 1) else "listen")
    https_extra = " ssl http2" if http2 == "listen" else " ssl"
    values = {
        "upstream_servers": "\n".join(
            f"    server {node} max_fails={args.max_fails} fail_timeout={args.fail_timeout};" for node in nodes
        ),
        "cache_dir": args.cache_dir,
        "access_log": args.access_log,
        "server_name": args.server_name,
        "http_listen": listen(args.http_port),
        "https_listen": listen(args.https_port, https_extra),
        "http2_directive": "    http2 on;\n" if http2 == "directive" else "",
        "http_listen_default": listen(args.http_port, " default_server"),
        "https_listen_default": listen(args.https_port, f"{https_extra} default_server"),
        "https_port_suffix": "" if args.https_port == 443 else f":{args.https_port}",
        "tls_certificate": args.tls_certificate or f"{live}/fullchain.pem",
        "tls_certificate_key": args.tls_certificate_key or f"{live}/privkey.pem",
        "max_request_mb": str(max_mb),
        "static_root": str(args.static_root).rstrip("/"),
        "microcache_seconds": str(args.microcache_seconds),
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        raise SystemExit(f"template placeholders without a value: {', '.join(sorted(set(left)))}")
    brotli = brotli_installed() if args.brotli == "auto" else args.brotli == "on"
    return re.sub(r"^(\s*)#brotli# ", r"\1" if brotli else r"\1# (no brotli module) ", text, flags=re.MULTILINE)


def main(argv=None):
    sys.stdout.write(render(parse_args(argv)))


if __name__ == "__main__":
    main()
