import itertools
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (ROOT, os.path.join(ROOT, "firmware"), os.path.join(ROOT, "host_tests", "vm")):
    if p not in sys.path:
        sys.path.insert(0, p)

_DATABASES = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server on loopback for the whole run (tools/pgserver.py), started on first use."""
    from tools import pgserver
    with pgserver.running() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The acquirer's store on each backend in turn: a SQLite file of this test's, then a new empty
    PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "host.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def postgres_url(postgres_server):
    """A new empty database on that server for this test: postgresql://...@127.0.0.1:PORT/tN."""
    return postgres_server.create_database("t%d" % next(_DATABASES))
