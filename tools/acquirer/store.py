"""The acquirer's database: terminals, cards, bills, transactions, holds, settlements, exchanges,
messages; SQLite at a path (the test host) or PostgreSQL at a URL, through SQLAlchemy Core.

The tables are `schema.py`; a Store brings its database to the head revision of `migrations/` when
it opens. Every message is handled inside `transaction()`, so its effects and its answer are
committed together before the answer goes out. SQLite: WAL, synchronous FULL, and BEGIN IMMEDIATE,
so one writer at a time. PostgreSQL (READ COMMITTED): what must stay unique across processes is a
constraint or one atomic statement; a transaction that loses such a race raises `Conflict`.
"""

import contextlib
import functools
import os
import sqlite3

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, create_engine, event, exc, insert, text, update
from sqlalchemy.engine import URL, make_url

from . import biller, emv, issuer, schema, wallet

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

_SEQUENCE_MODULUS = 1000000

# PostgreSQL's serialization failure and deadlock: the transaction lost to another, as on a
# unique constraint, and may simply run again.
_RETRYABLE_STATES = ("40001", "40P01")


class Conflict(Exception):
    """Another transaction stored the same thing first; this one was rolled back and may run again."""


def masked_pan(pan):
    """First 6 and last 4 digits; the rest as '*'."""
    if not pan:
        return None
    if len(pan) <= 10:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def database_url(path_or_url):
    """A plain path is a SQLite file; postgresql:// means the psycopg 3 driver."""
    if "://" not in path_or_url:
        return URL.create("sqlite", database=path_or_url)
    url = make_url(path_or_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(path_or_url):
    url = database_url(path_or_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 10.0})
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(dbapi_connection, _record):
    # SQLAlchemy's recipe for SQLite: the driver emits no BEGIN of its own; _sqlite_begin does.
    dbapi_connection.isolation_level = None
    # Rows by column name for whoever uses the driver's connection directly (Store.db), as before.
    dbapi_connection.row_factory = sqlite3.Row
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        dbapi_connection.execute("PRAGMA " + pragma)


