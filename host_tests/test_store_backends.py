"""The acquirer's store on SQLite and on PostgreSQL (a real server on loopback, tools/pgserver.py):
the migrations, an older SQLite store brought up, the methods the handlers use, a sale through
`handlers.Host`, a replay, several processes answering one request at once, and the acquirer
process serving from PostgreSQL."""

import multiprocessing
import sqlite3
import threading

import pytest
from sqlalchemy import inspect, text

from test_acquirer import CARDS, MID, TESTDATA, TID, Terminal
from test_acquirer_menu import MenuTerminal
from tools.acquirer import handlers, store
from tools.acquirer.testing import start_acquirer, stop

GOOD = CARDS["good"]


@pytest.fixture
def url(store_url):
    return store_url


@pytest.fixture
def db(url):
    opened = store.Store(url)
    opened.seed(TESTDATA)
    yield opened
    opened.close()


def scalar(db, sql, **params):
    with db.transaction():
        return db.conn.execute(text(sql), params).scalar()


def signed_in(db, url):
    terminal = MenuTerminal(handlers.Host(db), url)
    assert terminal.sign_in()[39] == "00"
    terminal.download_ic()
    return terminal


def available(db, name):
    return db.card(CARDS[name]["pan"])["available_fen"]


def test_a_path_is_sqlite_and_a_postgresql_url_takes_the_psycopg_3_driver():
    assert str(store.database_url("host.db")) == "sqlite:///host.db"
    assert str(store.database_url("sqlite:////tmp/host.db")) == "sqlite:////tmp/host.db"
    assert str(store.database_url("postgresql://u@127.0.0.1:5432/d")) == "postgresql+psycopg://u@127.0.0.1:5432/d"


# -- migrations ----------------------------------------------------------------

def test_an_empty_database_is_migrated_to_the_head_revision(url):
    db = store.Store(url)
    try:
        assert scalar(db, "SELECT version_num FROM alembic_version") == store.head_revision()
        have = inspect(db.conn)
        assert {"terminals", "exchanges", "receipts", "receipt_parts"} <= set(have.get_table_names())
        assert {"last_seen", "receipts_pending"} <= {c["name"] for c in have.get_columns("terminals")}
        assert {"receipts_key"} == {u["name"] for u in have.get_unique_constraints("receipts")}
        owner = [i for i in have.get_indexes("exchanges") if i["name"] == "exchanges_owner"]
        assert owner and owner[0]["unique"]
    finally:
        db.close()


def test_opening_a_store_again_changes_nothing(url):
    store.Store(url).close()
    db = store.Store(url)
    try:
        assert scalar(db, "SELECT COUNT(*) FROM alembic_version") == 1
    finally:
        db.close()


