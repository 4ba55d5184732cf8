# A terminal whose flows run against a scripted host, with no simulator:
# the App, a host that answers every request type of the profile (built with
# the firmware's own codec: the peer checks are the end-to-end scenarios'),
# a printer that keeps every slip's lines, and a clock moved by hand.
# VM-neutral: no pytest, no tempfile.
from pos import cup, des, iso8583, mac, message, tlv
from pos.app import App
from pos.engine import carry_out
from pos.results import CARD_GONE, OK, PAPER_OUT
from vmutil import START, asset_path, rmtree, tmpdir

TMK = b"\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10"
PIK = b"\x11" * 8 + b"\x22" * 8
MAK = b"\x33" * 8
PROVISION = {"terminal_id": "12345678", "merchant_id": "123456789012345", "merchant_name": "测试商户",
             "tmk": "0123456789ABCDEFFEDCBA9876543210"}
GOOD = "6222021000000000017=30121010000000000"
POOR = "6222021000000000025=30121010000000000"
CREDIT = "6258070000000000060=30121010000000000"
EMV_CARDS = asset_path("../../tools/testdata/emv_cards.json")     # the test chip cards (tools/emvperso.py)
EMV_CARD_FILES = EMV_CARDS[:-len(".json")]                        # and each in a file of its own
IMK_AC = b"\x4b\x9a\x14\xcd\x42\xed\x16\xd0\x5c\xec\xed\xef\x7a\xa8\xbe\x25"   # the test cards' issuer key


def kind_of(fields):
    """The profile's transaction type of a decoded request."""
    f60 = fields.get(60, "")
    for kind in cup.TRANSACTIONS:
        row = cup.TRANSACTIONS[kind]
        if row[message.MTI] != fields[0]:
            continue
        if row[message.TYPE60] is None or (f60[:2] == row[message.TYPE60] and f60[8:11] == row[message.NET60]):
            return kind
    return None


