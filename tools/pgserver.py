"""A throwaway PostgreSQL server on loopback, for tests and benchmarks.

    with pgserver.running() as server:
        url = server.create_database("t1")      # postgresql://postgres@127.0.0.1:PORT/t1

A cluster is made (initdb) in a temporary directory, started with pg_ctl on a free 127.0.0.1
port with its unix socket in that directory, and stopped and removed at the end, also on failure.
Run as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
The binaries are Debian's: /usr/lib/postgresql/<version>/bin (`apt-get install postgresql`).
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import psycopg

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"


class PostgresMissing(RuntimeError):
    pass


def binaries():
    """The bin directory of the newest installed PostgreSQL."""
    found = [d for d in glob.glob(BIN_GLOB) if os.path.exists(os.path.join(d, "pg_ctl"))]
    if not found:
        raise PostgresMissing("no PostgreSQL server under %s: apt-get install postgresql "
                              "(or `make postgresql`)" % BIN_GLOB)
    return max(found, key=lambda d: int(d.split(os.sep)[-2].split(".")[0]))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running cluster: `url(database)`, `create_database(name)`, `stop()`."""

    def __init__(self, directory):
        self.bin = binaries()
        self.directory = directory
        self.data = os.path.join(directory, "data")
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam(SUPERUSER)
            os.chown(directory, user.pw_uid, user.pw_gid)

    def _run(self, program, *args):
        command = [os.path.join(self.bin, program)] + list(args)
        if self._as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--"] + command
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (program, result.stdout, result.stderr))
        return result.stdout

    def start(self):
        # No fsync: a test cluster dies with its directory, and tests should not wait on the disk.
        self._run("initdb", "-D", self.data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        options = "-h 127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off" \
                  " -c synchronous_commit=off -c max_connections=200" % (self.port, self.directory)
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.directory, "log"),
                  "-w", "-t", "60", "start")

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def url(self, database="postgres"):
        return "postgresql://%s@127.0.0.1:%d/%s" % (SUPERUSER, self.port, database)

    def create_database(self, name):
        """A new empty database (CREATE DATABASE copies template1: milliseconds); -> its URL."""
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute('CREATE DATABASE "%s"' % name)
        return self.url(name)


@contextlib.contextmanager
def running():
    """A started Server, stopped and removed when the block ends however it ends."""
    directory = tempfile.mkdtemp(prefix="pgserver-")
    try:
        server = Server(directory)
        try:
            server.start()
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
