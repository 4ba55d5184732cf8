"""make bench, the acquirer's store: the time of one sale through `handlers.Host` in this process
(the whole message: MAC, PIN, the card, the answer, committed) on SQLite and on PostgreSQL (a
server of tools/pgserver.py on loopback, fsync off: the database's own cost, not the disk's), and of
opening a store already at the head revision."""

import os
import sys
import tempfile
import time

from tools import pgserver
from tools.acquirer import handlers, store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SALES = 300


def _terminal(db, url):
    """The tests' independent terminal (pyiso8583, cryptography), signed in to a host on db."""
    sys.path[:0] = [os.path.join(ROOT, "host_tests"), os.path.join(ROOT, "firmware")]
    from test_acquirer import TESTDATA
    from test_acquirer_menu import MenuTerminal
    db.seed(TESTDATA)
    terminal = MenuTerminal(handlers.Host(db), url)
    terminal.sign_in()
    terminal.download_ic()
    return terminal, {c["name"]: c for c in TESTDATA["cards"]}["good"]


def sale_ms(url):
    db = store.Store(url)
    try:
        terminal, card = _terminal(db, url)
        payloads = [terminal.build(terminal.sale_fields(card, 1)) for _ in range(SALES)]
        start = time.perf_counter()
        for payload in payloads:
            terminal.send_payload(payload)
        return (time.perf_counter() - start) * 1000 / SALES
    finally:
        db.close()


def open_ms(url):
    start = time.perf_counter()
    store.Store(url).close()
    return (time.perf_counter() - start) * 1000


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "host.db")
        print("acquirer_sale_ms_sqlite: %.2f" % sale_ms(path))
        print("acquirer_store_open_ms_sqlite: %.1f" % open_ms(path))
    with pgserver.running() as server:
        url = server.create_database("bench")
        print("acquirer_sale_ms_postgresql: %.2f" % sale_ms(url))
        print("acquirer_store_open_ms_postgresql: %.1f" % open_ms(url))


if __name__ == "__main__":
    main()
