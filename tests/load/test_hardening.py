"""Security limits against the real app server (serve.py): body size, image memory, tokens in logs."""

import email
import email.policy
import io
import re
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from scripts.formdata import post_form

from .harness import cookie_header, cookies_from, manage, open_form, stored_emails

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

    # The emailed link is exchanged for the visit cookie and one redirect (issue 23, finding 8);
    # the pages after it carry no token.
    assert get(path)[0] == 302
    page = "/consultations/manage/"
    assert get(page)[0] == 200
    status, html = get(f"{page}move/")
    assert status == 200
    form = post_form(html)
    csrf = next(field["value"] for field in form["inputs"] if field.get("name") == "csrfmiddlewaretoken")
    slot = next(value for value, _selected in form["selects"]["slot"] if value)  # the first time offered
    # A first time chosen online is booked under the cancellation policy the page shows (issue 27).
    policy = next(field["value"] for field in form["inputs"] if field.get("name") == "policy_version")
    accepted = [("policy_version", policy), ("accept_policy", "on")]
    assert post(f"{page}move/", [("csrfmiddlewaretoken", csrf), ("slot", slot), *accepted]) == 302
    assert post(f"{page}move/", [("csrfmiddlewaretoken", csrf), ("slot", "1|not-a-time")]) in (200, 302)
    assert get(f"{page}cancel/")[0] == 200
    assert post(f"{page}cancel/", [("csrfmiddlewaretoken", csrf)]) == 302
    assert post(f"{page}cancel/", []) == 403  # no CSRF token: logged as forbidden
    assert get(f"{path}move/")[0] == 302  # an old link to a sub-page exchanges too
    assert get(f"/consultations/manage/{token}x/")[0] == 400  # a damaged link: logged as a bad request
    assert get(f"{path}nothing-here/")[0] == 404  # logged as not found
    server.wait_for_log("/nothing-here/")  # the last request above
    server.stop()

    log = server.log()
    assert "/consultations/manage/…/move/" in log  # the journey was logged, with the token masked
    # (A cookie the server deleted, e.g. the emptied messages cookie, has no value to leak.)
    secrets = {
        "link token": token,
        "submission token": submission_token,
        **{f"cookie {k}": v for k, v in jar.items() if v},
    }
    for name, secret in secrets.items():
        assert secret not in log, f"{name} in the log"
    assert "Traceback" not in log


# --- Image memory ---------------------------------------------------------------------------


def largest_photos():
    """The largest photos the form takes: a 50 MP JPEG and a 4096 x 4096 PNG, each under 10 MB."""
    from PIL import Image

    noise = Image.effect_noise((433, 289), 60).resize((8660, 5773))
    camera = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise.rotate(180)))
    jpeg = io.BytesIO()
    camera.save(jpeg, "JPEG", quality=90)
    gradient = Image.linear_gradient("L").resize((4096, 4096))
    grain = Image.effect_noise((128, 128), 30).resize((4096, 4096))
    png = io.BytesIO()
    Image.merge("RGB", (gradient, grain, gradient.transpose(Image.Transpose.ROTATE_90))).save(png, "PNG")
    return [("camera.jpg", "image/jpeg", jpeg.getvalue()), ("screen.png", "image/png", png.getvalue())]


def multipart(pairs, files):
    boundary = f"----clinic{uuid.uuid4().hex}"
    parts = []
    for name, value in pairs:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, content_type, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def peak_memory_kb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def test_six_parallel_requests_of_three_largest_photos_keep_workers_small(make_database, make_server):
    jpeg, png = largest_photos()
    photos = [jpeg, png, jpeg]
    assert all(len(content) <= 10 * 1024 * 1024 for _name, _type, content in photos)
    server = make_server(make_database("sqlite"), workers=3, threads=2)
    submissions = [open_form(server, f"photos-{n}@example.com") for n in range(6)]
    before = {pid: peak_memory_kb(pid) for pid in server.worker_pids()}

    def send(submission):
        body, content_type = multipart(submission.pairs, photos)
        headers = {"Content-Type": content_type, "Cookie": cookie_header(submission.cookies)}
        # A generous client timeout: on a busy CI machine decoding 18 photos takes a while; the
        # server's own worker timeout is what must not strike (checked below).
        return server.request("POST", submission.action, body, headers, timeout=600)

    start = threading.Barrier(6, timeout=60)

    def send_together(submission):
        start.wait()
        return send(submission)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send_together, submissions))

    after = {pid: peak_memory_kb(pid) for pid in server.worker_pids()}
    report = {pid: (before.get(pid), peak) for pid, peak in after.items()}
    print(f"\nworker peak RSS (VmHWM, kB) before -> after 6 x 3 largest photos: {report}")
    # Every request finished (a worker killed by the timeout would answer 502 or drop the connection).
    assert [status for status, _headers, _body in results] == [302] * 6, [body[:300] for *_x, body in results]
    assert set(after) == set(before), "a worker was replaced (killed by the timeout or out of memory)"
    assert max(after.values()) < 300 * 1024, report
    assert stored_emails(server.database, [s.email for s in submissions]) == {s.email: 1 for s in submissions}