class Host:
    """Answers as an acquirer would: approved, with what each type needs.

    rules[kind] = fn(request fields) may return a dict of answer fields to
    override (39 "51" declines), or "timeout", "broken", "garbled", "badmac".
    `requests` keeps every decoded request (unless keep is False: the bench
    measures the terminal's heap, not this host's), `kinds` their types.
    """

    def __init__(self, keep=True):
        self.keep = keep
        self.rules = {}
        self.requirement = 0      # header digit 5 of every answer: 1 download parameters, 3 sign in
        self.requests = []
        self.kinds = []
        self.seq = 0
        self.backup = None        # what 0800/390 stored, 391 serves: its pieces, in order
        self.uploading = None     # the pieces of a 390 upload so far (a list: no copy of the whole per piece)
        self.image = None         # what 0800/392 serves: manifest, signature, files {path: bytes} (updkit.Image)
        self.scripts = b""        # issuer scripts (71 / 72 templates) added to a chip answer's field 55
        self.ic = None            # what 370 and 380 serve: ([key 62s], [AID 62s]), ic_params() by default

    def answer(self, frame):
        _tpdu, _header, body = iso8583.unframe(frame)
        req = iso8583.decode(cup, body)
        kind = kind_of(req)
        if self.keep:
            self.requests.append(req)
        self.kinds.append(kind)
        rule = self.rules.get(kind)
        extra = rule(req) if rule is not None else None
        bad_mac = extra == "badmac"
        if type(extra) is str and not bad_mac:
            return extra
        self.seq += 1
        out = {0: message.answer_mti(req[0]), 11: req[11], 12: "100000", 13: "1123", 32: "99990000",
               37: "%012d" % (100000000000 + self.seq), 39: "00", 41: req[41], 42: req[42], 60: req[60]}
        for k in (2, 3, 4, 49):
            if k in req:
                out[k] = req[k]
        if kind == "signin":
            out[62] = (des.ecb_encrypt(TMK, PIK) + des.check_value(PIK) + des.ecb_encrypt(TMK, MAK) + bytes(8)
                       + des.check_value(MAK))
        elif kind in ("sale", "void", "refund", "preauth", "preauth_void", "preauth_complete", "bill_payment",
                      "repayment", "balance"):
            out[38] = "%06d" % (123000 + self.seq)
            out[44] = "01020000   99990000   "
            out[63] = "CUPICBC"
            if kind == "balance":
                out[54] = "1002156C000000123456"
        elif kind == "settle":
            out[48] = req[48][:30] + "1" + req[48][31:]
        elif kind == "bill_inquiry":
            items = tlv.decode(req[62])
            out[62] = tlv.encode((("BC", items["BC"]), ("AC", items["AC"]), ("NM", "张三"), ("UN", "城市燃气公司"),
                                  ("DU", "000000012850"), ("PD", "202611"), ("MD", "E")))
        elif kind == "repay_inquiry":
            out[62] = tlv.encode((("BK", "广发银行"), ("DU", "000000345678")))
        elif kind == "params":
            out[62] = tlv.encode((("MN", "新商户名"), ("MX", "000000500000"), ("NS", "000000030000")))
        elif kind in ("capk_download", "aid_download"):
            got = self.ic_item(kind, req.get(62))
            if got:
                out[62] = got
        elif kind == "app_download":
            out[62] = self.app_download(tlv.decode(req[62]))
        elif kind == "backup":
            out[39] = self.take_backup(tlv.decode(req[62]))
        elif kind == "restore":
            out[39], out[62] = self.give_backup(tlv.decode(req[62]))
        else:
            self.more(kind, req, out)
        if extra and not bad_mac:
            out.update(extra)
        if 55 in req and 55 not in out and kind not in ("reversal", "script_result", "tc_upload"):
            answer55 = self.issuer_data(req, out[39])
            if answer55 is None:
                out[39] = "A7"               # the ARQC does not verify: 安全处理失败
                out.pop(38, None)
            else:
                out[55] = answer55
        if 64 in cup.TRANSACTIONS[kind][message.FIELDS] and out.get(39) != "A0":
            out[64] = bytes(8)
        buf = bytearray(2) + cup.TPDU_ANSWER + cup.HEADER
        buf[9] |= self.requirement
        iso8583.encode_into(cup, out, buf)
        n = len(buf) - 2
        buf[0], buf[1] = n >> 8, n & 0xFF
        if 64 in out:
            buf[-8:] = mac.cup_ecb_mac(MAK, iso8583.mac_data(bytes(buf[13:])))
            if bad_mac:
                buf[-1] ^= 1
        return bytes(buf)

    def more(self, kind, req, out):
        """A type this host leaves to a subclass (qrkit.QrHost: the QR payments)."""

    def ic_item(self, kind, last):
        """The key or AID after the one a 370 / 380 request names (its first tags), or None."""
        if self.ic is None:
            self.ic = ic_params()
        items = self.ic[0 if kind == "capk_download" else 1]
        start = 0
        if last:
            start = len(items)
            for i in range(len(items)):
                if items[i].startswith(last):
                    start = i + 1
        return items[start] if start < len(items) else None

    def issuer_data(self, req, code):
        """Field 55 of a chip answer: 91, the ARPC of the request's ARQC and the ARC, then scripts;
        None when the ARQC is not the card's over what field 55 says."""
        from drivers.fakes import chipcard
        from pos.emv import tlv as ber
        icc = ber.flatten(req[55])
        if 0x9F26 not in icc:
            return b""
        sk = chipcard.session_key(chipcard.icc_master_key(IMK_AC, req[2], req[23][-2:]), icc[0x9F36])
        signed = b"".join(icc[tag] for tag in (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36))
        if chipcard.mac3(sk, signed + icc[0x9F10][3:7]) != icc[0x9F26]:
            return None
        arc = code.encode()
        return ber.encode(0x91, chipcard.arpc(sk, icc[0x9F26], arc) + arc) + self.scripts

    def take_backup(self, items):
        """39 of a 390 answer; the pieces are kept in order, the whole once its SHA-256 checks (the
        pieces stay a list: this host lives in the terminal's heap, and needs no whole copy)."""
        offset = int(items["OF"])
        if offset == 0:
            self.uploading = []
        if self.uploading is None or offset != sum(len(piece) for piece in self.uploading):
            return "12"
        self.uploading.append(items["DA"])
        if offset + len(items["DA"]) == int(items["SZ"]):
            if items.get("CK") != _sha256_hex(self.uploading):
                return "12"
            self.backup = self.uploading
        return "00"

    def give_backup(self, items):
        """(39, 62) of a 391 answer."""
        if self.backup is None:
            return "25", b""
        offset = int(items["OF"])
        size = sum(len(piece) for piece in self.backup)
        data = bytearray()
        start = 0
        for piece in self.backup:
            end = start + len(piece)
            if end > offset and start < offset + cup.UPDATE_CHUNK:
                data += piece[max(offset - start, 0):offset + cup.UPDATE_CHUNK - start]
            start = end
        return "00", tlv.encode((("SZ", str(size)), ("DA", bytes(data)), ("CK", _sha256_hex(self.backup))))

    def app_download(self, items):
        """Field 62 of a 392 answer: SZ, and up to 400 bytes (DA) of the manifest (with SG) or a file."""
        image = self.image
        offset = int(items["OF"])
        if items["OP"] == b"manifest":
            if image is None:
                return tlv.encode((("SZ", "0"),))
            data = image.manifest
            return tlv.encode((("SZ", str(len(data))), ("DA", data[offset:offset + cup.UPDATE_CHUNK]),
                               ("SG", image.signature)))
        data = image.files[items["NM"].decode()]
        return tlv.encode((("SZ", str(len(data))), ("DA", data[offset:offset + cup.UPDATE_CHUNK])))


