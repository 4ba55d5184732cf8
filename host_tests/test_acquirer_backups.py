"""The acquirer's backup and restore (0800/390 and 391): a terminal's blob uploaded in order in
400-byte pieces, kept once its SHA-256 checks, served back the same way. The terminal is
test_acquirer_menu's independent one (pyiso8583, cryptography)."""
import hashlib
import json

import pytest

from test_acquirer import TESTDATA, cli
from test_acquirer_menu import MenuTerminal
from test_acquirer_updates import items_of, tlv
from tools.acquirer import handlers, store


class BackupTerminal(MenuTerminal):
    def message(self, code, data):
        return self.run({0: "0800", 11: self.next_trace(), 41: self.tid, 42: self.mid,
                         60: "00" + self.batch + code, 62: data})[1]

    def put(self, offset, size, piece, check=None):
        items = [("OF", str(offset)), ("SZ", str(size)), ("DA", piece)]
        if check is not None:
            items.append(("CK", check))
        return self.message("390", tlv(*items))

    def upload(self, blob):
        for offset in range(0, len(blob), 400):
            piece = blob[offset:offset + 400]
            last = offset + len(piece) == len(blob)
            answer = self.put(offset, len(blob), piece, hashlib.sha256(blob).hexdigest() if last else None)
            assert answer[39] == "00" and answer.mac_ok(self.mak), answer[39]

    def download(self):
        data = b""
        while True:
            answer = self.message("391", tlv(("OF", str(len(data)))))
            if answer[39] != "00":
                return answer[39], data
            got = items_of(answer[62])
            data += got["DA"]
            if len(data) == int(got["SZ"]):
                assert got["CK"].decode() == hashlib.sha256(data).hexdigest()
                return "00", data


@pytest.fixture
def terminal(tmp_path):
    path = str(tmp_path / "host.db")
    db = store.Store(path)
    db.seed(TESTDATA)
    t = BackupTerminal(handlers.Host(db), path)
    assert t.sign_in()[39] == "00"
    yield t
    t.host.store.close()


BLOB = b"settings\n41\n" + bytes(range(41)) + b"operators\n3000\n" + bytes(range(256)) * 11 + bytes(184)


def test_a_backup_uploaded_in_pieces_comes_back_whole(terminal):
    terminal.upload(BLOB)
    assert terminal.download() == ("00", BLOB)
    [row] = json.loads(cli("backups", "--db", terminal.db))
    assert row["size"] == len(BLOB) and row["sha256"] == hashlib.sha256(BLOB).hexdigest()


def test_there_is_no_backup_until_one_is_uploaded_whole(terminal):
    assert terminal.download()[0] == "25"
    assert terminal.put(0, len(BLOB), BLOB[:400])[39] == "00"
    assert terminal.download()[0] == "25"


def test_pieces_out_of_order_or_a_wrong_checksum_are_refused_and_keep_the_old_backup(terminal):
    terminal.upload(BLOB)
    other = BLOB[::-1]
    assert terminal.put(400, len(other), other[400:800])[39] == "12"       # not started at 0
    assert terminal.put(0, len(other), other[:400])[39] == "00"
    assert terminal.put(800, len(other), other[800:1200])[39] == "12"      # skipped a piece
    assert terminal.put(0, 10, b"0123456789", "0" * 64)[39] == "12"          # its SHA-256 does not match
    assert terminal.download() == ("00", BLOB)


def test_malformed_items_are_a_format_error(terminal):
    assert terminal.message("390", tlv(("OF", "x"), ("SZ", "10"), ("DA", b"0")))[39] == "30"
    assert terminal.message("390", tlv(("OF", "0"), ("SZ", "999999"), ("DA", b"0")))[39] == "30"
    assert terminal.message("391", tlv(("OF", "-1")))[39] == "30"


def test_a_replayed_piece_gets_the_same_answer_and_changes_nothing(terminal):
    fields = {0: "0800", 11: terminal.next_trace(), 41: terminal.tid, 42: terminal.mid,
              60: "00" + terminal.batch + "390",
              62: tlv(("OF", "0"), ("SZ", "5"), ("DA", b"hello"), ("CK", hashlib.sha256(b"hello").hexdigest()))}
    payload, first = terminal.send(fields)
    again = terminal.send_payload(payload)
    assert first[39] == again[39] == "00"
    assert terminal.download() == ("00", b"hello")
