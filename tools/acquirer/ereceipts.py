"""电子签购单上送 0820 (60.1 00, 60.3 800): a terminal's electronic receipts, in parts.

Field 61 names the transaction (batch, voucher, date MMDD); field 62 (section 8's items) carries
PN the part's number, PC the part count, TY the receipt's type, QN how many receipts wait on the
terminal (this one included) and RD the part's bytes (CHUNK, the last part fewer). The parts
joined are the receipt, BER-TLV (docs/protocol.md, "E-receipts"), checked whole before it is kept:
its batch, voucher and type those of 61 and TY, its terminal and merchant the sender's, a masked
card number only, a signature that decodes, the binding hash right.

Checks: the guard (97, A0, 94, 03); 61 and 62 well formed, the receipt whole and sound (else 30,
and the parts of that receipt so far are dropped: the terminal sends it again from part 1).
Otherwise 00. The host keeps one receipt per (terminal, batch, voucher, type), by a constraint
of the database: a part of a receipt it already has is answered 00 and changes nothing, so a lost
acknowledgement never doubles a receipt.
"""

import datetime
import hashlib
import json

from . import emv, fields, receipts, signature, spec
from .context import APPROVED, FORMAT_ERROR, Reply

CHUNK = 900
MAX_RECEIPT = 6144
MAX_PARTS = (MAX_RECEIPT + CHUNK - 1) // CHUNK
MAX_SLIP_LINES = 80
TYPES = frozenset(receipts.TYPES) - {"balance"}
# A void names the payment it voids (DF0F): a card's void a sale, a QR void a QR payment.
VOIDED = {"void": ("sale",), "qr_void": ("qr_sale", "qr_order")}
STATES = frozenset(("approved", "reversed", "settled"))
_TAGS = frozenset("DF%02X" % n for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17))
_REQUIRED = ("DF01", "DF02", "DF03", "DF04", "DF05", "DF06", "DF07", "DF0C", "DF0E", "DF10", "DF11")
_BINDING = ("DF10", "DF05", "DF06", "DF02", "DF04", "DF07")
ECHO = (11, 41, 42, 60, 61)


class Part:
    def __init__(self, request):
        """One 0820's part; spec.WireError if 61 or 62 is not as section 8 says."""
        self.batch, self.trace, self.mmdd = fields.split_field61(request[61])
        items = fields.decode_tlv(request[62])
        for tag in ("PN", "PC", "TY", "QN", "RD"):
            if tag not in items:
                raise spec.WireError("field 62 has no %s" % tag)
        if not all(fields.is_digits(items[t], 1, 4) for t in ("PN", "PC", "QN")):
            raise spec.WireError("PN, PC and QN are numbers")
        self.number, self.count, self.waiting = int(items["PN"]), int(items["PC"]), int(items["QN"])
        self.type, self.data = items["TY"], items["RD"]
        if not 1 <= self.number <= self.count <= MAX_PARTS:
            raise spec.WireError("part %d of %d (at most %d parts)" % (self.number, self.count, MAX_PARTS))
        if self.type not in TYPES:
            raise spec.WireError("TY %r is no receipt type" % self.type)
        size = len(self.data)
        if not (size == CHUNK if self.number < self.count else 0 < size <= CHUNK):
            raise spec.WireError("part %d of %d has %d bytes" % (self.number, self.count, size))

    @property
    def key(self):
        return self.batch, self.trace, self.type


def _text(tags, tag, low, high, allowed=None):
    value = tags.get(tag, b"")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise spec.WireError("%s is not UTF-8" % tag) from None
    if not low <= len(text) <= high or (allowed is not None and not set(text) <= allowed):
        raise spec.WireError("%s %r is not %d to %d characters of its kind" % (tag, text, low, high))
    return text


_DIGITS = frozenset("0123456789")
_MASKED = _DIGITS | {"*"}
_REFERENCE = _DIGITS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")


def binding(tags, sig):
    """The receipt's binding hash (DF0E) as the terminal makes it."""
    h = hashlib.sha256()
    for tag in _BINDING:
        h.update(tags[tag] + b"|")
    h.update(sig or b"")
    return h.digest()


