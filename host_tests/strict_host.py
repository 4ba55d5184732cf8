"""A strict CUP host written from docs/protocol.md alone: a test peer that holds
the terminal to the profile as an independent host would.

It answers sign-in (0800, 60.3 `003`), sale (0200, 60.1 `22`) and reversal
(0400). Unlike the project's acquirer, which finds a reversal's original by
(terminal, batch, trace), it matches a 0400 to an earlier sale of the
terminal with the same trace by PAN (field 2) and amount (field 4): a 0400
without a matching PAN is refused with 25 and undoes nothing. A matching one
is answered 00 and reverses the sale once; a replay of the same bytes gets
the same answer. It can withhold the answer to the next sale (read, never
answered) so that the terminal times out.

Its own pyiso8583 spec (sections 3 and 4), DES from `cryptography`, key parity
and XOR from psec, the MAC of section 10: nothing from firmware/ or
tools/acquirer. Every request and what it was answered is kept, decoded.
"""

import datetime
import itertools
import os
import socket
import socketserver
import threading

import iso8583
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from psec.des import adjust_key_parity
from psec.tools import xor

REQUEST_TPDU = bytes.fromhex("6000030000")
ANSWER_TPDU = bytes.fromhex("6000000003")
HEADER = bytes.fromhex("603100000000")      # digit 5 of an answer: 0, nothing required
ACQUIRER_ID = "48020000"
TRACK_FIELDS = (35, 36)


def _n(digits):
    """n, fixed: BCD, an odd count padded with a leading 0 nibble."""
    return {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": digits,
            "len_count": "nibbles", "left_pad": "0"}


def _n_var(prefix_bytes, digits):
    """n or z, LLVAR / LLLVAR: the BCD prefix counts digits; an odd count gets a trailing 0."""
    return {"data_enc": "b", "len_enc": "bcd", "len_type": prefix_bytes, "max_len": digits,
            "len_count": "nibbles", "right_pad": "0"}


def _text(chars, prefix_bytes=0):
    """an / ans: ASCII; fixed, or with a BCD prefix counting characters."""
    return {"data_enc": "ascii", "len_enc": "bcd" if prefix_bytes else "b",
            "len_type": prefix_bytes, "max_len": chars}


def _b(size, prefix_bytes=0):
    return {"data_enc": "b", "len_enc": "bcd" if prefix_bytes else "b",
            "len_type": prefix_bytes, "max_len": size}


# The body (MTI onwards); TPDU and header are framing. Section 4's table, nothing above 64.
SPEC = {
    "h": _b(0), "t": _b(2), "p": _b(8),
    "2": _n_var(1, 19), "3": _n(6), "4": _n(12), "11": _n(6), "12": _n(6), "13": _n(4),
    "14": _n(4), "15": _n(4), "22": _n(3), "23": _n(3), "25": _n(2), "26": _n(2),
    "32": _n_var(1, 11), "35": _n_var(1, 37), "36": _n_var(2, 104), "37": _text(12),
    "38": _text(6), "39": _text(2), "41": _text(8), "42": _text(15), "44": _text(25, 1),
    "48": _n_var(2, 322), "49": _text(3), "52": _b(8), "53": _n(16), "54": _text(20, 2),
    "55": _b(255, 2), "60": _n_var(2, 17), "61": _n_var(2, 29), "62": _b(512, 2),
    "63": _text(163, 2), "64": _b(8),
}
_BINARY = {int(k) for k, f in SPEC.items() if k.isdigit() and f["data_enc"] == "b"
           and "len_count" not in f}
_DIGITS = {int(k) for k, f in SPEC.items() if "len_count" in f} - set(TRACK_FIELDS)


class ProfileError(ValueError):
    """A frame that does not follow the profile."""


def encode(fields):
    """{0: MTI, n: value} (str, bytes for b fields, '=' in track data) -> body."""
    doc = {"t": fields[0]}
    for n, value in fields.items():
        if not n:
            continue
        if n in _BINARY:
            value = value.hex().upper()
        elif n in TRACK_FIELDS:
            value = value.replace("=", "D")
        doc[str(n)] = value
    return bytes(iso8583.encode(doc, SPEC)[0])


def decode(body):
    """body -> {0: MTI, n: value}; ProfileError for anything outside the profile."""
    try:
        doc, _ = iso8583.decode(bytes(body), SPEC)
    except (iso8583.DecodeError, KeyError, ValueError) as e:
        raise ProfileError("undecodable body: %s" % e) from None
    fields = {0: doc["t"]}
    for key, value in doc.items():
        if not key.isdigit():
            continue
        n = int(key)
        if n in _BINARY:
            value = bytes.fromhex(value)
        elif n in TRACK_FIELDS:
            value = value.replace("D", "=")
            if not set(value) <= set("0123456789="):
                raise ProfileError("field %d is not track data" % n)
        elif n in _DIGITS and not value.isdigit():
            raise ProfileError("field %d is not BCD digits" % n)
        fields[n] = value
    if not fields[0].isdigit():
        raise ProfileError("MTI %s is not BCD digits" % fields[0])
    return fields


# -- keys and MAC (sections 6 and 10) ----------------------------------------