def run_io(app, runner):
    """Carry out the App's pending I/O effects with a runner whose handlers answer at once (this
    kit's Terminal, the bench's device: pos.engine.HANDLERS names them), until the App waits for a
    person, time, or an effect the runner leaves pending (its handler gave None)."""
    while True:
        effect = app.pending_io
        if effect is None:
            return
        result = carry_out(runner, effect)
        if result is None:
            return
        app.resolve(result)


def _sha256_hex(pieces):
    import hashlib
    from binascii import hexlify
    h = hashlib.sha256()
    for piece in pieces:
        h.update(piece)
    return hexlify(h.digest())


def chip_card(name):
    """The virtual chip card of that test card (drivers/fakes/chipcard.py)."""
    from drivers.fakes import chipcard
    card, imk = chipcard.load(EMV_CARD_FILES, name)
    return chipcard.ChipCard(card, imk)


_CA = []


def _test_ca():
    """The test CA of emv_cards.json, read once: the whole file parsed again for each terminal a
    test makes would be a transient of the file's size in a heap the chip tests fill already."""
    if not _CA:
        import json
        with open(EMV_CARDS) as f:
            _CA.append(json.load(f)["ca"])
    return _CA[0]


def ic_params():
    """([field 62 of each 370 answer], [of each 380 answer]) as the acquirer gives them: the test
    CA's key, the UnionPay debit and credit AIDs (小额免密 1000.00)."""
    from pos.emv import sha1
    from pos.emv.tlv import encode
    ca = _test_ca()
    rid, index = bytes.fromhex(ca["rid"]), bytes.fromhex(ca["index"])
    modulus, exponent = bytes.fromhex(ca["modulus"]), bytes.fromhex(ca["exponent"])
    key = (encode(0x9F06, rid) + encode(0x9F22, index) + encode(0xDF05, b"20301231") + encode(0xDF06, b"\x01")
           + encode(0xDF07, b"\x01") + encode(0xDF02, modulus) + encode(0xDF04, exponent)
           + encode(0xDF03, sha1.digest(rid, index, modulus, exponent)))
    aids = [encode(0x9F06, bytes.fromhex(aid)) + encode(0xDF13, b"\x00\x10\x00\x00\x00")
            + encode(0xDF21, b"\x00\x00\x00\x10\x00\x00") for aid in ("A000000333010101", "A000000333010102")]
    return [key], aids


def give_ca_keys(term):
    """The test CA's public key on the terminal's flash, as the host's 370 download leaves it."""
    from pos import store
    ca = _test_ca()
    store.save(term.dir, "capk", {ca["rid"] + ":" + ca["index"]: [ca["modulus"], int(ca["exponent"], 16)]})