def parse(data, terminal_id, merchant_id, part):
    """The receipt's bytes -> the receipts table's columns; spec.WireError when not sound."""
    if len(data) > MAX_RECEIPT:
        raise spec.WireError("receipt of %d bytes is over %d" % (len(data), MAX_RECEIPT))
    tags = emv.decode(data, MAX_RECEIPT, "e-receipt")
    unknown = set(tags) - _TAGS
    if unknown:
        raise spec.WireError("receipt tags %s unknown" % ", ".join(sorted(unknown)))
    missing = [t for t in _REQUIRED if t not in tags]
    if missing:
        raise spec.WireError("receipt lacks %s" % ", ".join(missing))
    if tags["DF01"] != b"\x01":
        raise spec.WireError("receipt format %s unknown" % tags["DF01"].hex())
    kind = _text(tags, "DF02", 1, 24)
    state = _text(tags, "DF03", 1, 16)
    if kind != part.type or state not in STATES:
        raise spec.WireError("type %r / state %r" % (kind, state))
    amount = int(_text(tags, "DF04", 1, 12, _DIGITS))
    if (_text(tags, "DF05", 6, 6, _DIGITS), _text(tags, "DF06", 6, 6, _DIGITS)) != (part.batch, part.trace):
        raise spec.WireError("receipt's batch and voucher are not field 61's")
    when = _text(tags, "DF07", 14, 14, _DIGITS)
    try:
        occurred = datetime.datetime.strptime(when, "%Y%m%d%H%M%S")
    except ValueError:
        raise spec.WireError("DF07 %r is no date and time" % when) from None
    if (_text(tags, "DF10", 8, 8), _text(tags, "DF11", 15, 15)) != (terminal_id, merchant_id):
        raise spec.WireError("receipt of another terminal or merchant")
    pan = _text(tags, "DF08", 0, 19, _MASKED) or None
    if pan is not None and sum(c in _DIGITS for c in pan) > 10:
        raise spec.WireError("DF08 is not a masked card number")
    slip = []
    for line in _text(tags, "DF0C", 1, 8000).split("\n"):
        label, tab, value = line.partition("\t")
        if not tab:
            raise spec.WireError("slip line %r has no tab" % line[:40])
        slip.append([label, value])
    if len(slip) > MAX_SLIP_LINES:
        raise spec.WireError("slip of %d lines" % len(slip))
    sig = tags.get("DF0D")
    if sig is not None:
        try:
            signature.decode(sig)
        except signature.SignatureError as e:
            raise spec.WireError("signature: %s" % e) from None
    if tags["DF0E"] != binding(tags, sig):
        raise spec.WireError("binding hash does not match the receipt")
    original = _text(tags, "DF0F", 0, 12, _DIGITS)
    if original and (kind not in VOIDED or len(original) != 12):
        raise spec.WireError("DF0F %r: a void names its payment's batch and voucher" % original)
    return original or None, {
        "terminal_id": terminal_id, "merchant_id": merchant_id, "batch": part.batch, "trace": part.trace,
        "type": kind, "amount_fen": amount, "masked_pan": pan, "last4": pan[-4:] if pan else None,
        "rrn": _text(tags, "DF09", 0, 12, _REFERENCE) or None,
        "auth_code": _text(tags, "DF0A", 0, 6, _REFERENCE) or None,
        "operator": _text(tags, "DF0B", 0, 8, _DIGITS) or None,
        "occurred": occurred, "state": state, "signed": sig is not None, "signature": sig,
        "slip": json.dumps(slip, ensure_ascii=False),
    }


def ereceipt(context):
    request = context.request
    answer = context.answer(spec.answer_mti(request[0]), ECHO)
    refused, mak = context.guard(answer)
    if refused is not None:
        context.record("ereceipt", answer, None)
        return refused
    terminal = context.terminal
    store = context.store
    try:
        part = Part(request)
    except spec.WireError as e:
        return _refuse(context, answer, mak, "part: %s" % e)
    store.set_receipts_pending(terminal["terminal_id"], part.waiting - (part.number == part.count))
    key = (terminal["terminal_id"],) + part.key
    note = "part %d of %d" % (part.number, part.count)
    if store.has_receipt(*key):
        note += ": the receipt is kept already"
    else:
        store.add_receipt_part(*key, part.number, part.count, part.data, context.now)
        data = store.receipt_parts(*key, part.count)
        if data is not None:
            store.drop_receipt_parts(*key)
            try:
                original, columns = parse(data, terminal["terminal_id"], terminal["merchant_id"], part)
            except spec.WireError as e:
                return _refuse(context, answer, mak, "receipt: %s" % e)
            columns["received"] = context.now
            receipt_id, created = receipts.add(store.connection(), **columns)
            if original is not None:       # the voided payment's receipt says so
                receipts.set_state(store.connection(), terminal["terminal_id"], original[:6], original[6:],
                                   VOIDED[columns["type"]], "voided")
            note += ": receipt %d %s" % (receipt_id, "kept" if created else "kept already")
    answer[39] = APPROVED
    context.record("ereceipt", answer, None, note=note)
    return Reply(answer, mak=mak, authentic=True)


def _refuse(context, answer, mak, why):
    answer[39] = FORMAT_ERROR
    context.record("ereceipt", answer, None, note=why)
    return Reply(answer, mak=mak, authentic=True)
