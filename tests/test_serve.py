"""serve.py: granian's command line from the environment, under the names that say what they set."""

import serve


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_defaults_listen_on_loopback_at_port(capsys):
    argv = serve.command({"PORT": "8123"})
    assert (option(argv, "--host"), option(argv, "--port")) == ("127.0.0.1", "8123")
    assert option(argv, "--blocking-threads") == "2"
    assert option(argv, "--workers") == str(min(serve.cores() + 1, 8))
    assert capsys.readouterr().err == ""


def test_clinic_names_set_bind_threads_and_workers(capsys):
    argv = serve.command({"CLINIC_BIND": "10.0.0.5:8001", "CLINIC_THREADS": "4", "WEB_CONCURRENCY": "3"})
    assert (option(argv, "--host"), option(argv, "--port")) == ("10.0.0.5", "8001")
    assert option(argv, "--blocking-threads") == "4"
    assert option(argv, "--workers") == "3"
    assert capsys.readouterr().err == ""


def test_a_unix_socket_bind():
    argv = serve.command({"CLINIC_BIND": "unix:/run/clinic.sock"})
    assert option(argv, "--uds") == "/run/clinic.sock"
    assert "--host" not in argv


def test_old_gunicorn_names_still_work_with_a_deprecation_line(capsys):
    argv = serve.command({"GUNICORN_BIND": "127.0.0.1:8002", "GUNICORN_THREADS": "3"})
    assert option(argv, "--port") == "8002"
    assert option(argv, "--blocking-threads") == "3"
    assert capsys.readouterr().err.splitlines() == [
        "serve.py: GUNICORN_BIND is deprecated and will stop working; set CLINIC_BIND instead.",
        "serve.py: GUNICORN_THREADS is deprecated and will stop working; set CLINIC_THREADS instead.",
    ]


def test_the_new_name_wins_over_the_old_one(capsys):
    argv = serve.command({"CLINIC_THREADS": "5", "GUNICORN_THREADS": "3"})
    assert option(argv, "--blocking-threads") == "5"
    assert capsys.readouterr().err == ""
