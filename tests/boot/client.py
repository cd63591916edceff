"""A visitor of the booted server (tests/boot/run.sh), through its nginx on 127.0.0.1:443.

    client.py --ca CERT --host clinic.test submit --email a@example.com [--photo]
    client.py ... probe --count 30 --path /healthz [--wait-first 60]
    client.py ... traffic --until-file PATH --prefix upgrade --out result.json

Standard library plus the repository's form reader (scripts/formdata.py) and Pillow for a photo.
Exits non-zero, saying why, when a visitor would have seen an error.
"""

import argparse
import http.client
import io
import json
import socket
import ssl
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scripts.formdata import PATIENT, intake_post_data  # noqa: E402

MIN_FILL_SECONDS = 3.2  # the form refuses a request sent faster than a person could (CLINIC_MIN_FILL_SECONDS)


class Connection(http.client.HTTPSConnection):
    """HTTPS to this machine's nginx, presenting the site's name (SNI, certificate check)."""

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class Site:
    def __init__(self, host, ca):
        self.host = host
        self.context = ssl.create_default_context(cafile=ca)

    def request(self, method, path, body=None, headers=None):
        connection = Connection(self.host, 443, timeout=30, context=self.context)
        try:
            connection.request(method, path, body=body, headers={"Host": self.host, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.msg, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


def cookies(headers):
    jar = {}
    for value in headers.get_all("Set-Cookie") or []:
        for morsel in SimpleCookie(value).values():
            jar[morsel.key] = morsel.value
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def photo():
    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((640, 480)).save(buffer, "JPEG", quality=85)
    return ("cheek.jpg", "image/jpeg", buffer.getvalue())


def multipart(pairs, files):
    boundary = f"----boot{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in pairs
    ]
    for filename, content_type, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def open_form(site):
    status, headers, html = site.request("GET", "/consultations/new/")
    if status != 200:
        raise SystemExit(f"GET /consultations/new/ answered {status}")
    return time.monotonic(), cookies(headers), html


def send_form(site, opened, email, with_photo=False):
    """(status, location) of the POST, sent no sooner than a person could have filled it in."""
    started, cookie, html = opened
    action, pairs = intake_post_data(html, {**PATIENT, "email": email})
    time.sleep(max(0.0, MIN_FILL_SECONDS - (time.monotonic() - started)))
    if with_photo:
        body, content_type = multipart(pairs, [photo()])
    else:
        body, content_type = urlencode(pairs), "application/x-www-form-urlencoded"
    headers = {"Content-Type": content_type, "Cookie": cookie, "Origin": f"https://{site.host}"}
    status, response_headers, text = site.request("POST", action or "/consultations/new/", body, headers)
    return status, response_headers.get("Location", ""), text


def submit(site, args):
    status, location, text = send_form(site, open_form(site), args.email, args.photo)
    if status != 302 or not location.endswith("/consultations/submitted/"):
        raise SystemExit(f"the request was not confirmed: {status} {location} {text[:300]}")
    print(f"confirmed: {args.email}")


def probe(site, args):
    deadline = time.monotonic() + args.wait_first
    while args.wait_first:  # after a boot: wait for nginx to answer at all, then every answer counts
        try:
            site.request("GET", args.path)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing answered on {args.path} for {args.wait_first} s") from None
            time.sleep(0.2)
    statuses = []
    for _ in range(args.count):
        status, _headers, _text = site.request("GET", args.path)
        statuses.append(status)
        time.sleep(0.1)
    if set(statuses) != {200}:
        raise SystemExit(f"{args.path}: {statuses}")
    print(f"{args.count} x {args.path}: 200")


def traffic(site, args):
    """GETs of content pages and a few patients' requests until --until-file appears."""
    result = {"confirmed": 0, "posts": 0, "gets": 0, "errors": []}
    stop = Path(args.until_file)
    number, last_post = 0, 0.0
    while not stop.exists():
        for path in ("/", "/treatments/", "/es/", "/healthz"):
            try:
                status, _headers, _text = site.request("GET", path)
            except OSError as error:
                status = f"{type(error).__name__}: {error}"
            result["gets"] += 1
            if status != 200:
                result["errors"].append(f"GET {path}: {status}")
        # The form's rate limit (10 an hour from one address) leaves room for a handful, spread
        # over the upgrade (the release step, then each node's restart).
        if number < args.max_posts and time.monotonic() - last_post >= args.post_every:
            number, last_post = number + 1, time.monotonic()
            email = f"{args.prefix}-{number}@example.com"
            try:
                status, location, _text = send_form(site, open_form(site), email)
            except (OSError, SystemExit) as error:
                status, location = f"{type(error).__name__}: {error}", ""
            result["posts"] += 1
            if status == 302 and location.endswith("/consultations/submitted/"):
                result["confirmed"] += 1
            else:
                result["errors"].append(f"POST {email}: {status} {location}")
        time.sleep(0.2)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({key: value for key, value in result.items() if key != "errors"}), result["errors"][:5])
    if result["errors"] or not result["confirmed"]:
        raise SystemExit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca", required=True)
    parser.add_argument("--host", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("submit")
    one.add_argument("--email", required=True)
    one.add_argument("--photo", action="store_true")
    many = commands.add_parser("probe")
    many.add_argument("--count", type=int, default=20)
    many.add_argument("--path", default="/healthz")
    many.add_argument("--wait-first", type=float, default=0)
    load = commands.add_parser("traffic")
    load.add_argument("--until-file", required=True)
    load.add_argument("--prefix", required=True)
    load.add_argument("--out", required=True)
    load.add_argument("--max-posts", type=int, default=8)
    load.add_argument("--post-every", type=float, default=20)
    args = parser.parse_args()
    {"submit": submit, "probe": probe, "traffic": traffic}[args.command](Site(args.host, args.ca), args)


if __name__ == "__main__":
    main()
