"""Message type -> handler: sign-in 0800, sale 0200, reversal 0400.

`Host.handle(payload)` takes one frame's payload (TPDU + header + body) and
returns the answer's payload, after committing everything the message
changed. Every request is idempotent by (terminal id, batch, trace, MTI):
a byte-identical replay gets the stored answer and changes nothing.

A financial request (0200, 0400) must pass, in order, before it reaches the
issuer: terminal known (else 97, no MAC), terminal signed in (else A0 with
header requirement 3, no MAC), MAC verifies (else A0 with requirement 3, no
MAC: an answer to a request the host cannot authenticate carries none),
the key is not already used by another authentic request (else 94), merchant
id belongs to the terminal (else 03), the fields are there (else 30).
"""

import collections
import datetime
import secrets

from . import crypto, issuer, spec
from .store import masked_pan

ACQUIRER_ID = "99990000"
CARD_ORGANISATION = "CUP"
CURRENCY_CNY = "156"

APPROVED = "00"
INVALID_MERCHANT = "03"
INVALID_TRANSACTION = "12"
FORMAT_ERROR = "30"
FUNCTION_NOT_SUPPORTED = "40"
DUPLICATE = "94"
UNKNOWN_TERMINAL = "97"
MAC_ERROR = "A0"

SIGN_IN_TYPE = "00"
SIGN_IN_NETWORK_CODE = "003"
SALE_TYPE = "22"
SALE_PROCESSING_CODE = "000000"

# requirement None: 3 if the terminal is flagged for re-sign-in, else 0.
# mak None: the answer carries no MAC. authentic: the request was verified.
Reply = collections.namedtuple("Reply", "fields requirement mak authentic",
                               defaults=(None, None, False))


class Host:
    def __init__(self, store, clock=datetime.datetime.now):
        self.store = store
        self.clock = clock

    def handle(self, payload, peer="-"):
        """Request payload -> answer payload. Raises spec.WireError if garbled."""
        tpdu, _header, body = spec.split_message(payload)
        request = spec.decode_body(body)
        mti = request[0]
        handler = HANDLERS.get(mti)
        if handler is None and not _is_request(mti):
            raise spec.WireError("MTI %s is not a request" % mti)
        now = self.clock()
        when = now.isoformat(timespec="seconds")
        with self.store.transaction():
            self.store.log_message("in", peer, payload, when)
            key = _idempotency_key(request)
            answer = self._replay(key, payload)
            if answer is None:
                context = Context(self.store, request, body, key, now)
                reply = (handler or _unsupported)(context)
                answer = spec.join_message(
                    spec.answer_tpdu(tpdu),
                    spec.header_with_requirement(self._requirement(reply, request)),
                    _seal(reply.fields, reply.mak))
                if key is not None:
                    self.store.add_exchange(key, self._owns_key(key, reply), payload,
                                            answer, when)
            self.store.log_message("out", peer, answer, when)
        return answer

    def _replay(self, key, payload):
        if key is None:
            return None
        request_hex = payload.hex().upper()
        for exchange in self.store.exchanges(key):
            if exchange["request_hex"] == request_hex:
                return bytes.fromhex(exchange["answer_hex"])
        return None

    def _owns_key(self, key, reply):
        """The first authentic request with a key owns it; later ones only log."""
        return reply.authentic and not any(e["authentic"] for e in self.store.exchanges(key))

    def _requirement(self, reply, request):
        if reply.requirement is not None:
            return reply.requirement
        terminal = self.store.terminal(request.get(41, ""))
        if terminal is not None and terminal["resign"]:
            return spec.REQUIREMENT_SIGN_IN
        return spec.REQUIREMENT_NONE


def _is_request(mti):
    return len(mti) == 4 and mti[2] in "02468"


def _idempotency_key(request):
    try:
        batch = spec.split_field60(request[60])[1]
        return (request[41], batch, request[11], request[0])
    except (KeyError, spec.WireError):
        return None


def _seal(fields, mak):
    """Encode the answer; with a MAK, field 64 carries the MAC."""
    if mak is None:
        return spec.encode_body(fields)
    fields[64] = bytes(8)
    body = spec.encode_body(fields)
    return spec.mac_data(body) + crypto.cup_mac(mak, spec.mac_data(body))


