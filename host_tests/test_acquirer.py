"""The acquirer host as a real process on loopback, driven by a small terminal
written here with pyiso8583 and cryptography (not the acquirer's crypto)."""

import concurrent.futures
import datetime
import itertools
import json
import os
import socket
import sqlite3
import ssl
import subprocess
import sys

import iso8583
import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from tools.acquirer import emv
from tools.acquirer.handlers import china_time
from tools.acquirer.spec import SPEC
from tools.acquirer.testing import ROOT, start_acquirer, stop

with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as _f:
    TESTDATA = json.load(_f)
TID = TESTDATA["terminal"]["terminal_id"]
MID = TESTDATA["terminal"]["merchant_id"]
TMK = bytes.fromhex(TESTDATA["terminal"]["tmk"])
CARDS = {c["name"]: c for c in TESTDATA["cards"]}
TPDU = bytes.fromhex("6000030000")
HEADER = bytes.fromhex("603100000000")
SALE_FIELDS = {2, 3, 4, 11, 12, 13, 14, 15, 25, 32, 37, 38, 39, 41, 42, 44, 49, 60, 63, 64}
REVERSAL_FIELDS = {2, 3, 4, 11, 12, 13, 25, 32, 37, 39, 41, 42, 49, 60, 64}
SIGN_IN_FIELDS = {11, 12, 13, 32, 37, 39, 41, 42, 60, 62}
# Tests sharing the module's host each take their own range of trace numbers.
TRACE_BLOCKS = itertools.count(1000, 100)


# -- an independent terminal -------------------------------------------------

def ecb(key, data, decrypt=False):
    key = key * 3 if len(key) == 8 else key + key[:8]
    cipher = Cipher(TripleDES(key), modes.ECB())
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def cup_mac(mak, data):
    data = data + bytes(-len(data) % 8)
    r = bytes(8)
    for i in range(0, len(data), 8):
        r = xor(r, data[i:i + 8])
    h = r.hex().upper().encode()
    e = ecb(mak, xor(ecb(mak, h[:8]), h[8:]))
    return e.hex().upper()[:8].encode()


def pin_block(pin, pan):
    clear = bytes.fromhex(("0%X" % len(pin) + pin).ljust(16, "F"))
    return xor(clear, bytes.fromhex("0000" + pan[-13:-1]))


def encode(fields):
    doc = {"t": fields[0]}
    for n, v in fields.items():
        if n:
            if isinstance(v, bytes):
                v = v.hex().upper()
            doc[str(n)] = v.replace("=", "D") if n in (35, 36) else v
    body, _ = iso8583.encode(doc, SPEC)
    return bytes(body)


def decode(body):
    doc, _ = iso8583.decode(body, SPEC)
    out = {0: doc["t"]}
    for k, v in doc.items():
        if k.isdigit():
            n = int(k)
            out[n] = (bytes.fromhex(v) if SPEC[k]["data_enc"] == "b"
                      and SPEC[k].get("len_count") != "nibbles" else v)
    return out


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


class Answer:
    def __init__(self, payload):
        self.payload = payload
        self.tpdu = payload[:5]
        self.header = payload[5:11]
        self.body = payload[11:]
        self.fields = decode(self.body)
        self.requirement = self.header[2] & 0x0F

    def __getitem__(self, n):
        return self.fields[n]

    def __contains__(self, n):
        return n in self.fields

    def mac_ok(self, mak):
        return 64 in self.fields and cup_mac(mak, self.body[:-8]) == self.fields[64]