def test_a_sqlite_store_the_older_acquirer_made_gets_its_missing_columns_then_the_revisions(tmp_path):
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE terminals (terminal_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL,
            merchant_name TEXT NOT NULL, tmk_hex TEXT NOT NULL, pik_hex TEXT, mak_hex TEXT, batch TEXT,
            signed_in_at TEXT, resign INTEGER NOT NULL DEFAULT 0);
        INSERT INTO meta VALUES ('sequence', '41');
        INSERT INTO terminals (terminal_id, merchant_id, merchant_name, tmk_hex)
            VALUES ('T0000001', '123456789012345', 'old shop', '00');
    """)
    old.close()
    db = store.Store(path)
    try:
        assert scalar(db, "SELECT version_num FROM alembic_version") == store.head_revision()
        terminal = db.terminal("T0000001")
        assert terminal["merchant_name"] == "old shop" and terminal["params_max_fen"] == 9999999
        assert terminal["ic_version"] is None and terminal["last_seen"] is None
        assert db.next_sequence() == 42
        assert "exchanges" in inspect(db.conn).get_table_names()
    finally:
        db.close()


# -- the store's methods -------------------------------------------------------

def test_seeding_twice_adds_nothing_the_second_time(db):
    assert db.seed(TESTDATA) is False
    assert len(db.cards()) == scalar(db, "SELECT COUNT(*) FROM cards") > 0
    assert db.terminal(TID)["merchant_id"] == MID


def test_the_methods_the_handlers_use(db):
    card = db.card(GOOD["pan"])
    db.move(card["id"], -500)
    assert available(db, "good") == card["available_fen"] - 500
    first = db.next_sequence()
    assert db.next_sequence() == first + 1
    with db.transaction():
        sale = db.add_transaction(terminal_id=TID, batch="000001", trace="000007", mti="0200", type="sale",
                                  amount_fen=500, card_id=card["id"], response_code="00", reference="R1",
                                  state="approved", created="2026-11-23T10:00:00")
        db.add_hold(sale, card["id"], 500)
    assert db.transaction_by_id(sale)["amount_fen"] == 500
    assert db.tc_original(TID, "000001", "000007", ("preauth", "sale"))["id"] == sale
    assert db.refundable(TID, "R1", "1123")["id"] == sale and db.refundable(TID, "R1", "1124") is None
    assert db.cards()[0]["held_fen"] == 500
    db.add_refunded(sale, 500)
    assert db.transaction_by_id(sale)["state"] == "refunded"
    assert db.add_terminal(TID, MID, "again", "00" * 16) is False
    assert db.request_sign_in(TID) and not db.request_sign_in("NOSUCHID")


def test_images_backups_and_settlements_round_trip(db):
    when = "2026-11-23T10:00:00"
    assert db.add_update("b", "1.0", b"manifest", b"sig", [("main.py", b"0123456789")], "main.py", when)
    assert db.add_update("b", "1.0", b"manifest", b"sig", [], "main.py", when)
    assert not db.add_update("b", "1.0", b"other", b"sig", [], "main.py", when)
    update_id = db.update("b", "1.0")["id"]
    assert db.update_chunk(update_id, "main.py", 8, 4) == (10, b"89")
    assert db.set_terminal_board(TID, "b", when) and db.terminal_software(TID)["board"] == "b"
    with db.transaction():
        db.set_backup_upload(TID, 3, b"abc")
        db.finish_backup(TID, b"abc", "d1", when)
    assert db.backups() == [{"terminal_id": TID, "size": 3, "sha256": "d1", "created": when}]
    with db.transaction():
        db.save_settlement(TID, "000001", (1, 1, 0, 0), (1, 1, 0, 0), "0", False, when)
        db.add_uploads(db.settlement(TID, "000001")["id"], [("22", "000007", 1)], when)
    assert db.settlements()[0]["upload_count"] == 1 and not db.is_settled(TID, "000001")


# -- messages through the host -------------------------------------------------

def test_a_sign_in_then_a_sale_through_the_host(db, url):
    terminal = signed_in(db, url)
    before = available(db, "good")
    _, answer = terminal.sale(GOOD, 1234)
    assert answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert available(db, "good") == before - 1234
    assert db.terminal(TID)["last_seen"] is not None


def test_a_byte_identical_replay_is_answered_from_the_stored_exchange(db, url):
    terminal = signed_in(db, url)
    before = available(db, "good")
    payload = terminal.build(terminal.sale_fields(GOOD, 250))
    first = terminal.send_payload(payload)
    seen = db.terminal(TID)["last_seen"]
    assert terminal.send_payload(payload).payload == first.payload
    assert available(db, "good") == before - 250
    assert scalar(db, "SELECT COUNT(*) FROM transactions WHERE type = 'sale'") == 1
    assert db.terminal(TID)["last_seen"] == seen


def test_a_second_authentic_exchange_of_a_key_from_another_connection_fails_on_the_unique_index(url):
    first, second = store.Store(url), store.Store(url)
    key, when, outcome = (TID, "000001", "000009", "0200"), "2026-11-23T10:00:00", []

    def the_other():
        try:
            with second.transaction():
                second.add_exchange(key, True, b"\x01", b"\x02", when)
        except store.Conflict as e:
            outcome.append(e)
    try:
        with first.transaction():
            first.add_exchange(key, True, b"\x01", b"\x03", when)
            other = threading.Thread(target=the_other)
            other.start()
            other.join(0.5)
            assert other.is_alive()                 # waits for the first to commit or roll back
        other.join(20)
        assert len(outcome) == 1
        with second.transaction():
            second.add_exchange(key, False, b"\x04", b"\x05", when)     # not authentic: only logged
        assert [e["answer_hex"] for e in second.exchanges(key)] == ["03", "05"]
    finally:
        first.close()
        second.close()


def _answer_at_once(url, payload, barrier, answers):
    """One acquirer process of several: its own store, the same request when all are ready."""
    db = store.Store(url)
    try:
        host = handlers.Host(db)
        barrier.wait()
        answers.put(host.handle(payload))
    finally:
        db.close()


def test_processes_answering_one_request_at_once_make_one_effect_and_the_same_answer(postgres_url):
    db = store.Store(postgres_url)
    db.seed(TESTDATA)
    try:
        terminal = signed_in(db, postgres_url)
        before = available(db, "good")
        payload = terminal.build(terminal.sale_fields(GOOD, 777))
        processes = 6
        spawn = multiprocessing.get_context("spawn")
        barrier, answers = spawn.Barrier(processes), spawn.Queue()
        workers = [spawn.Process(target=_answer_at_once, args=(postgres_url, payload, barrier, answers))
                   for _ in range(processes)]
        for worker in workers:
            worker.start()
        got = [answers.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert [w.exitcode for w in workers] == [0] * processes
        assert len(set(got)) == 1
        assert terminal.send_payload(payload).payload == got[0]
        assert available(db, "good") == before - 777
        assert scalar(db, "SELECT COUNT(*) FROM transactions WHERE type = 'sale'") == 1
        assert scalar(db, "SELECT COUNT(*) FROM exchanges WHERE mti = '0200'") == 1
    finally:
        db.close()


def test_the_acquirer_process_serves_from_postgresql(postgres_url, tmp_path):
    process, port = start_acquirer(postgres_url, log_path=str(tmp_path / "acquirer.log"))
    terminal = Terminal(port)
    try:
        assert terminal.sign_in()[39] == "00"
        terminal.download_ic()
        _, answer = terminal.sale(GOOD, 4321)
        assert answer[39] == "00" and answer.mac_ok(terminal.mak)
    finally:
        terminal.close()
        stop(process)
    db = store.Store(postgres_url)
    try:
        assert available(db, "good") == GOOD["balance_fen"] - 4321
    finally:
        db.close()