class Context:
    """One request being answered: its fields, its terminal, the time."""

    def __init__(self, store, request, body, key, now):
        self.store = store
        self.request = request
        self.body = body
        self.key = key
        self.now = now
        self.terminal = store.terminal(request.get(41, ""))

    def answer(self, mti, echo):
        fields = {0: mti}
        for n in echo:
            if n in self.request:
                fields[n] = self.request[n]
        fields[12] = self.now.strftime("%H%M%S")
        fields[13] = self.now.strftime("%m%d")
        fields[32] = ACQUIRER_ID
        fields[37] = self.now.strftime("%H%M%S") + "%06d" % self.store.next_sequence()
        return fields

    def guard(self, fields):
        """-> (Reply when the request cannot reach the issuer else None, MAK or None)."""
        terminal = self.terminal
        if terminal is None:
            fields[39] = UNKNOWN_TERMINAL
            return Reply(fields), None
        if not terminal["mak_hex"]:
            fields[39] = MAC_ERROR
            return Reply(fields, spec.REQUIREMENT_SIGN_IN), None
        mak = bytes.fromhex(terminal["mak_hex"])
        mac = self.request.get(64)
        if mac is None or not crypto.mac_matches(mak, spec.mac_data(self.body), mac):
            fields[39] = MAC_ERROR
            return Reply(fields, spec.REQUIREMENT_SIGN_IN), mak
        if self.key is None:
            fields[39] = FORMAT_ERROR
            return Reply(fields, mak=mak), mak
        if any(e["authentic"] for e in self.store.exchanges(self.key)):
            fields[39] = DUPLICATE
            return Reply(fields, mak=mak), mak
        if self.request.get(42) != terminal["merchant_id"]:
            fields[39] = INVALID_MERCHANT
            return Reply(fields, mak=mak, authentic=True), mak
        return None, mak

    def record(self, txn_type, fields, amount_fen, card_id=None, state=None, note=None,
               masked=None):
        key = self.key or (self.request.get(41), None, self.request.get(11), self.request[0])
        rc = fields[39]
        self.store.add_transaction(
            terminal_id=key[0], batch=key[1], trace=key[2], mti=key[3], type=txn_type,
            amount_fen=amount_fen, masked_pan=masked or masked_pan(fields.get(2)),
            card_id=card_id,
            response_code=rc, auth_code=fields.get(38), reference=fields.get(37),
            state=state or ("approved" if rc == APPROVED else "declined"), note=note,
            created=self.now.isoformat(timespec="seconds"))


def _card_data(request):
    """-> (PAN or None, expiries seen). PAN is None when field 2 and track 2
    disagree or track 2 has no separator."""
    pan = request.get(2)
    expiries = []
    track = request.get(35)
    if track is not None:
        track_pan, sep, rest = track.partition("=")
        if not sep or (pan is not None and pan != track_pan):
            return None, ()
        pan = track_pan
        expiries.append(rest[:4])
    if 14 in request:
        expiries.append(request[14])
    return pan, tuple(expiries)


def _amount(request):
    return int(request[4]) if 4 in request else None


def _issuer_fields(fields, card):
    code, name = ((card["issuer_code"], card["issuer_name"]) if card is not None
                  else issuer.UNKNOWN_ISSUER)
    fields[44] = "%-11s%-11s" % (code, ACQUIRER_ID)
    fields[63] = CARD_ORGANISATION + name


# -- sign-in 0800 ------------------------------------------------------------

def sign_in(context):
    request = context.request
    fields = context.answer("0810", (11, 41, 42, 60))
    terminal = context.terminal
    if terminal is None:
        fields[39] = UNKNOWN_TERMINAL
        return Reply(fields)
    if request.get(42) != terminal["merchant_id"]:
        fields[39] = INVALID_MERCHANT
        return Reply(fields, authentic=True)
    try:
        txn_type, batch, network_code, _ = spec.split_field60(request.get(60, ""))
    except spec.WireError:
        txn_type = None
    if txn_type != SIGN_IN_TYPE or network_code != SIGN_IN_NETWORK_CODE or 11 not in request:
        fields[39] = FORMAT_ERROR
        return Reply(fields, authentic=True)
    pik, mak = crypto.new_working_keys()
    fields[62] = crypto.key_field(bytes.fromhex(terminal["tmk_hex"]), pik, mak)
    fields[39] = APPROVED
    context.store.set_working_keys(terminal["terminal_id"], pik, mak, batch,
                                   context.now.isoformat(timespec="seconds"))
    return Reply(fields, spec.REQUIREMENT_NONE, authentic=True)


