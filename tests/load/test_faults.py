"""A database that is locked or down: a clear 503 page that says to try again, never a traceback."""

from scripts.formdata import PATIENT

from .harness import PostgresDatabase, open_form, stored_emails


def assert_outage_page(status, headers, body):
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "We are busy for a moment" in body
    assert "Traceback" not in body
    assert "Server Error (500)" not in body


def test_locked_database_gives_503_and_the_form_can_be_sent_again(make_database, make_server):
    database = make_database("sqlite")
    # A short busy timeout keeps the test fast; production waits 20 s before giving up.
    server = make_server(database, CLINIC_SQLITE_TIMEOUT_SECONDS="1")
    submission = open_form(server, "locked-out@example.com")

    with database.write_locked():
        submission.send(server)
        assert_outage_page(submission.status, submission.headers, submission.body)
        # Reading still works while a writer holds the lock (WAL).
        assert server.request("GET", "/treatments/belotero/")[0] == 200
        assert server.request("GET", "/healthz")[0] == 200

    assert stored_emails(database, [submission.email]) == {submission.email: 0}
    # The patient goes back and sends the same form again once the lock is gone.
    submission.send(server)
    assert submission.succeeded
    assert stored_emails(database, [submission.email]) == {submission.email: 1}

    log = server.log()
    assert "database unavailable method=POST path=/consultations/new/ error=OperationalError: database is locked" in log
    assert "Traceback" not in log
    for value in (submission.email, PATIENT["last_name"], PATIENT["medications"]):
        assert value not in log


def test_database_down_gives_503_on_every_page(make_server):
    # Nothing listens on port 1: connections are refused at once, like a stopped PostgreSQL.
    database = PostgresDatabase("postgres://clinic:clinic@127.0.0.1:1/clinic")
    server = make_server(database, workers=1, threads=2)
    for path in ("/", "/treatments/belotero/", "/consultations/new/"):
        assert_outage_page(*server.request("GET", path))
    status, _headers, body = server.request("GET", "/healthz")
    assert (status, body) == (503, "database unavailable")
    assert "Traceback" not in server.log()