class Terminal:
    def __init__(self, port, tid=TID, mid=MID, tmk=TMK, batch="000001", context=None):
        self.port, self.tid, self.mid, self.tmk = port, tid, mid, tmk
        self.batch = batch
        self.trace = 0
        self.pik = self.mak = None
        self.context = context
        self.sock = None

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        return sock

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send_payload(self, payload):
        if self.sock is None:
            self.connect()
        self.sock.sendall(len(payload).to_bytes(2, "big") + payload)
        length = int.from_bytes(recv_exactly(self.sock, 2), "big")
        return Answer(recv_exactly(self.sock, length))

    def build(self, fields, mac=True, mac_key=None):
        if mac:
            fields = dict(fields)
            fields[64] = bytes(8)
            body = encode(fields)
            body = body[:-8] + cup_mac(mac_key or self.mak, body[:-8])
        else:
            body = encode(fields)
        return TPDU + HEADER + body

    def next_trace(self):
        self.trace += 1
        return "%06d" % self.trace

    def download_ic(self):
        """The CA keys (370) then the AID parameters (380), one a message until an answer has no
        62: [(kind, field 62 of each answer)], as a terminal asked by requirement 4 fetches them."""
        got = []
        for code, names in (("370", ("9F06", "9F22")), ("380", ("9F06",))):
            last = None
            for _ in range(10):
                fields = {0: "0800", 11: self.next_trace(), 41: self.tid, 42: self.mid, 60: "00" + self.batch + code}
                if last is not None:
                    fields[62] = last
                answer = self.send_payload(self.build(fields))
                assert answer[39] == "00" and answer.requirement == 0, (code, answer.fields)
                if 62 not in answer.fields:
                    break
                got.append((code, answer[62]))
                tags = emv.decode(answer[62])
                last = emv.encode([(name, tags[name]) for name in names])
        return got

    def sign_in(self):
        payload = self.build({0: "0800", 11: self.next_trace(), 41: self.tid, 42: self.mid,
                              60: "00" + self.batch + "003", 63: "001"}, mac=False)
        answer = self.send_payload(payload)
        if answer[39] == "00":
            keys = answer[62]
            pik = ecb(self.tmk, keys[:16], decrypt=True)
            mak = ecb(self.tmk, keys[20:28], decrypt=True)
            assert ecb(pik, bytes(8))[:4] == keys[16:20]
            assert keys[28:36] == bytes(8)
            assert ecb(mak, bytes(8))[:4] == keys[36:40]
            self.pik, self.mak = pik, mak
        return answer

    def sale_fields(self, card, amount_fen, pin=None, trace=None, expiry=None):
        pan = card["pan"]
        pin = card["pin"] if pin is None else pin
        fields = {0: "0200", 2: pan, 3: "000000", 4: "%012d" % amount_fen,
                  11: trace or self.next_trace(), 14: expiry or card["expiry"],
                  22: "021", 25: "00", 26: "12",
                  35: "%s=%s1011234" % (pan, card["expiry"]), 41: self.tid, 42: self.mid,
                  49: "156", 53: "2600000000000000", 60: "22" + self.batch + "000" + "60"}
        fields[52] = ecb(self.pik, pin_block(pin, pan))
        return fields

    def sale(self, card, amount_fen, **kw):
        fields = self.sale_fields(card, amount_fen, **kw)
        return fields, self.send_payload(self.build(fields))

    def reversal_fields(self, sale_fields, reason="98"):
        """The 0400 of protocol section 7: the sale without PIN and track data."""
        fields = {n: v for n, v in sale_fields.items() if n not in (26, 35, 36, 52, 53, 64)}
        fields[0] = "0400"
        fields[39] = reason
        return fields

    def reverse(self, sale_fields, reason="98"):
        payload = self.build(self.reversal_fields(sale_fields, reason))
        return payload, self.send_payload(payload)


# -- fixtures ----------------------------------------------------------------

@pytest.fixture(scope="module")
def acquirer(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("acquirer") / "host.db")
    process, port = start_acquirer(db)
    yield process, port, db
    stop(process)


@pytest.fixture
def launch(tmp_path):
    """Start fresh acquirers on their own database; all are stopped afterwards."""
    started = []

    def _launch(db=None, extra_args=()):
        db = db or str(tmp_path / ("host%d.db" % len(started)))
        process, port = start_acquirer(db, extra_args=extra_args)
        started.append(process)
        return process, port, db
    yield _launch
    for process in started:
        stop(process)


@pytest.fixture
def terminal(acquirer):
    t = Terminal(acquirer[1])
    t.trace = next(TRACE_BLOCKS)
    assert t.sign_in()[39] == "00"
    t.download_ic()
    yield t
    t.close()


def balance(db, card_name):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT available_fen FROM cards WHERE pan = ?",
                            (CARDS[card_name]["pan"],)).fetchone()[0]


