"""The acquirer's SQLite database: terminals, cards, bills, transactions, holds,
settlements, exchanges, messages.

One connection, WAL mode, synchronous FULL; every message is handled inside
`transaction()` so its effects and its answer are committed together before
the answer goes out.
"""

import contextlib
import re
import sqlite3

from . import biller, emv, issuer

DEFAULT_MAX_FEN = 9999999

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
    resign        INTEGER NOT NULL DEFAULT 0,
    params_name   TEXT,
    params_max_fen INTEGER NOT NULL DEFAULT %d,
    params_due    INTEGER NOT NULL DEFAULT 0,
    params_sent_at TEXT,
    ic_version    TEXT
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
    pin_failure_day TEXT,
    bank            TEXT NOT NULL DEFAULT '',
    bill_due_fen    INTEGER,
    partial         INTEGER NOT NULL DEFAULT 0,
    script_pending  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS billers (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    utility TEXT NOT NULL,
    mode    TEXT NOT NULL CHECK (mode IN ('E', 'A'))
);
CREATE TABLE IF NOT EXISTS bill_accounts (
    id          INTEGER PRIMARY KEY,
    biller_code TEXT NOT NULL REFERENCES billers (code),
    account     TEXT NOT NULL,
    holder      TEXT NOT NULL,
    period      TEXT NOT NULL,
    due_fen     INTEGER NOT NULL,
    UNIQUE (biller_code, account)
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
    state         TEXT NOT NULL CHECK (state IN ('approved', 'declined', 'voided',
                                    'refunded', 'reversed', 'completed', 'released')),
    note          TEXT,
    created       TEXT NOT NULL,
    original_id   INTEGER REFERENCES transactions (id),
    refunded_fen  INTEGER NOT NULL DEFAULT 0,
    bill_account_id INTEGER REFERENCES bill_accounts (id),
    credit_card_id INTEGER REFERENCES cards (id),
    due_paid_fen  INTEGER,
    icc           TEXT,
    icc_answer    TEXT,
    tc            TEXT,
    script_result TEXT
);
CREATE INDEX IF NOT EXISTS transactions_key
    ON transactions (terminal_id, batch, trace, mti);
CREATE INDEX IF NOT EXISTS transactions_reference
    ON transactions (terminal_id, reference);
