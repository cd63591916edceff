"""Security limits against a real gunicorn: body size, image memory, tokens in logs."""

import email
import email.policy
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

from .formdata import post_form
from .harness import cookie_header, cookies_from, manage, open_form

GIB = 1024**3


# --- Request size ---------------------------------------------------------------------------


def test_declared_one_gib_upload_gets_413_without_the_body_being_sent(make_database, make_server):
    server = make_server(make_database("sqlite"), workers=1, threads=2)
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        # Headers only: the 1 GiB the request announces is never sent.
        connection.sendall(
            (
                "POST /consultations/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {GIB}\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"</html>" not in response:
            chunk = connection.recv(65536)
            if not chunk:
                break
            response += chunk
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 "), response[:300]
    assert b"too much to send at once" in rest
    assert "Traceback" not in server.log()


def test_streamed_body_over_the_limit_gets_413(make_database, make_server):
    server = make_server(make_database("sqlite"), workers=1, threads=2, CLINIC_MAX_REQUEST_MB="1")
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(
            b"POST /consultations/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 65536
        sent = 0
        try:
            # Up to 4 MB against a 1 MB limit; the server answers (and may close) before the end.
            while sent < 4 * 1024 * 1024:
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = connection.recv(200)
    assert response.startswith(b"HTTP/1.1 413"), response


# --- Tokens in logs ---------------------------------------------------------------------------


def manage_path_in_mails(mail_dir):
    """The self-service path in the first email that has one (file backend: messages separated by dashes)."""
    for file in sorted(Path(mail_dir).iterdir()):
        for raw in re.split(r"\n-{79}\n", file.read_text()):
            message = email.message_from_string(raw.strip(), policy=email.policy.default)
            for part in message.walk():
                text = part.get_content() if part.get_content_type() == "text/plain" else ""
                if match := re.search(r"https?://[^/\s]+(/consultations/manage/[^/\s]+/)", text):
                    return match.group(1)
    raise AssertionError("no self-service link in the emails")


def test_self_service_journey_leaves_no_token_in_any_log(make_database, make_server, tmp_path, prepared):
    database = make_database("sqlite")
    mail_dir = tmp_path / "mail"
    manage({**prepared.env, "DATABASE_URL": database.url}, "seed_demo")
    server = make_server(database, workers=1, threads=2, EMAIL_URL=f"filemail://{mail_dir}", DJANGO_LOG_LEVEL="DEBUG")

    submission = open_form(server, "journey@example.com").send(server)
    assert submission.succeeded, submission.status
    jar = cookies_from(submission.headers, submission.cookies)
    submission_token = dict(submission.pairs)["submission_token"]
    status, _headers, _body = server.request("GET", "/consultations/submitted/", headers={"Cookie": cookie_header(jar)})
    assert status == 200

    path = manage_path_in_mails(mail_dir)
    token = path.split("/")[-2]

    def get(url):
        status, headers, html = server.request("GET", url, headers={"Cookie": cookie_header(jar)})
        jar.update(cookies_from(headers))
        return status, html

    def post(url, pairs):
        headers = {"Cookie": cookie_header(jar), "Content-Type": "application/x-www-form-urlencoded"}
        status, response_headers, _html = server.request("POST", url, urlencode(pairs), headers)
        jar.update(cookies_from(response_headers))
        return status

    assert get(path)[0] == 200
    status, html = get(f"{path}move/")
    assert status == 200
    form = post_form(html)
    csrf = next(field["value"] for field in form["inputs"] if field.get("name") == "csrfmiddlewaretoken")
    slot = next(field["value"] for field in form["inputs"] if field.get("name") == "slot")
    assert post(f"{path}move/", [("csrfmiddlewaretoken", csrf), ("slot", slot)]) == 302
    assert post(f"{path}move/", [("csrfmiddlewaretoken", csrf), ("slot", "1|not-a-time")]) in (200, 302)
    assert get(f"{path}cancel/")[0] == 200
    assert post(f"{path}cancel/", [("csrfmiddlewaretoken", csrf)]) == 302
    assert post(f"{path}cancel/", []) == 403  # no CSRF token: logged as forbidden
    assert get(f"/consultations/manage/{token}x/")[0] == 400  # a damaged link: logged as a bad request
    assert get(f"{path}nothing-here/")[0] == 404  # logged as not found
    time.sleep(0.5)
    server.stop()

    log = server.log()
    assert "/consultations/manage/…/move/" in log  # the journey was logged, with the token masked
    secrets = {"link token": token, "submission token": submission_token, **{f"cookie {k}": v for k, v in jar.items()}}
    for name, secret in secrets.items():
        assert secret not in log, f"{name} in the log"
    assert "Traceback" not in log