class Terminal:
    """One terminal on flash in a fresh directory; close() removes it."""

    def __init__(self, host=None, state_dir=None, settings=None):
        self.dir = state_dir or tmpdir("flow")
        self.now = [START]
        self.host = host or Host()
        self.slips = []          # lines of every printed slip
        self.paper = True
        self.link = OK           # what a Connect gets: OK, or LINK_DOWN for a link that does not come up
        self.restarts = 0        # Restart effects carried out (the App goes on: a test boots a new one)
        self.chip = None         # the card in the chip slot (drivers/fakes/chipcard.py's ChipCard)
        self.field = None        # the card on the contactless field
        self.beeps = 0
        self.probe_answers = {"printer": (True, ""), "reader": (True, "magstripe"), "link": (True, "wifi"),
                      "flash": (True, "1024 KB free"), "networks": (True, ["Shop-WiFi", "茶楼-2F"])}
        self.app = App(self.dir, lambda: self.now[0], PROVISION, "firmware/assets")
        if settings:
            self.app.settings.update(settings)
        self.app.power_on()
        self.pump()

    def close(self):
        rmtree(self.dir)

    @property
    def screen(self):
        s = self.app.screen
        return s.text() if s is not None else ""

    def pump(self):
        run_io(self.app, self)

    # The I/O effects' handlers (pos.engine.HANDLERS): what the host, the printer and the link do.

    def exchange(self, e):
        answer = self.host.answer(e.frame)
        if type(answer) is bytes:
            return answer
        if answer == "timeout":
            self.advance(self.app.settings["host_timeout"] + 1)
            return None
        if answer == "broken":
            return "LINK_BROKEN"
        return b"\x00\x05garbl"

    def print_slip(self, e):
        if not self.paper:
            return PAPER_OUT
        self.slips.append([line for line, _style in e.lines])
        return OK

    def probe(self, e):
        return self.probe_answers

    def connect(self, e):
        return self.link

    def disconnect(self, e):
        return OK

    def restart(self, e):
        self.restarts += 1
        return OK

    def apdu(self, e):
        card = self.chip if e.reader == "icc" else self.field
        return CARD_GONE if card is None else card(e.command)

    def beep(self, e):
        self.beeps += 1
        return OK

    def insert(self, card):
        """A chip card (a ChipCard) into the slot; the reader powers it and the App gets its ATR."""
        from binascii import hexlify
        from drivers.fakes.chipcard import ATR
        self.chip = card
        self.app.card(("insert", hexlify(ATR).decode()))
        self.pump()

    def tap(self, card):
        """A contactless card (a ChipCard) on the field; it stays until taken away (field = None)."""
        self.field = card
        self.beeps = 0
        self.app.card(("tap", "04a1b2c3"))
        self.pump()

    def remove(self):
        self.chip = None
        self.app.card_removed()
        self.pump()

    def sign(self, strokes=None, accept=True):
        """The cardholder signs on the touch panel (the sample signature, fitted to the signing
        area, unless strokes are given), then presses 确认 (unless accept is False)."""
        if strokes is None:
            from pos.signature import SAMPLE, decode
            _x, _y, w, h = self.app.touch_area
            strokes = [[(x * w // 320, y * h // 240) for x, y in s] for s in decode(SAMPLE)]
        for stroke in strokes:
            for point in stroke:
                self.app.touch(point)
            self.app.touch(None)
        self.pump()
        if accept:
            self.keys("ENTER")

    def advance(self, secs):
        for _ in range(secs):
            self.now[0] += 1
            self.app.tick()
        self.pump()

    def keys(self, text):
        for k in text.split():
            self.app.key(k)
            self.pump()

    def type(self, digits):
        for ch in digits:
            self.app.key(ch)
            self.pump()

    def swipe(self, track2=GOOD):
        self.app.card(("swipe", track2))
        self.pump()

    def pin(self, digits="123456"):
        self.type(digits)
        self.keys("ENTER")

    def select(self, text):
        """Press the digit of the list item holding text, paging on with DOWN."""
        for _ in range(30):
            for line in self.app.screen.lines:
                head, dot, label = line.partition(".")
                if dot and head.isdigit() and text in label:
                    self.keys(head)
                    return
            self.keys("DOWN")
        raise AssertionError("no item %r on %s" % (text, self.screen))

    def login(self, no="01", password="0000", idle=True):
        self.type(no)
        self.keys("ENTER")
        self.type(password)
        self.keys("ENTER")
        assert not idle or "欢迎使用" in self.screen, self.screen

    def menu(self, *items):
        """From the idle screen, open the main menu and pick items by label."""
        self.keys("ENTER")
        for item in items:
            self.select(item)

    def void(self, trace, track2=GOOD):
        """撤销 of the sale with this voucher number, the supervisor's password given, up to its slips."""
        self.menu("撤销")
        self.supervisor()
        self.type(str(trace))
        self.keys("ENTER ENTER")
        self.swipe(track2)
        self.pin()
        self.tear_off()

    def supervisor(self, password="123456"):
        assert "主管密码" in self.screen, self.screen
        self.type(password)
        self.keys("ENTER")

    def sale(self, fen, track2=GOOD):
        self.menu("消费")
        self.type(str(fen))
        self.keys("ENTER")
        self.swipe(track2)
        self.pin()
        self.tear_off()

    def tear_off(self):
        """Take each slip copy as the printer asks (the tear-off pause), up to the result screen."""
        for _ in range(4):
            if "请撕下" not in self.screen:
                return
            self.keys("ENTER")

    def finish(self):
        """Press keys through result and tear-off screens until the idle screen."""
        for _ in range(10):
            if "欢迎使用" in self.screen:
                return
            self.keys("ENTER")
        raise AssertionError("not back at idle: " + self.screen)

    def journal(self):
        return list(self.app.journal.records())

    def transactions(self, kind=None):
        return [r for r in self.journal() if "trace" in r and r.get("k") != "printed"
                and (kind is None or r["k"] == kind)]

    def last_request(self, kind):
        for i in range(len(self.host.kinds) - 1, -1, -1):
            if self.host.kinds[i] == kind:
                return self.host.requests[i]
        return None