CREATE TABLE IF NOT EXISTS holds (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL UNIQUE REFERENCES transactions (id),
    card_id        INTEGER NOT NULL REFERENCES cards (id),
    amount_fen     INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('held', 'completed', 'released'))
);
CREATE TABLE IF NOT EXISTS settlements (
    id                    INTEGER PRIMARY KEY,
    terminal_id           TEXT NOT NULL,
    batch                 TEXT NOT NULL,
    host_debit_fen        INTEGER NOT NULL,
    host_debit_count      INTEGER NOT NULL,
    host_credit_fen       INTEGER NOT NULL,
    host_credit_count     INTEGER NOT NULL,
    terminal_debit_fen    INTEGER NOT NULL,
    terminal_debit_count  INTEGER NOT NULL,
    terminal_credit_fen   INTEGER NOT NULL,
    terminal_credit_count INTEGER NOT NULL,
    terminal_foreign      TEXT NOT NULL,
    balanced              INTEGER NOT NULL,
    upload_count          INTEGER NOT NULL DEFAULT 0,
    declared_count        INTEGER,
    state                 TEXT NOT NULL CHECK (state IN ('uploading', 'settled')),
    note                  TEXT,
    created               TEXT NOT NULL,
    settled_at            TEXT,
    UNIQUE (terminal_id, batch)
);
CREATE TABLE IF NOT EXISTS uploads (
    id            INTEGER PRIMARY KEY,
    settlement_id INTEGER NOT NULL REFERENCES settlements (id),
    type_code     TEXT NOT NULL,
    trace         TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    created       TEXT NOT NULL
);
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
CREATE TABLE IF NOT EXISTS updates (
    id           INTEGER PRIMARY KEY,
    board        TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     BLOB NOT NULL,
    signature    BLOB NOT NULL,
    last_path    TEXT NOT NULL,
    published_at TEXT NOT NULL,
    UNIQUE (board, version)
);
CREATE TABLE IF NOT EXISTS update_files (
    update_id INTEGER NOT NULL REFERENCES updates (id),
    path      TEXT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (update_id, path)
);
CREATE TABLE IF NOT EXISTS backups (
    terminal_id TEXT PRIMARY KEY,
    data        BLOB NOT NULL,
    sha256      TEXT NOT NULL,
    created     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS backup_uploads (
    terminal_id TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS terminal_software (
    terminal_id TEXT PRIMARY KEY,
    board       TEXT NOT NULL,
    version     TEXT,
    downloaded  TEXT,
    updated_at  TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id        INTEGER PRIMARY KEY,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    peer      TEXT NOT NULL,
    hex       TEXT NOT NULL,
    note      TEXT,
    created   TEXT NOT NULL
);
""" % DEFAULT_MAX_FEN

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
        self._migrate()

    def _migrate(self):
        """A store an older acquirer made gets the columns this schema added since (each new
        column has a default or allows NULL), so `make sim` keeps its host's data across versions."""
        for table, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", SCHEMA, re.S):
            have = {row[1] for row in self.db.execute("PRAGMA table_info(%s)" % table)}
            for line in body.split(",\n"):
                column = re.match(r"\s*([a-z_]+)\s", line)
                if column and column.group(1) not in have and column.group(1) != "key":
                    self.db.execute("ALTER TABLE %s ADD COLUMN %s" % (table, line.strip()))

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
        """Load the test terminal, cards and billers, never over existing data: a store seeded by
        an older acquirer gets the cards and billers added since. True the first time."""
        with self.transaction():
            first = not self._one("SELECT 1 FROM meta WHERE key = 'seeded'")
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
                credit = card["kind"] == "credit"
                limit = card.get("limit_fen") if credit else None
                available = limit if limit is not None else card["balance_fen"]
                self.db.execute(
                    "INSERT OR IGNORE INTO cards (pan, name, kind, expiry, pin_salt, pin_hash,"
                    " available_fen, limit_fen, forced_response, issuer_code, issuer_name,"
                    " bank, bill_due_fen, partial) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (card["pan"], card["name"], card["kind"], card["expiry"], salt,
                     pin_hash, available, limit, card.get("response"), code, name,
                     card.get("issuer", ""), card.get("bill_due_fen", 0) if credit else None,
                     int(card.get("partial", False))))
            for entry in testdata.get("billers", ()):
                self.db.execute(
                    "INSERT OR IGNORE INTO billers (code, name, utility, mode) VALUES (?, ?, ?, ?)",
                    (entry["code"], entry["name"], entry["utility"], entry["mode"]))
                for account in entry["accounts"]:
                    self.db.execute(
                        "INSERT OR IGNORE INTO bill_accounts (biller_code, account, holder,"
                        " period, due_fen) VALUES (?, ?, ?, ?, ?)",
                        (entry["code"], account["account"], account["holder"],
                         account["period"], account["due_fen"]))
            imk = testdata.get("emv", {}).get("imk_ac")
            if imk:
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('imk_ac', ?)",
                                (imk.upper(),))
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('seeded', '1')")
            return first

    def issuer_key(self):
        """The issuer's master key for application cryptograms (IMK-AC), or None."""
        row = self._one("SELECT value FROM meta WHERE key = 'imk_ac'")
        return bytes.fromhex(row["value"]) if row else None

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

    def drop_working_keys(self, terminal_id):
        """A sign-off: no session keys until the next sign-in."""
        self.db.execute("UPDATE terminals SET pik_hex = NULL, mak_hex = NULL"
                        " WHERE terminal_id = ?", (terminal_id,))

    def request_sign_in(self, terminal_id):
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE terminals SET resign = 1 WHERE terminal_id = ?", (terminal_id,))
            return cursor.rowcount == 1

    def set_params(self, terminal_id, merchant_name=None, max_fen=None):
        """Change the terminal's parameters and flag it to download them."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE terminals SET params_name = COALESCE(?, params_name),"
                " params_max_fen = COALESCE(?, params_max_fen), params_due = 1"
                " WHERE terminal_id = ?", (merchant_name, max_fen, terminal_id))
            return cursor.rowcount == 1

    def ic_sent(self, terminal_id, version):
        """The terminal holds the IC parameters of this version (its last 380 answer went)."""
        self.db.execute("UPDATE terminals SET ic_version = ? WHERE terminal_id = ?", (version, terminal_id))

    def params_sent(self, terminal_id, when):
        self.db.execute("UPDATE terminals SET params_due = 0, params_sent_at = ?"
                        " WHERE terminal_id = ?", (when, terminal_id))

    # -- cards ---------------------------------------------------------------

    def card(self, pan):
        return self._one("SELECT * FROM cards WHERE pan = ?", (pan,))

    def set_pin_state(self, card_id, pin_failures, pin_failure_day):
        self.db.execute("UPDATE cards SET pin_failures = ?, pin_failure_day = ? WHERE id = ?",
                        (pin_failures, pin_failure_day, card_id))

    def move(self, card_id, fen):
        """Add fen (negative: take) to a card's balance / available limit."""
        self.db.execute("UPDATE cards SET available_fen = available_fen + ? WHERE id = ?",
                        (fen, card_id))

    def add_bill_due(self, card_id, fen):
        """A credit card's bill goes up by fen (negative: down), never below 0."""
        self.db.execute("UPDATE cards SET bill_due_fen = MAX(0, bill_due_fen + ?) WHERE id = ?",
                        (fen, card_id))

    def set_script_pending(self, name, pending=True):
        """The card (by its test data name) gets an issuer script with its next online chip answers,
        until a script result says one ran; -> False when no card has that name."""
        with self.transaction():
            cursor = self.db.execute("UPDATE cards SET script_pending = ? WHERE name = ?",
                                     (int(pending), name))
            return cursor.rowcount == 1

    def script_result(self, transaction_id, card_id, df31_hex, done):
        """A transaction's script results (DF31); a script done clears its card's pending one."""
        self.db.execute("UPDATE transactions SET script_result = ? WHERE id = ?",
                        (df31_hex, transaction_id))
        if done and card_id is not None:
            self.db.execute("UPDATE cards SET script_pending = 0 WHERE id = ?", (card_id,))

    def set_tc(self, transaction_id, tc_hex):
        self.db.execute("UPDATE transactions SET tc = ? WHERE id = ?", (tc_hex, transaction_id))

    def unlock(self, pan):
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE cards SET pin_failures = 0, pin_failure_day = NULL WHERE pan = ?",
                (pan,))
            return cursor.rowcount == 1

    def cards(self):
        rows = self.db.execute(
            "SELECT c.*, (SELECT COALESCE(SUM(h.amount_fen), 0) FROM holds h"
            " WHERE h.card_id = c.id AND h.state = 'held') AS held_fen"
            " FROM cards c ORDER BY c.id").fetchall()
        return [{
            "name": r["name"], "masked_pan": masked_pan(r["pan"]), "kind": r["kind"],
            "available_fen": r["available_fen"], "limit_fen": r["limit_fen"],
            "held_fen": r["held_fen"], "bill_due_fen": r["bill_due_fen"], "bank": r["bank"],
            "pin_failures": r["pin_failures"], "pin_failure_day": r["pin_failure_day"],
            "script_pending": bool(r["script_pending"]),
        } for r in rows]

    # -- billers -------------------------------------------------------------

    def biller(self, code):
        return self._one("SELECT * FROM billers WHERE code = ?", (code,))

    def bill_account(self, biller_code, account):
        return self._one("SELECT * FROM bill_accounts WHERE biller_code = ? AND account = ?",
                         (biller_code, account))

    def add_due(self, account_id, fen):
        """A bill's amount due goes up by fen (negative: down), never below 0."""
        self.db.execute("UPDATE bill_accounts SET due_fen = MAX(0, due_fen + ?) WHERE id = ?",
                        (fen, account_id))

    def bills(self):
        rows = self.db.execute(
            "SELECT b.code, b.name, b.utility, b.mode, a.account, a.holder, a.period, a.due_fen"
            " FROM bill_accounts a JOIN billers b ON b.code = a.biller_code"
            " ORDER BY a.id").fetchall()
        return [{
            "biller": r["code"], "name": r["name"], "utility": r["utility"], "mode": r["mode"],
            "account": r["account"], "holder": r["holder"], "period": r["period"],
            "due_fen": r["due_fen"], "paid": biller.is_paid(r["due_fen"]),
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
        """-> the new transaction's id."""
        names = sorted(columns)
        cursor = self.db.execute(
            "INSERT INTO transactions (%s) VALUES (%s)"
            % (", ".join(names), ", ".join("?" * len(names))),
            [columns[n] for n in names])
        return cursor.lastrowid

    def transaction_by_id(self, transaction_id):
        return self._one("SELECT * FROM transactions WHERE id = ?", (transaction_id,))

    def originals(self, terminal_id, batch, trace, txn_type):
        """Requests of one type with this key, oldest first: what a reversal names."""
        return self.db.execute(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND type = ? ORDER BY id", (terminal_id, batch, trace, txn_type)).fetchall()

    def scripted_original(self, terminal_id, batch, trace):
        """The financial request a script result notice names, the approved one first."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND type NOT IN ('reversal', 'script_result')"
            " ORDER BY response_code NOT IN ('00', '10'), id LIMIT 1", (terminal_id, batch, trace))

    def tc_original(self, terminal_id, batch, trace, types):
        """The approved, not reversed, request of one of types with this key: what a TC upload
        names."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND type IN (%s) AND response_code IN ('00', '10') AND state != 'reversed'"
            " ORDER BY id LIMIT 1" % ", ".join("?" * len(types)), (terminal_id, batch, trace) + tuple(types))

    def request_payload(self, transaction):
        """The payload of the request a transaction row records (its authentic exchange), or None."""
        row = self._one(
            "SELECT request_hex FROM exchanges WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND mti = ? AND authentic = 1",
            (transaction["terminal_id"], transaction["batch"], transaction["trace"], transaction["mti"]))
        return bytes.fromhex(row["request_hex"]) if row else None

    def voidable(self, terminal_id, batch, trace):
        """The approved sale or bill payment a void names by its batch and trace."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND type IN ('sale', 'bill_payment') AND response_code IN ('00', '10')"
            " ORDER BY id LIMIT 1", (terminal_id, batch, trace))

    def refundable(self, terminal_id, reference, mmdd):
        """The approved sale a refund names by its reference number and date."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = ? AND reference = ?"
            " AND strftime('%m%d', created) = ? AND type = 'sale' AND response_code IN ('00', '10')"
            " ORDER BY id LIMIT 1", (terminal_id, reference, mmdd))

    def preauth(self, merchant_id, auth_code, mmdd, card_id):
        """The latest approved pre-authorisation at this merchant with this
        authorisation code, date and card."""
        return self._one(
            "SELECT t.* FROM transactions t JOIN terminals m ON m.terminal_id = t.terminal_id"
            " WHERE m.merchant_id = ? AND t.auth_code = ? AND strftime('%m%d', t.created) = ?"
            " AND t.card_id = ? AND t.type = 'preauth' AND t.response_code = '00'"
            " ORDER BY t.id DESC LIMIT 1", (merchant_id, auth_code, mmdd, card_id))

    def reversed_already(self, terminal_id, batch, trace):
        return self._one(
            "SELECT 1 FROM transactions WHERE terminal_id = ? AND batch = ? AND trace = ?"
            " AND mti = '0400' AND response_code = '00'",
            (terminal_id, batch, trace)) is not None

    def set_state(self, transaction_id, state):
        self.db.execute("UPDATE transactions SET state = ? WHERE id = ?",
                        (state, transaction_id))

    def add_refunded(self, transaction_id, fen):
        """A sale's refunds grow by fen (negative: shrink); refunded in full is 'refunded'."""
        self.db.execute(
            "UPDATE transactions SET refunded_fen = refunded_fen + ?,"
            " state = CASE WHEN refunded_fen + ? >= amount_fen THEN 'refunded'"
            " ELSE 'approved' END WHERE id = ?", (fen, fen, transaction_id))

    def batch_transactions(self, terminal_id, batch):
        return self.db.execute(
            "SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND mti != '0400'"
            " AND response_code IN ('00', '10') ORDER BY id", (terminal_id, batch)).fetchall()

    def transactions(self):
        rows = self.db.execute(
            "SELECT id, terminal_id, batch, trace, mti, type, amount_fen, masked_pan,"
            " response_code, auth_code, reference, state, refunded_fen, original_id, note,"
            " created, icc, icc_answer, tc, script_result FROM transactions ORDER BY id").fetchall()
        out = []
        for r in rows:
            row = dict(r)
            row["icc"] = emv.summary(row["icc"], row.pop("icc_answer"), row.pop("tc"),
                                     row.pop("script_result"))
            out.append(row)
        return out

    def next_sequence(self):
        row = self._one("SELECT value FROM meta WHERE key = 'sequence'")
        value = (int(row["value"]) if row else 0) % _SEQUENCE_MODULUS + 1
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('sequence', ?)",
                        (str(value),))
        return value

    # -- holds ---------------------------------------------------------------

    def add_hold(self, transaction_id, card_id, amount_fen):
        self.db.execute("INSERT INTO holds (transaction_id, card_id, amount_fen, state)"
                        " VALUES (?, ?, ?, 'held')", (transaction_id, card_id, amount_fen))

    def hold(self, transaction_id):
        """The hold of a pre-authorisation."""
        return self._one("SELECT * FROM holds WHERE transaction_id = ?", (transaction_id,))

    def set_hold_state(self, hold_id, state):
        self.db.execute("UPDATE holds SET state = ? WHERE id = ?", (state, hold_id))

    # -- settlements ---------------------------------------------------------

    def settlement(self, terminal_id, batch):
        return self._one("SELECT * FROM settlements WHERE terminal_id = ? AND batch = ?",
                         (terminal_id, batch))

    def is_settled(self, terminal_id, batch):
        row = self.settlement(terminal_id, batch)
        return row is not None and row["state"] == "settled"

    def save_settlement(self, terminal_id, batch, host, terminal, terminal_foreign, balanced,
                        when):
        """A 0500: the batch's settlement, new or (not yet settled) done again;
        a new attempt drops the uploads of the earlier one."""
        earlier = self.settlement(terminal_id, batch)
        if earlier is not None:
            self.db.execute("DELETE FROM uploads WHERE settlement_id = ?", (earlier["id"],))
            self.db.execute("DELETE FROM settlements WHERE id = ?", (earlier["id"],))
        self.db.execute(
            "INSERT INTO settlements (terminal_id, batch, host_debit_fen, host_debit_count,"
            " host_credit_fen, host_credit_count, terminal_debit_fen, terminal_debit_count,"
            " terminal_credit_fen, terminal_credit_count, terminal_foreign, balanced, state,"
            " created, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (terminal_id, batch) + tuple(host) + tuple(terminal)
            + (terminal_foreign, int(balanced), "settled" if balanced else "uploading",
               when, when if balanced else None))

    def add_uploads(self, settlement_id, items, when):
        for item in items:
            self.db.execute(
                "INSERT INTO uploads (settlement_id, type_code, trace, amount_fen, created)"
                " VALUES (?, ?, ?, ?, ?)", (settlement_id,) + tuple(item) + (when,))
        self.db.execute(
            "UPDATE settlements SET upload_count = upload_count + ? WHERE id = ?",
            (len(items), settlement_id))

    def uploads(self, settlement_id):
        return self.db.execute("SELECT * FROM uploads WHERE settlement_id = ? ORDER BY id",
                               (settlement_id,)).fetchall()

    def end_upload(self, settlement_id, declared_count, note, when):
        """Upload end: the batch is settled (on the terminal's figures if it was
        not balanced); a settled batch keeps its settled_at."""
        self.db.execute(
            "UPDATE settlements SET declared_count = ?, note = ?, state = 'settled',"
            " settled_at = COALESCE(settled_at, ?) WHERE id = ?",
            (declared_count, note, when, settlement_id))

    def settlements(self):
        rows = self.db.execute("SELECT * FROM settlements ORDER BY id").fetchall()
        out = []
        for r in rows:
            row = dict(r)
            row["balanced"] = bool(row["balanced"])
            del row["id"]
            out.append(row)
        return out

    # -- application images (updates.py) --------------------------------------

    def add_update(self, board, version, manifest, signature, files, last_path, when):
        """Publish an image (files: [(path, bytes)]). Publishing the same manifest again changes
        nothing; -> False when (board, version) is published with another manifest."""
        with self.transaction():
            row = self.update(board, version)
            if row is not None:
                return bytes(row["manifest"]) == manifest
            cursor = self.db.execute(
                "INSERT INTO updates (board, version, manifest, signature, last_path, published_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (board, version, manifest, signature, last_path, when))
            self.db.executemany(
                "INSERT INTO update_files (update_id, path, data) VALUES (?, ?, ?)",
                [(cursor.lastrowid, path, data) for path, data in files])
            return True

    def update(self, board, version):
        return self._one("SELECT * FROM updates WHERE board = ? AND version = ?", (board, version))

    def updates_of(self, board):
        return self.db.execute("SELECT * FROM updates WHERE board = ? ORDER BY id", (board,)).fetchall()

    def update_chunk(self, update_id, path, offset, size):
        """(file size, up to size bytes from offset) of a published file, or None."""
        row = self._one("SELECT length(data) AS size, substr(data, ?, ?) AS chunk FROM update_files"
                        " WHERE update_id = ? AND path = ?", (offset + 1, size, update_id, path))
        return None if row is None else (row["size"], bytes(row["chunk"] or b""))

    def terminal_software(self, terminal_id):
        return self._one("SELECT * FROM terminal_software WHERE terminal_id = ?", (terminal_id,))

    def set_terminal_board(self, terminal_id, board, when):
        """The terminal runs board (an operator says so); a change of board forgets its versions."""
        with self.transaction():
            if self.terminal(terminal_id) is None:
                return False
            self.db.execute(
                "INSERT INTO terminal_software (terminal_id, board, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (terminal_id) DO UPDATE SET version = CASE WHEN board = excluded.board"
                " THEN version END, downloaded = CASE WHEN board = excluded.board THEN downloaded END,"
                " board = excluded.board, updated_at = excluded.updated_at", (terminal_id, board, when))
            return True

    # -- backups ---------------------------------------------------------------

    def backup_upload(self, terminal_id):
        """(declared size, bytes so far) of a backup being uploaded, or None."""
        row = self._one("SELECT size, data FROM backup_uploads WHERE terminal_id = ?", (terminal_id,))
        return None if row is None else (row["size"], bytes(row["data"]))

    def set_backup_upload(self, terminal_id, size, data):
        self.db.execute("INSERT INTO backup_uploads (terminal_id, size, data) VALUES (?, ?, ?)"
                        " ON CONFLICT (terminal_id) DO UPDATE SET size = excluded.size, data = excluded.data",
                        (terminal_id, size, data))

    def finish_backup(self, terminal_id, data, digest, when):
        """The uploaded backup replaces the terminal's previous one."""
        self.db.execute("DELETE FROM backup_uploads WHERE terminal_id = ?", (terminal_id,))
        self.db.execute("INSERT INTO backups (terminal_id, data, sha256, created) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (terminal_id) DO UPDATE SET data = excluded.data,"
                        " sha256 = excluded.sha256, created = excluded.created",
                        (terminal_id, data, digest, when))

    def backup(self, terminal_id):
        return self._one("SELECT * FROM backups WHERE terminal_id = ?", (terminal_id,))

    def backups(self):
        rows = self.db.execute("SELECT terminal_id, length(data) AS size, sha256, created FROM backups"
                               " ORDER BY terminal_id").fetchall()
        return [dict(r) for r in rows]

    def software_reported(self, terminal_id, board, version, when):
        """What a terminal said it runs, in a manifest request."""
        self.db.execute(
            "INSERT INTO terminal_software (terminal_id, board, version, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (terminal_id) DO UPDATE SET downloaded = CASE WHEN board = excluded.board"
            " THEN downloaded END, board = excluded.board, version = excluded.version,"
            " updated_at = excluded.updated_at", (terminal_id, board, version, when))

    def software_downloaded(self, terminal_id, board, version, when):
        """The terminal fetched the last bytes of image version for board."""
        self.db.execute(
            "INSERT INTO terminal_software (terminal_id, board, downloaded, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (terminal_id) DO UPDATE SET board = excluded.board,"
            " downloaded = excluded.downloaded, updated_at = excluded.updated_at",
            (terminal_id, board, version, when))

    # -- message log ---------------------------------------------------------

    def log_message(self, direction, peer, data, when, note=None):
        self.db.execute(
            "INSERT INTO messages (direction, peer, hex, note, created) VALUES (?, ?, ?, ?, ?)",
            (direction, peer, bytes(data).hex().upper(), note, when))
