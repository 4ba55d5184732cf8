"""The acquirer's SQLite database: terminals, cards, transactions, exchanges, messages.

One connection, WAL mode, synchronous FULL; every message is handled inside
`transaction()` so its effects and its answer are committed together before
the answer goes out.
"""

import contextlib
import sqlite3

from . import issuer

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id   TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    tmk_hex       TEXT NOT NULL,
    pik_hex       TEXT,
    mak_hex       TEXT,
    batch         TEXT,
    signed_in_at  TEXT,
    resign        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cards (
    id              INTEGER PRIMARY KEY,
    pan             TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('debit', 'credit')),
    expiry          TEXT NOT NULL,
    pin_salt        TEXT NOT NULL,
    pin_hash        TEXT NOT NULL,
    available_fen   INTEGER NOT NULL,
    limit_fen       INTEGER,
    forced_response TEXT,
    issuer_code     TEXT NOT NULL,
    issuer_name     TEXT NOT NULL,
    pin_failures    INTEGER NOT NULL DEFAULT 0,
    pin_failure_day TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
    id            INTEGER PRIMARY KEY,
    terminal_id   TEXT,
    batch         TEXT,
    trace         TEXT,
    mti           TEXT NOT NULL,
    type          TEXT NOT NULL,
    amount_fen    INTEGER,
    masked_pan    TEXT,
    card_id       INTEGER REFERENCES cards (id),
    response_code TEXT NOT NULL,
    auth_code     TEXT,
    reference     TEXT,
    state         TEXT NOT NULL CHECK (state IN ('approved', 'declined', 'reversed')),
    note          TEXT,
    created       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_key
    ON transactions (terminal_id, batch, trace, mti);