def cli(*args):
    result = subprocess.run([sys.executable, "-m", "tools.acquirer"] + list(args), cwd=ROOT,
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    return result.stdout


def connection_is_closed(sock):
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


# -- sign-in -----------------------------------------------------------------

def test_sign_in_delivers_working_keys_under_the_tmk_with_check_values(acquirer):
    t = Terminal(acquirer[1])
    answer = t.sign_in()
    assert answer[0] == "0810" and answer[39] == "00"
    assert set(answer.fields) - {0} == SIGN_IN_FIELDS
    assert answer.tpdu == bytes.fromhex("6000000003")
    assert answer.header[:2] == HEADER[:2] and answer.requirement == 4     # a new terminal: its IC parameters
    assert answer[60] == "00000001003" and answer[11] == "000001"
    assert answer[41] == TID and answer[42] == MID and len(answer[62]) == 40
    assert len(answer[37]) == 12 and answer[37].isdigit()
    t.download_ic()
    assert t.sign_in().header == HEADER
    t.close()


def test_the_host_answers_in_chinas_time_whatever_the_zone_of_its_machine(launch, monkeypatch):
    monkeypatch.setenv("TZ", "EST5EDT")                  # started 12 or 13 hours behind China
    _, port, _ = launch()
    t = Terminal(port)
    before = china_time()
    answer = t.sign_in()
    t.close()
    stamped = datetime.datetime.strptime("%d%s%s" % (before.year, answer[13], answer[12]), "%Y%m%d%H%M%S")
    assert abs((stamped - before).total_seconds()) < 60


def test_each_sign_in_gives_fresh_keys(acquirer):
    t = Terminal(acquirer[1])
    t.sign_in()
    first = (t.pik, t.mak)
    t.sign_in()
    assert (t.pik, t.mak) != first
    t.close()


# -- sales -------------------------------------------------------------------

def test_approved_sale_takes_the_amount_from_the_balance(acquirer, terminal):
    db = acquirer[2]
    before = balance(db, "good")
    fields, answer = terminal.sale(CARDS["good"], 12345)
    assert answer[0] == "0210" and answer[39] == "00"
    assert answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS
    assert answer[2] == CARDS["good"]["pan"] and answer[4] == "000000012345"
    assert answer[11] == fields[11] and answer[60] == fields[60]
    assert len(answer[38]) == 6 and answer[38].isdigit()
    assert answer[44] == "01020000   99990000   "
    assert answer[63] == "CUPICBC"
    assert answer[15] == china_time().strftime("%m%d")
    assert balance(db, "good") == before - 12345


@pytest.mark.parametrize("card, amount, code", [
    ("poor", 1001, "51"),
    ("expired", 100, "54"),
    ("lost", 100, "41"),
    ("unknown", 100, "14"),
    ("good", 0, "13"),
    ("credit", 5000001, "51"),
])
def test_declines_answer_the_issuers_code_and_move_no_money(acquirer, terminal, card, amount,
                                                             code):
    db = acquirer[2]
    before = balance(db, card) if CARDS[card].get("on_file", True) else None
    _, answer = terminal.sale(CARDS[card], amount)
    assert answer[39] == code
    assert 38 not in answer
    assert answer.mac_ok(terminal.mak)
    if before is not None:
        assert balance(db, card) == before


def test_credit_card_spends_its_available_limit(acquirer, terminal):
    before = balance(acquirer[2], "credit")
    _, answer = terminal.sale(CARDS["credit"], 2500)
    assert answer[39] == "00" and answer[63] == "CUPCGB"
    assert answer[44] == "03060000   99990000   "
    assert balance(acquirer[2], "credit") == before - 2500


def test_expiry_in_field_14_before_this_month_is_54(acquirer, terminal):
    _, answer = terminal.sale(CARDS["good"], 100, expiry="2001")
    assert answer[39] == "54"


def test_bad_mac_is_answered_a0_with_resign_and_moves_no_money(acquirer, terminal):
    before = balance(acquirer[2], "good")
    fields = terminal.sale_fields(CARDS["good"], 777)
    payload = terminal.build(fields, mac_key=bytes(reversed(terminal.mak)))
    answer = terminal.send_payload(payload)
    assert answer[39] == "A0" and answer.requirement == 3
    assert 38 not in answer and 64 not in answer
    assert balance(acquirer[2], "good") == before


def test_three_wrong_pins_in_a_row_lock_the_card_until_unlocked(launch):
    _, port, db = launch()
    t = Terminal(port)
    t.sign_in()
    card = CARDS["good"]
    assert t.sale(card, 100, pin="000000")[1][39] == "55"
    assert t.sale(card, 100)[1][39] == "00"
    assert t.sale(card, 100, pin="000000")[1][39] == "55"
    assert t.sale(card, 100, pin="111111")[1][39] == "55"
    assert t.sale(card, 100, pin="222222")[1][39] == "75"
    assert t.sale(card, 100)[1][39] == "75"
    cli("unlock", "--db", db, "--pan", card["pan"])
    assert t.sale(card, 100)[1][39] == "00"
    t.close()


def test_replayed_sale_gets_the_identical_answer_and_moves_money_once(acquirer, terminal):
    before = balance(acquirer[2], "good")
    payload = terminal.build(terminal.sale_fields(CARDS["good"], 4321))
    first = terminal.send_payload(payload)
    terminal.close()
    second = terminal.send_payload(payload)
    assert first[39] == "00"
    assert second.payload == first.payload
    assert balance(acquirer[2], "good") == before - 4321


def test_another_request_reusing_a_trace_is_94(acquirer, terminal):
    before = balance(acquirer[2], "good")
    fields = terminal.sale_fields(CARDS["good"], 100)
    assert terminal.send_payload(terminal.build(fields))[39] == "00"
    fields[4] = "%012d" % 200
    assert terminal.send_payload(terminal.build(fields))[39] == "94"
    assert balance(acquirer[2], "good") == before - 100


# -- reversals ---------------------------------------------------------------

def test_reversal_restores_the_balance_exactly_once(acquirer, terminal):
    db = acquirer[2]
    before = balance(db, "good")
    fields, answer = terminal.sale(CARDS["good"], 5000)
    assert answer[39] == "00" and balance(db, "good") == before - 5000
    payload, reversed_ = terminal.reverse(fields)
    assert reversed_[0] == "0410" and reversed_[39] == "00"
    assert set(reversed_.fields) - {0} == REVERSAL_FIELDS
    assert reversed_.mac_ok(terminal.mak)
    assert reversed_[11] == fields[11] and reversed_[60] == fields[60]
    assert balance(db, "good") == before
    terminal.close()
    replayed = terminal.send_payload(payload)
    assert replayed.payload == reversed_.payload
    assert balance(db, "good") == before


def reversal_rows(db, trace):
    return [r for r in json.loads(cli("transactions", "--db", db))
            if r["trace"] == trace and r["type"] == "reversal"]


@pytest.mark.parametrize("pan", [None, CARDS["credit"]["pan"]], ids=["no-pan", "another-pan"])
def test_reversal_without_the_originals_pan_is_25_and_the_money_stays_taken(acquirer, terminal,
                                                                          pan):
    db = acquirer[2]
    before = balance(db, "good")
    fields, _ = terminal.sale(CARDS["good"], 700)
    reversal = terminal.reversal_fields(fields)
    if pan is None:
        del reversal[2]
    else:
        reversal[2] = pan
    answer = terminal.send_payload(terminal.build(reversal))
    assert answer[39] == "25" and answer.mac_ok(terminal.mak)
    assert balance(db, "good") == before - 700
    rows = reversal_rows(db, fields[11])
    assert [(r["response_code"], r["state"]) for r in rows] == [("25", "declined")]
    assert ("no PAN" if pan is None else "PAN not the original's") in rows[0]["note"]
    assert "nothing undone" in rows[0]["note"]
    assert terminal.reverse(fields)[1][39] == "94"
    assert balance(db, "good") == before - 700


def test_reversal_of_a_card_not_on_file_is_matched_by_its_masked_pan(acquirer, terminal):
    fields, answer = terminal.sale(CARDS["unknown"], 300)
    assert answer[39] == "14"
    assert terminal.reverse(fields)[1][39] == "00"
    fields, _ = terminal.sale(CARDS["unknown"], 300)
    reversal = terminal.reversal_fields(fields)
    reversal[2] = CARDS["good"]["pan"]
    assert terminal.send_payload(terminal.build(reversal))[39] == "25"


def test_reversal_of_an_unknown_original_is_answered_00_and_recorded(acquirer, terminal):
    before = balance(acquirer[2], "good")
    fields = terminal.sale_fields(CARDS["good"], 999)
    _, answer = terminal.reverse(fields, reason="06")
    assert answer[39] == "00"
    assert balance(acquirer[2], "good") == before
    rows = json.loads(cli("transactions", "--db", acquirer[2]))
    mine = [r for r in rows if r["trace"] == fields[11] and r["type"] == "reversal"]
    assert len(mine) == 1 and "not found" in mine[0]["note"]


def test_sale_arriving_after_its_reversal_is_declined(acquirer, terminal):
    before = balance(acquirer[2], "good")
    fields = terminal.sale_fields(CARDS["good"], 999)
    terminal.reverse(fields)
    assert terminal.send_payload(terminal.build(fields))[39] == "12"
    assert balance(acquirer[2], "good") == before


# -- terminals ---------------------------------------------------------------

def test_sale_before_sign_in_is_a0_with_resign_and_no_mac(launch):
    _, port, db = launch()
    t = Terminal(port)
    t.pik, t.mak = bytes(range(16)), bytes(range(8))
    _, answer = t.sale(CARDS["good"], 100)
    assert answer[39] == "A0" and answer.requirement == 3 and 64 not in answer
    assert balance(db, "good") == CARDS["good"]["balance_fen"]
    t.close()


def test_unknown_terminal_is_97_and_a_foreign_merchant_is_03(acquirer):
    stranger = Terminal(acquirer[1], tid="87654321")
    assert stranger.sign_in()[39] == "97"
    stranger.close()
    wrong_merchant = Terminal(acquirer[1], mid="999999999999999")
    assert wrong_merchant.sign_in()[39] == "03"
    wrong_merchant.close()


def test_resign_flags_answers_with_requirement_3_until_the_next_sign_in(acquirer, terminal):
    cli("resign", "--db", acquirer[2], "--terminal", TID)
    _, answer = terminal.sale(CARDS["good"], 100)
    assert answer[39] == "00" and answer.requirement == 3
    assert answer.header[:2] == HEADER[:2] and answer.header[3:] == HEADER[3:]
    assert terminal.sign_in().requirement == 0
    assert terminal.sale(CARDS["good"], 100)[1].requirement == 0


def test_unsupported_request_is_answered_40(acquirer):
    t = Terminal(acquirer[1])
    answer = t.send_payload(t.build({0: "0600", 11: "000001", 41: TID, 42: MID,
                                     60: "00000001201"}, mac=False))
    assert answer[0] == "0610" and answer[39] == "40"
    t.close()


# -- robustness --------------------------------------------------------------

@pytest.mark.parametrize("frame", [
    b"\x00\x05hello",
    b"\xff\xff" + bytes(100),
    b"\x08\x01" + bytes(50),
    b"\x00\x00",
    b"\x00\x30" + bytes.fromhex("7000030000603100000000") + bytes(37),
    b"\x00\x30" + TPDU + HEADER + bytes.fromhex("02004000000000000000") + b"\x99" + bytes(26),
    b"\x00\x30" + TPDU + HEADER + b"\xff" * 37,
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_garbage_closes_only_that_connection(acquirer, frame):
    process, port, _ = acquirer
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(frame)
    assert connection_is_closed(sock)
    sock.close()
    assert process.poll() is None
    t = Terminal(port)
    assert t.sign_in()[39] == "00"
    t.close()


def test_several_messages_on_one_connection_and_many_connections_at_once(acquirer, terminal):
    db = acquirer[2]
    before = balance(db, "good")

    def client(index):
        t = Terminal(acquirer[1])
        t.pik, t.mak = terminal.pik, terminal.mak
        t.trace = 900000 + index * 10
        codes = [t.sale(CARDS["good"], 10)[1][39] for _ in range(3)]
        t.close()
        return codes

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    assert results == [["00"] * 3] * 8
    assert balance(db, "good") == before - 8 * 3 * 10


def test_restart_keeps_session_keys_and_balances(launch):
    process, port, db = launch()
    t = Terminal(port)
    t.sign_in()
    assert t.sale(CARDS["good"], 1000)[1][39] == "00"
    t.close()
    stop(process)
    _, port, _ = launch(db)
    t.port = port
    _, answer = t.sale(CARDS["good"], 1000)
    assert answer[39] == "00" and answer.mac_ok(t.mak)
    assert balance(db, "good") == CARDS["good"]["balance_fen"] - 2000
    t.close()


def test_transactions_cli_lists_masked_transactions(launch):
    _, port, db = launch()
    t = Terminal(port)
    t.sign_in()
    fields, _ = t.sale(CARDS["good"], 1500)
    t.sale(CARDS["poor"], 5000)
    t.reverse(fields)
    t.close()
    output = cli("transactions", "--db", db)
    assert CARDS["good"]["pan"] not in output
    rows = json.loads(output)
    assert [(r["type"], r["response_code"], r["state"]) for r in rows] == [
        ("sale", "00", "reversed"), ("sale", "51", "declined"), ("reversal", "00", "approved")]
    sale = rows[0]
    assert sale["terminal_id"] == TID and sale["batch"] == "000001"
    assert sale["trace"] == fields[11] and sale["amount_fen"] == 1500
    assert sale["masked_pan"] == "622202*********0017"
    assert len(sale["auth_code"]) == 6 and len(sale["reference"]) == 12
    assert rows[1]["auth_code"] is None
    assert datetime.datetime.fromisoformat(sale["created"])


def test_tls_listener_serves_the_same_protocol(launch, tmp_path):
    cert, key = make_self_signed(tmp_path)
    _, port, _ = launch(extra_args=("--tls-cert", cert, "--tls-key", key))
    context = ssl.create_default_context(cafile=cert)
    t = Terminal(port, context=context)
    assert t.sign_in()[39] == "00"
    assert t.sale(CARDS["good"], 100)[1][39] == "00"
    t.close()


def make_self_signed(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = str(directory / "cert.pem"), str(directory / "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path