# -- sale 0200 ---------------------------------------------------------------

def _sale_format_ok(request, pan):
    if request.get(3) != SALE_PROCESSING_CODE or 4 not in request:
        return False
    if request.get(49, CURRENCY_CNY) != CURRENCY_CNY:
        return False
    if 2 not in request and 35 not in request:
        return False
    return spec.split_field60(request[60])[0] == SALE_TYPE


def sale(context):
    request = context.request
    fields = context.answer("0210", (2, 3, 4, 11, 14, 25, 41, 42, 49, 60))
    pan, expiries = _card_data(request)
    if pan is not None:
        fields[2] = pan
        if 14 not in fields and expiries and len(expiries[0]) == 4:
            fields[14] = expiries[0]
    fields[15] = context.now.strftime("%m%d")
    amount = _amount(request)
    card = context.store.card(pan) if pan else None
    _issuer_fields(fields, card)

    refused, mak = context.guard(fields)
    if refused is not None:
        context.record("sale", fields, amount)
        return refused
    if not _sale_format_ok(request, pan):
        fields[39] = FORMAT_ERROR
        context.record("sale", fields, amount)
        return Reply(fields, mak=mak, authentic=True)
    terminal_id, batch, trace, _ = context.key
    if context.store.reversed_already(terminal_id, batch, trace):
        fields[39] = INVALID_TRANSACTION
        context.record("sale", fields, amount, note="arrived after its reversal")
        return Reply(fields, mak=mak, authentic=True)

    pin = None
    if card is not None and 52 in request:
        pin = crypto.decrypt_pin(bytes.fromhex(context.terminal["pik_hex"]),
                                 request[52], pan) or ""
    decision = issuer.authorise_sale(card, amount, expiries, pin, context.now.date())
    if card is not None:
        context.store.update_card(card["id"], decision.available_fen,
                                  decision.pin_failures, decision.pin_failure_day)
    fields[39] = decision.response_code
    if decision.response_code == APPROVED:
        fields[38] = "%06d" % secrets.randbelow(1000000)
    context.record("sale", fields, amount, card_id=card["id"] if card else None)
    return Reply(fields, mak=mak, authentic=True)


# -- reversal 0400 -----------------------------------------------------------

def reversal(context):
    request = context.request
    fields = context.answer("0410", (2, 3, 4, 11, 25, 41, 42, 49, 60))
    pan, _ = _card_data(request)
    if pan is not None:
        fields[2] = pan
    amount = _amount(request)

    refused, mak = context.guard(fields)
    if refused is not None:
        context.record("reversal", fields, amount)
        return refused
    if 39 not in request or spec.split_field60(request[60])[0] != SALE_TYPE:
        fields[39] = FORMAT_ERROR
        context.record("reversal", fields, amount)
        return Reply(fields, mak=mak, authentic=True)

    terminal_id, batch, trace, _ = context.key
    sales = context.store.sales(terminal_id, batch, trace)
    approved = [s for s in sales if s["state"] == "approved"]
    original = approved[0] if approved else (sales[0] if sales else None)
    if approved:
        context.store.refund(original["card_id"], original["amount_fen"])
        context.store.mark_reversed(original["id"])
        amount = original["amount_fen"]
        note = "undone"
    elif sales:
        note = "original declined, nothing to undo"
    else:
        note = "original not found, recorded"
    fields[39] = APPROVED
    context.record("reversal", fields, amount, state="approved",
                   note="%s; reason %s" % (note, request[39]),
                   card_id=original["card_id"] if original else None,
                   masked=original["masked_pan"] if original else None)
    return Reply(fields, mak=mak, authentic=True)


def _unsupported(context):
    mti = context.request[0]
    answer_mti = mti[:2] + str(int(mti[2]) + 1) + mti[3]
    fields = {0: answer_mti}
    for n in (11, 41, 42):
        if n in context.request:
            fields[n] = context.request[n]
    fields[39] = FUNCTION_NOT_SUPPORTED
    return Reply(fields, spec.REQUIREMENT_NONE)


HANDLERS = {
    "0800": sign_in,
    "0200": sale,
    "0400": reversal,
}