CREATE TABLE IF NOT EXISTS exchanges (
    id          INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch       TEXT NOT NULL,
    trace       TEXT NOT NULL,
    mti         TEXT NOT NULL,
    authentic   INTEGER NOT NULL,
    request_hex TEXT NOT NULL,
    answer_hex  TEXT NOT NULL,
    created     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exchanges_key
    ON exchanges (terminal_id, batch, trace, mti);
CREATE UNIQUE INDEX IF NOT EXISTS exchanges_owner
    ON exchanges (terminal_id, batch, trace, mti) WHERE authentic = 1;
CREATE TABLE IF NOT EXISTS messages (
    id        INTEGER PRIMARY KEY,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    peer      TEXT NOT NULL,
    hex       TEXT NOT NULL,
    note      TEXT,
    created   TEXT NOT NULL
);
"""

_SEQUENCE_MODULUS = 1000000


def masked_pan(pan):
    """First 6 and last 4 digits; the rest as '*'."""
    if not pan:
        return None
    if len(pan) <= 10:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


class Store:
    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self):
        self.db.close()

    @contextlib.contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _one(self, sql, args=()):
        return self.db.execute(sql, args).fetchone()

    # -- seeding -------------------------------------------------------------

    def seed(self, testdata):
        """Load the test terminal and cards once; never over existing data."""
        with self.transaction():
            if self._one("SELECT 1 FROM meta WHERE key = 'seeded'"):
                return False
            terminal = testdata["terminal"]
            self.db.execute(
                "INSERT OR IGNORE INTO terminals (terminal_id, merchant_id, merchant_name, tmk_hex)"
                " VALUES (?, ?, ?, ?)",
                (terminal["terminal_id"], terminal["merchant_id"],
                 terminal["merchant_name"], terminal["tmk"].upper()))
            for card in testdata["cards"]:
                if "pan" not in card or not card.get("on_file", True):
                    continue
                salt, pin_hash = issuer.pin_record(card["pin"])
                code, name = issuer.issuer_of(card.get("issuer", ""))
                limit = card.get("limit_fen") if card["kind"] == "credit" else None
                available = limit if limit is not None else card["balance_fen"]
                self.db.execute(
                    "INSERT OR IGNORE INTO cards (pan, name, kind, expiry, pin_salt, pin_hash,"
                    " available_fen, limit_fen, forced_response, issuer_code, issuer_name)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (card["pan"], card["name"], card["kind"], card["expiry"], salt,
                     pin_hash, available, limit, card.get("response"), code, name))
            self.db.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')")
            return True

    # -- terminals -----------------------------------------------------------

    def terminal(self, terminal_id):
        return self._one("SELECT * FROM terminals WHERE terminal_id = ?", (terminal_id,))

    def add_terminal(self, terminal_id, merchant_id, merchant_name, tmk_hex):
        with self.transaction():
            if self.terminal(terminal_id):
                return False
            self.db.execute(
                "INSERT INTO terminals (terminal_id, merchant_id, merchant_name, tmk_hex)"
                " VALUES (?, ?, ?, ?)",
                (terminal_id, merchant_id, merchant_name, tmk_hex.upper()))
            return True

    def set_working_keys(self, terminal_id, pik, mak, batch, when):
        """A sign-in: new keys, the terminal's batch, the re-sign-in flag cleared."""
        self.db.execute(
            "UPDATE terminals SET pik_hex = ?, mak_hex = ?, batch = ?, signed_in_at = ?,"
            " resign = 0 WHERE terminal_id = ?",
            (pik.hex().upper(), mak.hex().upper(), batch, when, terminal_id))

    def request_sign_in(self, terminal_id):
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE terminals SET resign = 1 WHERE terminal_id = ?", (terminal_id,))
            return cursor.rowcount == 1

    # -- cards ---------------------------------------------------------------

    def card(self, pan):
        return self._one("SELECT * FROM cards WHERE pan = ?", (pan,))

    def update_card(self, card_id, available_fen, pin_failures, pin_failure_day):
        self.db.execute(
            "UPDATE cards SET available_fen = ?, pin_failures = ?, pin_failure_day = ?"
            " WHERE id = ?", (available_fen, pin_failures, pin_failure_day, card_id))

    def refund(self, card_id, amount_fen):
        self.db.execute("UPDATE cards SET available_fen = available_fen + ? WHERE id = ?",
                        (amount_fen, card_id))

    def unlock(self, pan):
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE cards SET pin_failures = 0, pin_failure_day = NULL WHERE pan = ?",
                (pan,))
            return cursor.rowcount == 1

    def cards(self):
        rows = self.db.execute("SELECT * FROM cards ORDER BY id").fetchall()
        return [{
            "name": r["name"], "masked_pan": masked_pan(r["pan"]), "kind": r["kind"],
            "available_fen": r["available_fen"], "limit_fen": r["limit_fen"],
            "pin_failures": r["pin_failures"], "pin_failure_day": r["pin_failure_day"],
        } for r in rows]

    # -- idempotency ---------------------------------------------------------

    def exchanges(self, key):
        """Earlier exchanges with this (terminal id, batch, trace, MTI)."""
        return self.db.execute(
            "SELECT * FROM exchanges WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND mti = ? ORDER BY id", key).fetchall()

    def add_exchange(self, key, authentic, request, answer, when):
        self.db.execute(
            "INSERT INTO exchanges (terminal_id, batch, trace, mti, authentic, request_hex,"
            " answer_hex, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            tuple(key) + (int(authentic), request.hex().upper(), answer.hex().upper(), when))

    # -- transactions --------------------------------------------------------

    def add_transaction(self, **columns):
        names = sorted(columns)
        self.db.execute(
            "INSERT INTO transactions (%s) VALUES (%s)"
            % (", ".join(names), ", ".join("?" * len(names))),
            [columns[n] for n in names])

    def sales(self, terminal_id, batch, trace):
        return self.db.execute(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND mti = '0200' ORDER BY id", (terminal_id, batch, trace)).fetchall()

    def reversed_already(self, terminal_id, batch, trace):
        return self._one(
            "SELECT 1 FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND mti = '0400' AND response_code = '00'",
            (terminal_id, batch, trace)) is not None

    def mark_reversed(self, transaction_id):
        self.db.execute("UPDATE transactions SET state = 'reversed' WHERE id = ?",
                        (transaction_id,))

    def transactions(self):
        rows = self.db.execute(
            "SELECT terminal_id, batch, trace, mti, type, amount_fen, masked_pan,"
            " response_code, auth_code, reference, state, note, created"
            " FROM transactions ORDER BY id").fetchall()
        return [dict(r) for r in rows]

    def next_sequence(self):
        row = self._one("SELECT value FROM meta WHERE key = 'sequence'")
        value = (int(row["value"]) if row else 0) % _SEQUENCE_MODULUS + 1
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('sequence', ?)",
                        (str(value),))
        return value

    # -- message log ---------------------------------------------------------

    def log_message(self, direction, peer, data, when, note=None):
        self.db.execute(
            "INSERT INTO messages (direction, peer, hex, note, created) VALUES (?, ?, ?, ?, ?)",
            (direction, peer, bytes(data).hex().upper(), note, when))