def des(key, data):
    """ECB encryption under a single (8-byte) or double-length (16-byte) DES key."""
    key = key * 3 if len(key) == 8 else key + key[:8]
    encryptor = Cipher(TripleDES(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def check_value(key):
    return des(key, bytes(8))[:4]


def cup_mac(mak, data):
    """Section 10: XOR the zero-padded blocks, hex, DES the halves in turn, 8 hex characters."""
    data = bytes(data) + bytes(-len(data) % 8)
    block = bytes(8)
    for i in range(0, len(data), 8):
        block = xor(block, data[i:i + 8])
    digits = block.hex().upper().encode("ascii")
    return des(mak, xor(des(mak, digits[:8]), digits[8:])).hex().upper()[:8].encode("ascii")


# -- the host ----------------------------------------------------------------

class StrictHost:
    """One test terminal's host on 127.0.0.1. start() -> port; stop() ends every connection."""

    def __init__(self, terminal_id, merchant_id, tmk, clock=datetime.datetime.now):
        self.terminal_id, self.merchant_id, self.tmk = terminal_id, merchant_id, tmk
        self.clock = clock
        self.pik = self.mak = None
        self.exchanges = []       # (request fields, answer fields or None when withheld)
        self.sales = []           # {"trace", "pan", "amount", "reversed"}
        self.errors = []          # frames outside the profile (their connection was closed)
        self.withhold = False
        self._answered = {}       # request payload -> answer payload: a replay gets the same
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()
        self._server = None

    def withhold_next_sale(self):
        self.withhold = True

    def start(self):
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self._server.server_address[1]

    def stop(self):
        self._server.shutdown()
        for sock in list(self._server.connections):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass        # closed meanwhile
        self._server.server_close()

    def answer(self, payload):
        """A request payload (TPDU onwards) -> the answer payload, or None when withheld."""
        with self._lock:
            if payload in self._answered:
                self.exchanges.append((decode(payload[11:]), decode(self._answered[payload][11:])))
                return self._answered[payload]
            if len(payload) < 11 or payload[:5] != REQUEST_TPDU or payload[5] != HEADER[0]:
                raise ProfileError("TPDU or header %s" % payload[:11].hex())
            request = decode(payload[11:])
            fields, mac = self._handle(request, payload[11:])
            if fields is None:
                self.exchanges.append((request, None))
                return None
            if mac:
                fields[64] = bytes(8)
                body = encode(fields)
                body = body[:-8] + cup_mac(self.mak, body[:-8])
            else:
                body = encode(fields)
            self.exchanges.append((request, decode(body)))
            answer = ANSWER_TPDU + HEADER + body
            self._answered[payload] = answer
            return answer

    def _handle(self, request, body):
        """-> (answer fields or None to withhold, whether the answer carries a MAC)."""
        mti = request[0]
        fields = {0: mti[:2] + str(int(mti[2]) + 1) + mti[3]}
        for n in (2, 3, 4, 11, 14, 25, 41, 42, 49, 60):
            if n in request:
                fields[n] = request[n]
        now = self.clock()
        fields.update({12: now.strftime("%H%M%S"), 13: now.strftime("%m%d"), 32: ACQUIRER_ID,
                       37: now.strftime("%H%M%S") + "%06d" % next(self._sequence)})
        if request.get(41) != self.terminal_id:
            fields[39] = "97"
            return fields, False
        if mti == "0800" and request.get(60, "")[8:11] == "003":
            return self._sign_in(request, fields), False
        if self.mak is None or request.get(64) != cup_mac(self.mak, body[:-8]):
            fields[39] = "A0"
            return fields, False
        if request.get(42) != self.merchant_id:
            fields[39] = "03"
        elif mti == "0200" and request.get(60, "")[:2] == "22":
            return self._sale(request, fields), True
        elif mti == "0400":
            fields[39] = self._reversal(request)
        else:
            fields[39] = "40"
        return fields, True

    def _sign_in(self, request, fields):
        if request.get(42) != self.merchant_id:
            fields[39] = "03"
            return fields
        self.pik = adjust_key_parity(os.urandom(16))
        self.mak = adjust_key_parity(os.urandom(8))
        fields[39] = "00"
        fields[62] = (des(self.tmk, self.pik) + check_value(self.pik)
                      + des(self.tmk, self.mak) + bytes(8) + check_value(self.mak))
        return fields

    def _sale(self, request, fields):
        """Approved, unless withheld: then taken all the same, its answer lost."""
        pan = request.get(2) or request.get(35, "").partition("=")[0]
        if (not pan or any(n not in request for n in (3, 4, 11, 22, 25, 49, 60))
                or request[3] != "000000"):
            fields[39] = "30"
            return fields
        self.sales.append({"trace": request[11], "pan": pan, "amount": request[4],
                           "reversed": False})
        if self.withhold:
            self.withhold = False
            return None
        fields.update({2: pan, 15: self.clock().strftime("%m%d"), 38: "%06d" % len(self.sales),
                       39: "00", 44: "%-11s%-11s" % ("01020000", ACQUIRER_ID), 63: "CUP"})
        return fields

    def _reversal(self, request):
        if any(n not in request for n in (3, 11, 22, 25, 39, 49, 60)):
            return "30"
        for sale in self.sales:
            if (sale["trace"], sale["pan"], sale["amount"]) == \
                    (request[11], request.get(2), request.get(4)):
                sale["reversed"] = True
                return "00"
        return "25"


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True

    def __init__(self, host):
        self.host = host
        self.connections = set()
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _Connection)


class _Connection(socketserver.BaseRequestHandler):
    """Frames in sequence on one connection: 2-byte length, then TPDU, header, body."""

    def handle(self):
        sock, server = self.request, self.server
        server.connections.add(sock)
        try:
            while True:
                head = _read(sock, 2)
                payload = head and _read(sock, int.from_bytes(head, "big"))
                if not payload:
                    return
                try:
                    answer = server.host.answer(payload)
                except ProfileError as e:
                    server.host.errors.append(str(e))
                    return
                if answer is not None:
                    sock.sendall(len(answer).to_bytes(2, "big") + answer)
        finally:
            server.connections.discard(sock)


def _read(sock, n):
    """Exactly n bytes, or None when the peer closes first."""
    data = b""
    while len(data) < n:
        try:
            chunk = sock.recv(n - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data
