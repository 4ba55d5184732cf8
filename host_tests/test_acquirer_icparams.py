"""The IC parameters the acquirer gives (tools/acquirer/icparams.py): CA public keys over 0800/370 and
AID parameters over 0800/380, one a message, and header requirement 4 until a terminal holds them."""
import hashlib
import json
import os

import pytest

from test_acquirer import MID, ROOT, TESTDATA, TID
from test_acquirer_menu import MenuTerminal
from tools.acquirer import emv, handlers, icparams, store

with open(os.path.join(ROOT, "tools", "testdata", "emv_cards.json"), encoding="utf-8") as _f:
    CA = json.load(_f)["ca"]


@pytest.fixture
def terminal(tmp_path):
    path = str(tmp_path / "host.db")
    db = store.Store(path)
    db.seed(TESTDATA)
    t = MenuTerminal(handlers.Host(db), path)
    yield t
    db.close()


def _request(t, code, last=None, mac=True):
    fields = {0: "0800", 11: t.next_trace(), 41: TID, 42: MID, 60: "00" + t.batch + code}
    if last is not None:
        fields[62] = last
    return t.send_payload(t.build(fields, mac=mac))


def test_a_new_terminal_is_asked_for_them_at_sign_in_and_no_more_once_it_has_them(terminal):
    assert terminal.sign_in().requirement == 4
    got = terminal.download_ic()
    assert [code for code, _ in got] == ["370", "380", "380", "380"]
    assert terminal.sign_in().requirement == 0


def test_the_key_is_the_test_cas_with_its_checksum(terminal):
    terminal.sign_in()
    key = emv.decode(_request(terminal, "370")[62])
    assert key["9F06"].hex().upper() == CA["rid"] and key["9F22"].hex().upper() == CA["index"]
    assert key["DF02"].hex().upper() == CA["modulus"] and key["DF04"] == bytes.fromhex(CA["exponent"])
    assert key["DF03"] == hashlib.sha1(key["9F06"] + key["9F22"] + key["DF02"] + key["DF04"]).digest()
    assert key["DF05"] == b"20301231" and key["DF06"] == key["DF07"] == b"\x01"


def test_the_aids_come_one_a_message_each_named_by_the_last_one_received(terminal):
    terminal.sign_in()
    first = emv.decode(_request(terminal, "380")[62])
    assert first["9F06"].hex().upper() == "A000000333010101" and first["DF21"] == bytes.fromhex("000000100000")
    second = _request(terminal, "380", emv.encode([("9F06", first["9F06"])]))
    assert emv.decode(second[62])["9F06"].hex().upper() == "A000000333010102"
    assert second.requirement == 0                 # no requirement inside the download itself


def test_a_request_naming_nothing_the_host_gives_is_a_format_error(terminal):
    terminal.sign_in()
    answer = _request(terminal, "370", emv.encode([("9F06", bytes.fromhex("A000000999")), ("9F22", b"\x01")]))
    assert answer[39] == "30" and 62 not in answer.fields
    assert _request(terminal, "380", b"\x9f\x06")[39] == "30"          # not BER-TLV


def test_the_download_needs_a_signed_in_terminal_and_its_mac(terminal):
    assert _request(terminal, "370", mac=False)[39] == "A0"
    terminal.sign_in()
    answer = terminal.send_payload(terminal.build({0: "0800", 11: terminal.next_trace(), 41: TID, 42: MID,
                                                   60: "00" + terminal.batch + "370"}, mac_key=bytes(8)))
    assert answer[39] == "A0"


def test_new_parameters_on_the_host_ask_every_terminal_again(terminal, monkeypatch):
    terminal.sign_in()
    terminal.download_ic()
    assert terminal.sign_in().requirement == 0
    monkeypatch.setattr(icparams, "AIDS", icparams.AIDS[:1])
    assert terminal.sign_in().requirement == 4
    assert [code for code, _ in terminal.download_ic()] == ["370", "380"]
    assert terminal.sign_in().requirement == 0


def test_a_store_an_older_acquirer_made_gets_the_new_columns_and_the_cards_added_since(tmp_path):
    import sqlite3
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE terminals (terminal_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL,
            merchant_name TEXT NOT NULL, tmk_hex TEXT NOT NULL, pik_hex TEXT, mak_hex TEXT, batch TEXT,
            signed_in_at TEXT, resign INTEGER NOT NULL DEFAULT 0, params_name TEXT,
            params_max_fen INTEGER NOT NULL DEFAULT 9999999, params_due INTEGER NOT NULL DEFAULT 0,
            params_sent_at TEXT);
        INSERT INTO meta VALUES ('seeded', '1');
    """)
    old.close()
    db = store.Store(path)
    try:
        columns = {row[1] for row in db.db.execute("PRAGMA table_info(terminals)")}
        assert "ic_version" in columns
        assert db.seed(TESTDATA) is False                      # seeded before: not the first time
        names = {row["name"] for row in db.db.execute("SELECT name FROM cards")}
        assert {"chip", "tap", "tap_credit"} <= names
        assert db.terminal(TID) is not None
    finally:
        db.close()
