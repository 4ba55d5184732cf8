"""make bench, e-receipts into PostgreSQL: `receipt_sync_per_s`.

Twenty terminals (the tests' independent terminal: pyiso8583 and cryptography, each signed in with
keys of its own) upload RECEIPTS e-receipts each, as the terminal's queue sends them (0820, 60.3 800:
the firmware's own encoder, the sample signature, one part each), all at once, to two acquirer
processes sharing one PostgreSQL server (tools/pgserver.py on loopback), ten terminals on each.
The figure is receipts kept per second of wall time, from the first upload to the last answer;
the database is then checked to hold every receipt once.
"""
import os
import sys
import threading
import time

from tools import pgserver
from tools.acquirer import store
from tools.acquirer.testing import start_acquirer, stop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TERMINALS = 20
RECEIPTS = 25
PROCESSES = 2


def _kits():
    sys.path[:0] = [os.path.join(ROOT, "host_tests"), os.path.join(ROOT, "firmware")]
    import test_acquirer
    from pos import ereceipt
    from pos.signature import SAMPLE
    return test_acquirer, ereceipt, SAMPLE


def _uploads(kit, ereceipt, sample, tid, mid, port):
    """The terminal signed in, and its receipts' 0820 payloads, built before the clock starts."""
    t = kit.Terminal(port, tid=tid, mid=mid)
    assert t.sign_in()[39] == "00"
    payloads = []
    for n in range(1, RECEIPTS + 1):
        trace = "%06d" % n
        values = {0xDF02: "sale", 0xDF03: "approved", 0xDF04: str(1000 + n), 0xDF05: t.batch, 0xDF06: trace,
                  0xDF07: "20261123101500", 0xDF08: "622202*********0017", 0xDF09: "101500%06d" % n,
                  0xDF0A: "123456", 0xDF0B: "01", 0xDF10: tid, 0xDF11: mid}
        slip = (("商户名称 MERCHANT NAME:", "测试商户"), ("凭证号 VOUCHER NO.:", trace),
                ("金额 AMOUNT RMB:", "RMB %d.%02d" % divmod(1000 + n, 100)))
        data = ereceipt.build(values, lambda: iter(slip), sample)
        items = b"".join(tag.encode() + b"%03d" % len(value) + value for tag, value in (
            ("PN", b"01"), ("PC", b"01"), ("TY", b"sale"), ("QN", b"%d" % (RECEIPTS - n + 1)), ("RD", data)))
        payloads.append(t.build({0: "0820", 11: t.next_trace(), 41: tid, 42: mid, 60: "00" + t.batch + "800",
                                 61: t.batch + trace + "1123", 62: items}))
    return t, payloads


def receipts_per_second(url):
    kit, ereceipt, sample = _kits()
    db = store.Store(url)
    db.seed(kit.TESTDATA)
    tmk = kit.TESTDATA["terminal"]["tmk"]
    ids = [("9%07d" % i, "9000000000%05d" % i) for i in range(TERMINALS)]
    for tid, mid in ids:
        db.add_terminal(tid, mid, "商户 " + tid, tmk)
    db.close()
    hosts = [start_acquirer(url, log_path=os.devnull) for _ in range(PROCESSES)]
    try:
        terminals = [_uploads(kit, ereceipt, sample, tid, mid, hosts[i % PROCESSES][1])
                     for i, (tid, mid) in enumerate(ids)]
        refused = []
        start = threading.Barrier(TERMINALS + 1)

        def run(t, payloads):
            start.wait()
            for payload in payloads:
                if t.send_payload(payload)[39] != "00":
                    refused.append(payload)
            t.close()

        threads = [threading.Thread(target=run, args=pair) for pair in terminals]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        for process, _port in hosts:
            stop(process)
    db = store.Store(url)
    try:
        kept = db.conn.exec_driver_sql("SELECT count(*), count(DISTINCT (terminal_id, trace)) FROM receipts").one()
    finally:
        db.close()
    if refused or tuple(kept) != (TERMINALS * RECEIPTS,) * 2:
        raise SystemExit("receipt sync: %d refused, %r kept" % (len(refused), tuple(kept)))
    return TERMINALS * RECEIPTS / elapsed


def main():
    with pgserver.running() as server:
        print("receipt_sync_per_s: %.0f" % receipts_per_second(server.create_database("receipts")))


if __name__ == "__main__":
    main()