def _sqlite_begin(connection):
    # Take the write lock at the start, so two processes never both read before either writes.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(connection=None):
    """The migrations' config, built here: no alembic.ini at run time."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


@functools.lru_cache(maxsize=None)
def head_revision():
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(connection):
    """Bring the database to the head revision; a store made before the migrations (tables, no
    alembic_version) is completed by revision 0001. Cheap when it is there already."""
    with connection.begin():
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head_revision():
        command.upgrade(alembic_config(connection), "head")


@functools.lru_cache(maxsize=None)
def _sql(statement):
    return text(statement)


def _first(result):
    return result.mappings().first()


def _rows(result):
    return result.mappings().all()


def _count(result):
    return result.rowcount


def _conflict(error):
    return (isinstance(error, exc.IntegrityError)
            or getattr(error.orig, "sqlstate", None) in _RETRYABLE_STATES)


class Store:
    def __init__(self, path_or_url):
        self.engine = make_engine(path_or_url)
        self.conn = self.engine.connect()
        upgrade(self.conn)

    @property
    def db(self):
        """The driver's own connection under the store's (sqlite3 or psycopg), for a look at the
        database no method gives (PRAGMAs in tests)."""
        return self.conn.connection.driver_connection

    def close(self):
        self.conn.close()
        self.engine.dispose()

    @contextlib.contextmanager
    def transaction(self):
        """All of the block or none of it; -> Conflict when another transaction won a race."""
        try:
            with self.conn.begin():
                yield self
        except exc.DBAPIError as e:
            if _conflict(e):
                raise Conflict(str(e.orig)) from e
            raise

    def _run(self, statement, params, take):
        """Execute in the open transaction, or in one of its own (what autocommit did)."""
        if self.conn.in_transaction():
            return take(self.conn.execute(statement, params))
        with self.transaction():
            return take(self.conn.execute(statement, params))

    def _one(self, sql, **params):
        return self._run(_sql(sql), params, _first)

    def _all(self, sql, **params):
        return self._run(_sql(sql), params, _rows)

    def _write(self, sql, **params):
        """-> the number of rows changed."""
        return self._run(_sql(sql), params, _count)

    def retrying(self, work, attempts=3):
        """work() in a transaction of its own, all of it run again when it loses a race (Conflict):
        for what acts on the store beside the host's messages (the wallet simulator's phone)."""
        for attempt in range(attempts):
            try:
                with self.transaction():
                    return work()
            except Conflict:
                if attempt == attempts - 1:
                    raise

    # -- seeding -------------------------------------------------------------

    def seed(self, testdata):
        """Load the test terminal, cards and billers, never over existing data: a store seeded by
        an older acquirer gets the cards and billers added since. True the first time."""
        with self.transaction():
            first = not self._one("SELECT 1 FROM meta WHERE key = 'seeded'")
            terminal = testdata["terminal"]
            self._write(
                "INSERT INTO terminals (terminal_id, merchant_id, merchant_name, tmk_hex)"
                " VALUES (:tid, :mid, :name, :tmk) ON CONFLICT DO NOTHING",
                tid=terminal["terminal_id"], mid=terminal["merchant_id"],
                name=terminal["merchant_name"], tmk=terminal["tmk"].upper())
            for card in testdata["cards"]:
                if "pan" not in card or not card.get("on_file", True):
                    continue
                self._seed_card(card)
            for entry in testdata.get("billers", ()):
                self._write(
                    "INSERT INTO billers (code, name, utility, mode) VALUES (:code, :name, :utility, :mode)"
                    " ON CONFLICT DO NOTHING", code=entry["code"], name=entry["name"],
                    utility=entry["utility"], mode=entry["mode"])
                for account in entry["accounts"]:
                    self._write(
                        "INSERT INTO bill_accounts (biller_code, account, holder, period, due_fen)"
                        " VALUES (:code, :account, :holder, :period, :due) ON CONFLICT DO NOTHING",
                        code=entry["code"], account=account["account"], holder=account["holder"],
                        period=account["period"], due=account["due_fen"])
            imk = testdata.get("emv", {}).get("imk_ac")
            if imk:
                self._write("INSERT INTO meta (key, value) VALUES ('imk_ac', :value)"
                            " ON CONFLICT (key) DO UPDATE SET value = excluded.value", value=imk.upper())
            self._write("INSERT INTO meta (key, value) VALUES ('seeded', '1') ON CONFLICT DO NOTHING")
            return first

    def _seed_card(self, card):
        salt, pin_hash = issuer.pin_record(card["pin"])
        code, name = issuer.issuer_of(card.get("issuer", ""))
        credit = card["kind"] == "credit"
        limit = card.get("limit_fen") if credit else None
        available = limit if limit is not None else card["balance_fen"]
        self._write(
            "INSERT INTO cards (pan, name, kind, expiry, pin_salt, pin_hash, available_fen, limit_fen,"
            " forced_response, issuer_code, issuer_name, bank, bill_due_fen, partial)"
            " VALUES (:pan, :name, :kind, :expiry, :salt, :hash, :available, :limit, :forced,"
            " :issuer_code, :issuer_name, :bank, :bill_due, :partial) ON CONFLICT DO NOTHING",
            pan=card["pan"], name=card["name"], kind=card["kind"], expiry=card["expiry"], salt=salt,
            hash=pin_hash, available=available, limit=limit, forced=card.get("response"),
            issuer_code=code, issuer_name=name, bank=card.get("issuer", ""),
            bill_due=card.get("bill_due_fen", 0) if credit else None,
            partial=int(card.get("partial", False)))

    def issuer_key(self):
        """The issuer's master key for application cryptograms (IMK-AC), or None."""
        row = self._one("SELECT value FROM meta WHERE key = 'imk_ac'")
        return bytes.fromhex(row["value"]) if row else None

    # -- terminals -----------------------------------------------------------

    def terminal(self, terminal_id):
        return self._one("SELECT * FROM terminals WHERE terminal_id = :tid", tid=terminal_id)

    def add_terminal(self, terminal_id, merchant_id, merchant_name, tmk_hex):
        """-> False when the terminal exists (here or, at the same moment, from another process)."""
        return self._write(
            "INSERT INTO terminals (terminal_id, merchant_id, merchant_name, tmk_hex)"
            " VALUES (:tid, :mid, :name, :tmk) ON CONFLICT DO NOTHING",
            tid=terminal_id, mid=merchant_id, name=merchant_name, tmk=tmk_hex.upper()) == 1

    def seen(self, terminal_id, when):
        """A known terminal sent a message at when (a datetime); an unknown one changes nothing."""
        self._run(update(schema.terminals).where(schema.terminals.c.terminal_id == terminal_id)
                  .values(last_seen=when), None, _count)

    def set_working_keys(self, terminal_id, pik, mak, batch, when):
        """A sign-in: new keys, the terminal's batch, the re-sign-in flag cleared."""
        self._write(
            "UPDATE terminals SET pik_hex = :pik, mak_hex = :mak, batch = :batch,"
            " signed_in_at = :when, resign = 0 WHERE terminal_id = :tid",
            pik=pik.hex().upper(), mak=mak.hex().upper(), batch=batch, when=when, tid=terminal_id)

    def drop_working_keys(self, terminal_id):
        """A sign-off: no session keys until the next sign-in."""
        self._write("UPDATE terminals SET pik_hex = NULL, mak_hex = NULL WHERE terminal_id = :tid",
                    tid=terminal_id)

    def request_sign_in(self, terminal_id):
        return self._write("UPDATE terminals SET resign = 1 WHERE terminal_id = :tid",
                           tid=terminal_id) == 1

    def set_params(self, terminal_id, merchant_name=None, max_fen=None, nosign_fen=None, qr_base=None):
        """Change the terminal's parameters and flag it to download them."""
        return self._write(
            "UPDATE terminals SET params_name = COALESCE(:name, params_name),"
            " params_max_fen = COALESCE(:max_fen, params_max_fen),"
            " params_nosign_fen = COALESCE(:nosign_fen, params_nosign_fen),"
            " params_qr_base = COALESCE(:qr_base, params_qr_base), params_due = 1"
            " WHERE terminal_id = :tid", name=merchant_name, max_fen=max_fen, nosign_fen=nosign_fen,
            qr_base=qr_base, tid=terminal_id) == 1

    def ic_sent(self, terminal_id, version):
        """The terminal holds the IC parameters of this version (its last 380 answer went)."""
        self._write("UPDATE terminals SET ic_version = :version WHERE terminal_id = :tid",
                    version=version, tid=terminal_id)

    def params_sent(self, terminal_id, when):
        self._write("UPDATE terminals SET params_due = 0, params_sent_at = :when WHERE terminal_id = :tid",
                    when=when, tid=terminal_id)

    # -- cards ---------------------------------------------------------------

    def card(self, pan):
        return self._one("SELECT * FROM cards WHERE pan = :pan", pan=pan)

    def set_pin_state(self, card_id, pin_failures, pin_failure_day):
        self._write("UPDATE cards SET pin_failures = :failures, pin_failure_day = :day WHERE id = :id",
                    failures=pin_failures, day=pin_failure_day, id=card_id)

    def move(self, card_id, fen):
        """Add fen (negative: take) to a card's balance / available limit."""
        self._write("UPDATE cards SET available_fen = available_fen + :fen WHERE id = :id",
                    fen=fen, id=card_id)

    def add_bill_due(self, card_id, fen):
        """A credit card's bill goes up by fen (negative: down), never below 0."""
        self._write("UPDATE cards SET bill_due_fen = CASE WHEN bill_due_fen + :fen < 0 THEN 0"
                    " ELSE bill_due_fen + :fen END WHERE id = :id", fen=fen, id=card_id)

    def set_script_pending(self, name, pending=True):
        """The card (by its test data name) gets an issuer script with its next online chip answers,
        until a script result says one ran; -> False when no card has that name."""
        return self._write("UPDATE cards SET script_pending = :pending WHERE name = :name",
                           pending=int(pending), name=name) == 1

    def script_result(self, transaction_id, card_id, df31_hex, done):
        """A transaction's script results (DF31); a script done clears its card's pending one."""
        self._write("UPDATE transactions SET script_result = :df31 WHERE id = :id",
                    df31=df31_hex, id=transaction_id)
        if done and card_id is not None:
            self._write("UPDATE cards SET script_pending = 0 WHERE id = :id", id=card_id)

    def set_tc(self, transaction_id, tc_hex):
        self._write("UPDATE transactions SET tc = :tc WHERE id = :id", tc=tc_hex, id=transaction_id)

    def unlock(self, pan):
        return self._write("UPDATE cards SET pin_failures = 0, pin_failure_day = NULL WHERE pan = :pan",
                           pan=pan) == 1

    def cards(self):
        rows = self._all(
            "SELECT c.*, (SELECT COALESCE(SUM(h.amount_fen), 0) FROM holds h"
            " WHERE h.card_id = c.id AND h.state = 'held') AS held_fen"
            " FROM cards c ORDER BY c.id")
        return [{
            "name": r["name"], "masked_pan": masked_pan(r["pan"]), "kind": r["kind"],
            "available_fen": r["available_fen"], "limit_fen": r["limit_fen"],
            "held_fen": int(r["held_fen"]), "bill_due_fen": r["bill_due_fen"], "bank": r["bank"],
            "pin_failures": r["pin_failures"], "pin_failure_day": r["pin_failure_day"],
            "script_pending": bool(r["script_pending"]),
        } for r in rows]

    # -- billers -------------------------------------------------------------

    def biller(self, code):
        return self._one("SELECT * FROM billers WHERE code = :code", code=code)

    def bill_account(self, biller_code, account):
        return self._one("SELECT * FROM bill_accounts WHERE biller_code = :code AND account = :account",
                         code=biller_code, account=account)

    def add_due(self, account_id, fen):
        """A bill's amount due goes up by fen (negative: down), never below 0."""
        self._write("UPDATE bill_accounts SET due_fen = CASE WHEN due_fen + :fen < 0 THEN 0"
                    " ELSE due_fen + :fen END WHERE id = :id", fen=fen, id=account_id)

    def bills(self):
        rows = self._all(
            "SELECT b.code, b.name, b.utility, b.mode, a.account, a.holder, a.period, a.due_fen"
            " FROM bill_accounts a JOIN billers b ON b.code = a.biller_code ORDER BY a.id")
        return [{
            "biller": r["code"], "name": r["name"], "utility": r["utility"], "mode": r["mode"],
            "account": r["account"], "holder": r["holder"], "period": r["period"],
            "due_fen": r["due_fen"], "paid": biller.is_paid(r["due_fen"]),
        } for r in rows]

    # -- idempotency ---------------------------------------------------------

    def exchanges(self, key):
        """Earlier exchanges with this (terminal id, batch, trace, MTI)."""
        tid, batch, trace, mti = key
        return self._all(
            "SELECT * FROM exchanges WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND mti = :mti ORDER BY id", tid=tid, batch=batch, trace=trace, mti=mti)

    def add_exchange(self, key, authentic, request, answer, when):
        """The answer to a request. A second authentic exchange of one key breaks the unique index
        exchanges_owner: the transaction that tries it ends in Conflict."""
        tid, batch, trace, mti = key
        self._write(
            "INSERT INTO exchanges (terminal_id, batch, trace, mti, authentic, request_hex, answer_hex,"
            " created) VALUES (:tid, :batch, :trace, :mti, :authentic, :request, :answer, :when)",
            tid=tid, batch=batch, trace=trace, mti=mti, authentic=int(authentic),
            request=request.hex().upper(), answer=answer.hex().upper(), when=when)

    # -- transactions --------------------------------------------------------

    def add_transaction(self, **columns):
        """-> the new transaction's id."""
        table = schema.transactions
        return self._run(insert(table).returning(table.c.id), columns,
                         lambda result: result.scalar_one())

    def transaction_by_id(self, transaction_id):
        return self._one("SELECT * FROM transactions WHERE id = :id", id=transaction_id)

    def originals(self, terminal_id, batch, trace, txn_type):
        """Requests of one type with this key, oldest first: what a reversal names."""
        return self._all(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND type = :type ORDER BY id", tid=terminal_id, batch=batch, trace=trace, type=txn_type)

    def scripted_original(self, terminal_id, batch, trace):
        """The financial request a script result notice names, the approved one first."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND type NOT IN ('reversal', 'script_result')"
            " ORDER BY response_code NOT IN ('00', '10'), id LIMIT 1",
            tid=terminal_id, batch=batch, trace=trace)

    def tc_original(self, terminal_id, batch, trace, types):
        """The approved, not reversed, request of one of types with this key: what a TC upload
        names."""
        statement = _sql(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND type IN :types AND response_code IN ('00', '10') AND state != 'reversed'"
            " ORDER BY id LIMIT 1").bindparams(bindparam("types", expanding=True))
        return self._run(statement, dict(tid=terminal_id, batch=batch, trace=trace, types=list(types)),
                         _first)

    def request_payload(self, transaction):
        """The payload of the request a transaction row records (its authentic exchange), or None."""
        row = self._one(
            "SELECT request_hex FROM exchanges WHERE terminal_id = :tid AND batch = :batch"
            " AND trace = :trace AND mti = :mti AND authentic = 1",
            tid=transaction["terminal_id"], batch=transaction["batch"], trace=transaction["trace"],
            mti=transaction["mti"])
        return bytes.fromhex(row["request_hex"]) if row else None

    def voidable(self, terminal_id, batch, trace):
        """The approved sale or bill payment a void names by its batch and trace."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND type IN ('sale', 'bill_payment') AND response_code IN ('00', '10')"
            " ORDER BY id LIMIT 1", tid=terminal_id, batch=batch, trace=trace)

    # created is ISO text (YYYY-MM-DDTHH:MM:SS): its MMDD, the same on SQLite and PostgreSQL.
    _MMDD = "substr(%s, 6, 2) || substr(%s, 9, 2)"

    def refundable(self, terminal_id, reference, mmdd):
        """The approved sale a refund names by its reference number and date."""
        return self._one(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND reference = :reference"
            " AND " + self._MMDD % ("created", "created") + " = :mmdd AND type = 'sale'"
            " AND response_code IN ('00', '10') ORDER BY id LIMIT 1",
            tid=terminal_id, reference=reference, mmdd=mmdd)

    def preauth(self, merchant_id, auth_code, mmdd, card_id):
        """The latest approved pre-authorisation at this merchant with this
        authorisation code, date and card."""
        return self._one(
            "SELECT t.* FROM transactions t JOIN terminals m ON m.terminal_id = t.terminal_id"
            " WHERE m.merchant_id = :mid AND t.auth_code = :auth_code"
            " AND " + self._MMDD % ("t.created", "t.created") + " = :mmdd"
            " AND t.card_id = :card_id AND t.type = 'preauth' AND t.response_code = '00'"
            " ORDER BY t.id DESC LIMIT 1", mid=merchant_id, auth_code=auth_code, mmdd=mmdd,
            card_id=card_id)

    def reversed_already(self, terminal_id, batch, trace):
        return self._one(
            "SELECT 1 FROM transactions WHERE terminal_id = :tid AND batch = :batch AND trace = :trace"
            " AND mti = '0400' AND response_code = '00'",
            tid=terminal_id, batch=batch, trace=trace) is not None

    def set_state(self, transaction_id, state):
        self._write("UPDATE transactions SET state = :state WHERE id = :id", state=state, id=transaction_id)

    def add_refunded(self, transaction_id, fen):
        """A sale's refunds grow by fen (negative: shrink); refunded in full is 'refunded'."""
        self._write(
            "UPDATE transactions SET refunded_fen = refunded_fen + :fen,"
            " state = CASE WHEN refunded_fen + :fen >= amount_fen THEN 'refunded'"
            " ELSE 'approved' END WHERE id = :id", fen=fen, id=transaction_id)

    def batch_transactions(self, terminal_id, batch):
        return self._all(
            "SELECT * FROM transactions WHERE terminal_id = :tid AND batch = :batch AND mti != '0400'"
            " AND response_code IN ('00', '10') ORDER BY id", tid=terminal_id, batch=batch)

    def transactions(self):
        rows = self._all(
            "SELECT id, terminal_id, batch, trace, mti, type, amount_fen, masked_pan,"
            " response_code, auth_code, reference, state, refunded_fen, original_id, note,"
            " created, icc, icc_answer, tc, script_result FROM transactions ORDER BY id")
        out = []
        for r in rows:
            row = dict(r)
            row["icc"] = emv.summary(row["icc"], row.pop("icc_answer"), row.pop("tc"),
                                     row.pop("script_result"))
            out.append(row)
        return out

    def next_sequence(self):
        """The next retrieval-reference number, 1 to 999999 then 1 again: one statement, so two
        processes never get the same one."""
        value = self._one(
            "INSERT INTO meta (key, value) VALUES ('sequence', '1') ON CONFLICT (key) DO UPDATE"
            " SET value = CAST(CAST(meta.value AS INTEGER) %% %d + 1 AS TEXT) RETURNING value"
            % _SEQUENCE_MODULUS)["value"]
        return int(value)

    # -- holds ---------------------------------------------------------------

    def add_hold(self, transaction_id, card_id, amount_fen):
        self._write("INSERT INTO holds (transaction_id, card_id, amount_fen, state)"
                    " VALUES (:txn, :card, :fen, 'held')", txn=transaction_id, card=card_id, fen=amount_fen)

    def hold(self, transaction_id):
        """The hold of a pre-authorisation."""
        return self._one("SELECT * FROM holds WHERE transaction_id = :txn", txn=transaction_id)

    def set_hold_state(self, hold_id, state):
        self._write("UPDATE holds SET state = :state WHERE id = :id", state=state, id=hold_id)

    # -- settlements ---------------------------------------------------------

    def settlement(self, terminal_id, batch):
        return self._one("SELECT * FROM settlements WHERE terminal_id = :tid AND batch = :batch",
                         tid=terminal_id, batch=batch)

    def is_settled(self, terminal_id, batch):
        row = self.settlement(terminal_id, batch)
        return row is not None and row["state"] == "settled"

    def save_settlement(self, terminal_id, batch, host, terminal, terminal_foreign, balanced,
                        when):
        """A 0500: the batch's settlement, new or (not yet settled) done again;
        a new attempt drops the uploads of the earlier one."""
        earlier = self.settlement(terminal_id, batch)
        if earlier is not None:
            self._write("DELETE FROM uploads WHERE settlement_id = :id", id=earlier["id"])
            self._write("DELETE FROM settlements WHERE id = :id", id=earlier["id"])
        figures = dict(zip(("host_debit_fen", "host_debit_count", "host_credit_fen", "host_credit_count"),
                           host))
        figures.update(zip(("terminal_debit_fen", "terminal_debit_count", "terminal_credit_fen",
                            "terminal_credit_count"), terminal))
        self._run(insert(schema.settlements), dict(
            figures, terminal_id=terminal_id, batch=batch, terminal_foreign=terminal_foreign,
            balanced=int(balanced), state="settled" if balanced else "uploading", created=when,
            settled_at=when if balanced else None), _count)

    def add_uploads(self, settlement_id, items, when):
        for type_code, trace, amount_fen in items:
            self._write(
                "INSERT INTO uploads (settlement_id, type_code, trace, amount_fen, created)"
                " VALUES (:id, :type_code, :trace, :fen, :when)",
                id=settlement_id, type_code=type_code, trace=trace, fen=amount_fen, when=when)
        self._write("UPDATE settlements SET upload_count = upload_count + :n WHERE id = :id",
                    n=len(items), id=settlement_id)

    def uploads(self, settlement_id):
        return self._all("SELECT * FROM uploads WHERE settlement_id = :id ORDER BY id", id=settlement_id)

    def end_upload(self, settlement_id, declared_count, note, when):
        """Upload end: the batch is settled (on the terminal's figures if it was
        not balanced); a settled batch keeps its settled_at."""
        self._write(
            "UPDATE settlements SET declared_count = :declared, note = :note, state = 'settled',"
            " settled_at = COALESCE(settled_at, :when) WHERE id = :id",
            declared=declared_count, note=note, when=when, id=settlement_id)

    def settlements(self):
        out = []
        for r in self._all("SELECT * FROM settlements ORDER BY id"):
            row = dict(r)
            row["balanced"] = bool(row["balanced"])
            del row["id"]
            out.append(row)
        return out

    # -- QR payments (wallet.py, qrpay.py) -------------------------------------

    def seed_wallets(self, qrpay):
        """The wallet simulator's test payment codes (kept as SHA-256) and phone wallets from
        qrpay.json, never over existing ones. ValueError when the data does not check."""
        wallet.check_testdata(qrpay)
        with self.transaction():
            for entry in qrpay["codes"]:
                self._write("INSERT INTO qr_test_codes (code_sha256, wallet, behaviour)"
                            " VALUES (:digest, :wallet, :behaviour) ON CONFLICT DO NOTHING",
                            digest=wallet.digest(entry["code"]), wallet=entry["wallet"],
                            behaviour=entry["behaviour"])
            for phone in qrpay["phone_wallets"]:
                self._write("INSERT INTO qr_phone_wallets (name, wallet, behaviour)"
                            " VALUES (:name, :wallet, :behaviour) ON CONFLICT DO NOTHING",
                            name=phone["name"], wallet=phone["wallet"], behaviour=phone["behaviour"])

    def qr_test_code(self, digest):
        return self._one("SELECT * FROM qr_test_codes WHERE code_sha256 = :digest", digest=digest)

    def qr_phone_wallet(self, name):
        return self._one("SELECT * FROM qr_phone_wallets WHERE name = :name", name=name)

    def spend_qr_code(self, digest, terminal_id, batch, trace, when):
        """The payment code (its SHA-256) is taken; -> False when it was taken before (here or, at
        the same moment, by another process: the insert waits for it and then does nothing)."""
        return self._write(
            "INSERT INTO qr_spent_codes (code_sha256, terminal_id, batch, trace, spent)"
            " VALUES (:digest, :tid, :batch, :trace, :when) ON CONFLICT DO NOTHING",
            digest=digest, tid=terminal_id, batch=batch, trace=trace, when=when) == 1

    def add_qr_order(self, **columns):
        """-> the new order's id; a taken order number is a Conflict (the message runs again)."""
        table = schema.qr_orders
        return self._run(insert(table).returning(table.c.id), columns, lambda result: result.scalar_one())

    def qr_order(self, order_id):
        return self._one("SELECT * FROM qr_orders WHERE id = :id", id=order_id)

    def qr_order_by_number(self, order_no):
        return self._one("SELECT * FROM qr_orders WHERE order_no = :no", no=order_no)

    def qr_order_by_key(self, terminal_id, batch, trace):
        """The order of this terminal's qr_sale or qr_order with this batch and trace."""
        return self._one("SELECT * FROM qr_orders WHERE terminal_id = :tid AND batch = :batch"
                         " AND trace = :trace ORDER BY id DESC LIMIT 1",
                         tid=terminal_id, batch=batch, trace=trace)

    def qr_order_by_reference(self, terminal_id, reference, mmdd):
        """The order of this terminal with this reference number, made or paid on date MMDD."""
        return self._one(
            "SELECT * FROM qr_orders WHERE terminal_id = :tid AND reference = :reference"
            " AND (" + self._MMDD % ("created", "created") + " = :mmdd"
            " OR " + self._MMDD % ("paid_at", "paid_at") + " = :mmdd) ORDER BY id LIMIT 1",
            tid=terminal_id, reference=reference, mmdd=mmdd)

    def qr_order_of(self, transaction_id):
        """The order a qr_sale's or qr_order's transaction row made."""
        return self._one("SELECT * FROM qr_orders WHERE transaction_id = :id", id=transaction_id)

    def update_qr_order(self, order_id, expected_state, **changes):
        """Change an order still in expected_state; one that changed meanwhile (another process,
        a phone) is a Conflict: the whole message or phone payment runs again and sees it."""
        table = schema.qr_orders
        changed = self._run(update(table).where(table.c.id == order_id, table.c.state == expected_state)
                            .values(**changes), None, _count)
        if changed != 1:
            raise Conflict("QR order %d is no longer %s" % (order_id, expected_state))

    def add_qr_refunded(self, order_id, fen):
        """A paid order's refunds grow by fen (negative: shrink), never past its amount nor below 0."""
        changed = self._write(
            "UPDATE qr_orders SET refunded_fen = refunded_fen + :fen WHERE id = :id AND state = 'paid'"
            " AND refunded_fen + :fen >= 0 AND refunded_fen + :fen <= amount_fen", fen=fen, id=order_id)
        if changed != 1:
            raise Conflict("QR order %d cannot take a refund of %d fen now" % (order_id, fen))

    def qr_order_now(self, order, now):
        """The order as it stands at now: what its wallet did meanwhile (`wallet.overdue`) written."""
        changes = wallet.overdue(order, now)
        if changes is None:
            return order
        self.update_qr_order(order["id"], order["state"], **changes)
        return self.qr_order(order["id"])

    def qr_orders_now(self, terminal_id, batch, now, trace=None):
        """Bring a batch's pending orders (or the one of its request trace) up to now."""
        sql = "SELECT * FROM qr_orders WHERE terminal_id = :tid AND batch = :batch AND state = 'pending'"
        if trace is not None:
            sql += " AND trace = :trace"
        for order in self._all(sql + " ORDER BY id", tid=terminal_id, batch=batch, trace=trace):
            self.qr_order_now(order, now)

    def paid_qr_orders(self, terminal_id, batch):
        """The batch's orders that are paid (refunded or not): what its totals count."""
        return self._all("SELECT * FROM qr_orders WHERE terminal_id = :tid AND batch = :batch"
                         " AND state = 'paid' ORDER BY id", tid=terminal_id, batch=batch)

    def terminal_of_static_code(self, text, path):
        """A terminal whose static 收款码 (QB + path + merchant id) is text, or None."""
        return self._one("SELECT * FROM terminals WHERE params_qr_base || :path || merchant_id = :text"
                         " ORDER BY terminal_id LIMIT 1", path=path, text=text)

    def qr_orders(self):
        return [dict(r) for r in self._all(
            "SELECT order_no, terminal_id, merchant_id, batch, trace, kind, amount_fen, state, wallet,"
            " payer, masked_code, refunded_fen, reference, auth_code, qr_text, created, expires, pay_at,"
            " paid_at, note FROM qr_orders ORDER BY id")]

    # -- application images (updates.py) --------------------------------------

    def add_update(self, board, version, manifest, signature, files, last_path, when):
        """Publish an image (files: [(path, bytes)]). Publishing the same manifest again changes
        nothing; -> False when (board, version) is published with another manifest."""
        with self.transaction():
            row = self.update(board, version)
            if row is not None:
                return bytes(row["manifest"]) == manifest
            update_id = self._one(
                "INSERT INTO updates (board, version, manifest, signature, last_path, published_at)"
                " VALUES (:board, :version, :manifest, :signature, :last_path, :when) RETURNING id",
                board=board, version=version, manifest=manifest, signature=signature,
                last_path=last_path, when=when)["id"]
            self.conn.execute(_sql("INSERT INTO update_files (update_id, path, data)"
                                   " VALUES (:id, :path, :data)"),
                              [dict(id=update_id, path=path, data=data) for path, data in files])
            return True

    def update(self, board, version):
        return self._one("SELECT * FROM updates WHERE board = :board AND version = :version",
                         board=board, version=version)

    def updates_of(self, board):
        return self._all("SELECT * FROM updates WHERE board = :board ORDER BY id", board=board)

    def update_chunk(self, update_id, path, offset, size):
        """(file size, up to size bytes from offset) of a published file, or None."""
        row = self._one("SELECT length(data) AS size, substr(data, :start, :size) AS chunk"
                        " FROM update_files WHERE update_id = :id AND path = :path",
                        start=offset + 1, size=size, id=update_id, path=path)
        return None if row is None else (row["size"], bytes(row["chunk"] or b""))

    def terminal_software(self, terminal_id):
        return self._one("SELECT * FROM terminal_software WHERE terminal_id = :tid", tid=terminal_id)

    def set_terminal_board(self, terminal_id, board, when):
        """The terminal runs board (an operator says so); a change of board forgets its versions."""
        with self.transaction():
            if self.terminal(terminal_id) is None:
                return False
            self._write(
                "INSERT INTO terminal_software (terminal_id, board, updated_at) VALUES (:tid, :board, :when)"
                " ON CONFLICT (terminal_id) DO UPDATE SET"
                " version = CASE WHEN terminal_software.board = excluded.board"
                " THEN terminal_software.version END,"
                " downloaded = CASE WHEN terminal_software.board = excluded.board"
                " THEN terminal_software.downloaded END,"
                " board = excluded.board, updated_at = excluded.updated_at",
                tid=terminal_id, board=board, when=when)
            return True

    # -- backups ---------------------------------------------------------------

    def backup_upload(self, terminal_id):
        """(declared size, bytes so far) of a backup being uploaded, or None."""
        row = self._one("SELECT size, data FROM backup_uploads WHERE terminal_id = :tid", tid=terminal_id)
        return None if row is None else (row["size"], bytes(row["data"]))

    def set_backup_upload(self, terminal_id, size, data):
        self._write("INSERT INTO backup_uploads (terminal_id, size, data) VALUES (:tid, :size, :data)"
                    " ON CONFLICT (terminal_id) DO UPDATE SET size = excluded.size, data = excluded.data",
                    tid=terminal_id, size=size, data=data)

    def finish_backup(self, terminal_id, data, digest, when):
        """The uploaded backup replaces the terminal's previous one."""
        self._write("DELETE FROM backup_uploads WHERE terminal_id = :tid", tid=terminal_id)
        self._write("INSERT INTO backups (terminal_id, data, sha256, created)"
                    " VALUES (:tid, :data, :digest, :when)"
                    " ON CONFLICT (terminal_id) DO UPDATE SET data = excluded.data,"
                    " sha256 = excluded.sha256, created = excluded.created",
                    tid=terminal_id, data=data, digest=digest, when=when)

    def backup(self, terminal_id):
        return self._one("SELECT * FROM backups WHERE terminal_id = :tid", tid=terminal_id)

    def backups(self):
        rows = self._all("SELECT terminal_id, length(data) AS size, sha256, created FROM backups"
                         " ORDER BY terminal_id")
        return [dict(r) for r in rows]

    def software_reported(self, terminal_id, board, version, when):
        """What a terminal said it runs, in a manifest request."""
        self._write(
            "INSERT INTO terminal_software (terminal_id, board, version, updated_at)"
            " VALUES (:tid, :board, :version, :when)"
            " ON CONFLICT (terminal_id) DO UPDATE SET downloaded = CASE"
            " WHEN terminal_software.board = excluded.board THEN terminal_software.downloaded END,"
            " board = excluded.board, version = excluded.version, updated_at = excluded.updated_at",
            tid=terminal_id, board=board, version=version, when=when)

    def software_downloaded(self, terminal_id, board, version, when):
        """The terminal fetched the last bytes of image version for board."""
        self._write(
            "INSERT INTO terminal_software (terminal_id, board, downloaded, updated_at)"
            " VALUES (:tid, :board, :version, :when)"
            " ON CONFLICT (terminal_id) DO UPDATE SET board = excluded.board,"
            " downloaded = excluded.downloaded, updated_at = excluded.updated_at",
            tid=terminal_id, board=board, version=version, when=when)

    # -- message log ---------------------------------------------------------

    # -- e-receipts (ereceipts.py; the receipts themselves: receipts.py) ----------------------

    def connection(self):
        """The store's connection, inside the message's transaction: receipts.add() writes on it."""
        return self.conn

    def set_receipts_pending(self, terminal_id, count):
        self._write("UPDATE terminals SET receipts_pending = :n WHERE terminal_id = :tid", n=count, tid=terminal_id)

    def has_receipt(self, terminal_id, batch, trace, kind):
        return self._one("SELECT 1 FROM receipts WHERE terminal_id = :tid AND batch = :b AND trace = :t"
                         " AND type = :k", tid=terminal_id, b=batch, t=trace, k=kind) is not None

    def add_receipt_part(self, terminal_id, batch, trace, kind, part, count, data, when):
        """A part kept once: a part sent again changes nothing."""
        self._write("INSERT INTO receipt_parts (terminal_id, batch, trace, type, part, count, data, received)"
                    " VALUES (:tid, :b, :t, :k, :p, :c, :d, :w) ON CONFLICT DO NOTHING",
                    tid=terminal_id, b=batch, t=trace, k=kind, p=part, c=count, d=bytes(data), w=when)

    def receipt_parts(self, terminal_id, batch, trace, kind, count):
        """The receipt's bytes once its parts 1..count are all here (of that count), else None."""
        rows = self._all("SELECT part, count, data FROM receipt_parts WHERE terminal_id = :tid AND batch = :b"
                         " AND trace = :t AND type = :k ORDER BY part", tid=terminal_id, b=batch, t=trace, k=kind)
        if [(r["part"], r["count"]) for r in rows] != [(n, count) for n in range(1, count + 1)]:
            return None
        return b"".join(bytes(r["data"]) for r in rows)

    def drop_receipt_parts(self, terminal_id, batch, trace, kind):
        self._write("DELETE FROM receipt_parts WHERE terminal_id = :tid AND batch = :b AND trace = :t"
                    " AND type = :k", tid=terminal_id, b=batch, t=trace, k=kind)

    def log_message(self, direction, peer, data, when, note=None):
        self._write(
            "INSERT INTO messages (direction, peer, hex, note, created)"
            " VALUES (:direction, :peer, :hex, :note, :when)",
            direction=direction, peer=peer, hex=bytes(data).hex().upper(), note=note, when=when)
