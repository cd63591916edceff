"""Fixtures for the load and fault tests: static files and a migrated database are made once per run."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from .harness import ROOT, PostgresDatabase, SqliteDatabase, base_env, manage, start_server

POSTGRES_URL = os.environ.get("CLINIC_TEST_POSTGRES_URL", "")
# PostgreSQL too when CI provides one (.ci/run), so the guarantees hold on both databases.
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/load/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.load)
            # One xdist worker runs them all, one after another: they measure a server, not each other.
            item.add_marker(pytest.mark.xdist_group("load"))


@dataclass
class Prepared:
    tmp: Path
    env: dict
    template: Path


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """collectstatic (the manifest storage needs it) and a migrated SQLite file to copy, in parallel."""
    tmp = tmp_path_factory.mktemp("load")
    env = base_env(tmp / "static", tmp)
    template = tmp / "template.sqlite3"
    migrate_env = {**env, "DATABASE_URL": f"sqlite:///{template}"}
    collect = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    manage(migrate_env, "migrate", "--noinput", "--verbosity", "0")
    manage(migrate_env, "createcachetable")
    output, _ = collect.communicate(timeout=600)
    assert collect.returncode == 0, output
    return Prepared(tmp=tmp, env=env, template=template)


@pytest.fixture
def make_database(prepared, tmp_path):
    """A migrated database of the given backend, dropped afterwards."""
    made = []

    def make(backend="sqlite"):
        if backend == "sqlite":
            path = tmp_path / f"clinic-{len(made)}.sqlite3"
            # The backup API, not a file copy: it includes anything still in the template's WAL.
            with closing(sqlite3.connect(prepared.template)) as source, closing(sqlite3.connect(path)) as target:
                source.backup(target)
            database = SqliteDatabase(path)
        else:
            database = PostgresDatabase(POSTGRES_URL)
            database.create()
            env = {**prepared.env, "DATABASE_URL": database.url}
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            manage(env, "createcachetable")
        made.append(database)
        return database

    yield make
    for database in made:
        database.drop()


@pytest.fixture
def make_server(prepared, tmp_path):
    """Start the production server (serve.py) against a database, with extra environment; stopped afterwards."""
    servers = []

    def make(database, workers=3, threads=4, **extra_env):
        server = start_server(
            {**prepared.env, **extra_env},
            database,
            tmp_path / f"server-{len(servers)}.log",
            workers=workers,
            threads=threads,
        )
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
