"""The back-office's receipt search on a million receipts (make bench; docs/backoffice.md).

A throwaway PostgreSQL (tools/pgserver.py) at the head revision gets 1,000,000 receipts of 20
merchants over a year, made inside the server by generate_series; then receipts.search, the
function the pages and the API call, runs 200 searches of one merchant by a date range and an
amount (exact, or a range) and the 95th percentile of their times is printed:

    search_1m_p95_ms: N
    search_1m_rows: 1000000
"""

import datetime
import random
import sys
import time

from sqlalchemy import func, select, text

from tools import pgserver
from tools.acquirer import receipts, schema, store

ROWS = 1000000
MERCHANTS = 20
TERMINALS_PER_MERCHANT = 5
QUERIES = 200
START = datetime.datetime(2025, 12, 1)

# Row n: merchant n % 20 and one of its 5 terminals, a second every ~31.5 s through the year,
# 90% sales, amounts 1.00 to 2000.00 yuan scattered by a multiplicative hash.
FILL = """
INSERT INTO receipts (terminal_id, merchant_id, batch, trace, type, amount_fen, masked_pan, last4,
                      rrn, auth_code, operator, occurred, state, signed, slip, received)
SELECT lpad((n % :terminals)::text, 8, '0'),
       lpad((900000000000000 + n % :merchants)::text, 15, '0'),
       lpad((n / :terminals / 1000)::text, 6, '0'),
       lpad(((n / :terminals) % 1000 + 1)::text, 6, '0'),
       CASE WHEN n % 100 < 90 THEN 'sale' WHEN n % 100 < 95 THEN 'refund'
            WHEN n % 100 < 98 THEN 'void' ELSE 'bill_payment' END,
       100 + (n::bigint * 7919) % 199900,
       '622202******' || lpad((n % 10000)::text, 4, '0'), lpad((n % 10000)::text, 4, '0'),
       lpad(n::text, 12, '0'), lpad((n % 1000000)::text, 6, '0'), lpad((n % 7)::text, 2, '0'),
       :start + n * interval '31.5 seconds', 'approved', true, '[]',
       :start + n * interval '31.5 seconds' + interval '1 minute'
FROM generate_series(0, :rows - 1) AS n
"""


def searches(rng, merchant_id):
    """QUERIES (merchant, filters): half an exact amount, half an amount range, each within a date
    range of 1 to 31 days somewhere in the year."""
    out = []
    for i in range(QUERIES):
        first = (START + datetime.timedelta(days=rng.randrange(330))).date()
        filters = {"from": first, "to": first + datetime.timedelta(days=rng.randrange(31))}
        if i % 2:
            filters["amount"] = 100 + rng.randrange(199900)
        else:
            low = 100 + rng.randrange(190000)
            filters["min"], filters["max"] = low, low + rng.choice((1000, 5000, 20000))
        out.append((merchant_id, filters))
    return out


def run():
    with pgserver.running() as server:
        url = server.create_database("bench_backoffice")
        store.Store(url).close()                  # the head revision: the indexes under test
        engine = store.make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(FILL), {"rows": ROWS, "merchants": MERCHANTS,
                                          "terminals": MERCHANTS * TERMINALS_PER_MERCHANT, "start": START})
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE receipts"))
                rows = conn.execute(select(func.count()).select_from(schema.receipts)).scalar()
                merchant = "900000000000007"
                times = []
                found = 0
                for merchant_id, filters in searches(random.Random(8583), merchant):
                    t0 = time.perf_counter()
                    result = receipts.search(conn, merchant_id, filters, 1, 20)
                    times.append((time.perf_counter() - t0) * 1000)
                    found += result["total_count"]
                conn.rollback()
        finally:
            engine.dispose()
    times.sort()
    return times[int(len(times) * 0.95) - 1], rows, found


def main():
    p95, rows, found = run()
    print("search_1m_p95_ms: %.1f" % p95)
    print("search_1m_rows: %d" % rows)
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
