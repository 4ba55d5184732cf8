"""Card transactions: sale, void, refund, balance, pre-authorisation, its void and completion.

Every financial request goes the same way (`FinancialRequest`): the guard
(97, A0, 94, 03), the fields the type needs and a field 55 that reads
(else 30), a request whose reversal already arrived (12), the card's ARQC
when it carries one (A7; 13 when 9F02 is not field 4), then the type's own
checks. The acquirer finds the original first (25, 12, 64, protocol section
7), then the issuer checks the card and PIN (`issuer.verify_card`), then money
moves. An answer to a verified ARQC carries 91 (and 72 when the card has a
script pending), whatever its code. Everything a request changes is committed
with its answer by `Host.handle`.
"""

import secrets

from . import crypto, emv, fields, issuer, spec
from .context import (APPROVALS, APPROVED, CURRENCY_CNY, FORMAT_ERROR, INVALID_AMOUNT,
                      INVALID_TRANSACTION, NO_ORIGINAL, ORIGINAL_AMOUNT_WRONG, PARTIAL_APPROVAL,
                      SECURITY_FAILURE, Reply, amount, card_data, issuer_fields)

CARD_ECHO = (2, 3, 4, 11, 14, 25, 41, 42, 49, 60)
INQUIRY_ECHO = (3, 11, 41, 42, 60)


class FinancialRequest:
    """A financial request being answered: its answer fields, card and amount."""

    def __init__(self, context, name):
        self.context = context
        self.store = context.store
        self.name = name
        self.type = spec.TRANSACTIONS[name]
        self.request = request = context.request
        self.mak = None
        self.transaction_id = None
        self.amount = amount(request)
        self.card = None
        self.pan, self.expiries = None, ()
        self.icc = None              # field 55 of the request, {tag hex: bytes}
        self.session_key = None      # the card's AC session key, once its ARQC verified
        answer_mti = spec.answer_mti(request[0])
        if not self.type.card:
            self.fields = context.answer(answer_mti, INQUIRY_ECHO)
            return
        self.fields = answer = context.answer(answer_mti, CARD_ECHO)
        self.pan, self.expiries = card_data(request)
        if self.pan is not None:
            answer[2] = self.pan
            if 14 not in answer and self.expiries and len(self.expiries[0]) == 4:
                answer[14] = self.expiries[0]
            self.card = self.store.card(self.pan)
        answer[15] = context.now.strftime("%m%d")
        issuer_fields(answer, self.card)

    def refusal(self, parse=None):
        """-> Reply when the request goes no further, else None.

        parse(request) reads the type's own fields (61, 62) and raises
        spec.WireError if they are malformed; its result is self.parsed."""
        refused, self.mak = self.context.guard(self.fields)
        if refused is not None:
            self.record(self.amount)
            return refused
        self.parsed = None
        try:
            if not self._format_ok():
                raise spec.WireError("fields missing")
            self._read_icc()
            if parse is not None:
                self.parsed = parse(self.request)
        except spec.WireError:
            return self.finish(FORMAT_ERROR)
        terminal_id, batch, trace, _ = self.context.key
        if self.store.reversed_already(terminal_id, batch, trace):
            return self.finish(INVALID_TRANSACTION, note="arrived after its reversal")
        code = self._verify_arqc()
        if code is not None:
            return self.finish(code)
        return None

    def _read_icc(self):
        """Field 55 must read; an online chip request (or any that carries a cryptogram)
        needs the tags of emv.REQUIRED, 23, and the card in 2 and 35. Raises spec.WireError."""
        request = self.request
        online = self.type.arqc and emv.is_chip(request.get(22))
        if 55 in request:
            self.icc = emv.decode(request[55])
        if not online and (self.icc is None or "9F26" not in self.icc):
            return
        if self.icc is None or any(n not in request for n in (2, 23, 35)):
            raise spec.WireError("chip request without 55, 23, 2 or 35")
        emv.check_online(self.icc)

    def _verify_arqc(self):
        """A7 when the request's ARQC is not the card's, 13 when the card signed another
        amount than field 4; None to go on (the issuer answers 14 for a PAN it cannot read)."""
        if self.icc is None or "9F26" not in self.icc or self.pan is None:
            return None
        self.session_key = emv.verify_ac(self.store.issuer_key(), self.pan, self.request[23], self.icc)
        if self.session_key is None:
            return SECURITY_FAILURE
        if self.amount is not None and emv.amount_fen(self.icc) != self.amount:
            return INVALID_AMOUNT
        return None

    def _format_ok(self):
        request = self.request
        if request.get(3) != self.type.processing_code:
            return False
        if request.get(49, CURRENCY_CNY) != CURRENCY_CNY:
            return False
        if self.type.card and 2 not in request and 35 not in request:
            return False
        return all(n in request for n in self.type.needs)

    @property
    def card_id(self):
        return self.card["id"] if self.card is not None else None

    def verify(self, amount_fen=None, pin_required=True):
        """The issuer's card and PIN checks -> response code; the PIN count is kept."""
        pin = None
        if (pin_required and 52 not in self.request and self.session_key is not None
                and emv.pin_waived(self.request.get(22), amount_fen)):
            pin_required = False
        if pin_required and self.card is not None and 52 in self.request:
            pin = crypto.decrypt_pin(bytes.fromhex(self.context.terminal["pik_hex"]),
                                     self.request[52], self.pan) or ""
        decision = issuer.verify_card(self.card, amount_fen, self.expiries, pin,
                                      self.context.now.date(), pin_required)
        if self.card is not None:
            self.store.set_pin_state(self.card["id"], decision.pin_failures,
                                     decision.pin_failure_day)
        return decision.response_code

    def funds(self, amount_fen):
        """51 when the card cannot pay amount_fen, else 00."""
        return issuer.funds(self.card["available_fen"], amount_fen)

    def record(self, amount_fen=None, **columns):
        answer_icc = self.fields.get(55)
        self.transaction_id = self.context.record(
            self.name, self.fields, amount_fen, card_id=self.card_id, icc=emv.stored(self.icc),
            icc_answer=answer_icc.hex().upper() if answer_icc else None, **columns)

    def finish(self, code, **columns):
        """Answer with code (an authorisation code when approved; 55 with the ARPC when the
        ARQC verified) and record it."""
        self.fields[39] = code
        if code in APPROVALS:
            self.fields[38] = "%06d" % secrets.randbelow(1000000)
        if self.session_key is not None:
            script = self.card is not None and bool(self.card["script_pending"])
            self.fields[55] = emv.answer_data(self.session_key, self.icc, code, script)
        self.record(self.amount, **columns)
        return Reply(self.fields, mak=self.mak, authentic=True)

    def approve_part(self):
        """A card that may pay part of an amount it cannot pay whole (a prepaid card) pays what it
        has: 10 with that amount in field 4, the amount recorded; else None."""
        available = self.card["available_fen"]
        if not self.card["partial"] or available <= 0:
            return None
        self.amount = available
        self.fields[4] = "%012d" % available
        return PARTIAL_APPROVAL


def _parse_61(request):
    return fields.split_field61(request[61])


# -- sale 0200/22 ------------------------------------------------------------

def sale(context):
    req = FinancialRequest(context, "sale")
    refused = req.refusal()
    if refused is not None:
        return refused
    code = req.verify(req.amount)
    if code == APPROVED:
        code = req.funds(req.amount)
        if code != APPROVED:
            code = req.approve_part() or code
    if code in APPROVALS:
        req.store.move(req.card_id, -req.amount)
    return req.finish(code)


# -- void 0200/23 ------------------------------------------------------------

def void(context):
    req = FinancialRequest(context, "void")
    refused = req.refusal(_parse_61)
    if refused is not None:
        return refused
    batch, trace, _ = req.parsed
    original = req.store.voidable(context.key[0], batch, trace)
    if original is None or original["state"] == "reversed":
        code = NO_ORIGINAL
    elif original["state"] == "voided":
        code = INVALID_TRANSACTION
    elif original["card_id"] != req.card_id:
        code = NO_ORIGINAL
    elif original["refunded_fen"] or req.store.is_settled(context.key[0], original["batch"]):
        code = INVALID_TRANSACTION
    elif req.amount != original["amount_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    else:
        code = req.verify(req.amount)
    if code == APPROVED:
        req.store.move(original["card_id"], original["amount_fen"])
        if original["bill_account_id"] is not None:
            req.store.add_due(original["bill_account_id"], original["due_paid_fen"])
        req.store.set_state(original["id"], "voided")
    return req.finish(code, original_id=original["id"] if original else None)


# -- refund 0220/25 ----------------------------------------------------------

def refund(context):
    req = FinancialRequest(context, "refund")
    refused = req.refusal(_parse_61)
    if refused is not None:
        return refused
    _, _, mmdd = req.parsed
    original = req.store.refundable(context.key[0], req.request[37], mmdd)
    if (original is None or original["state"] in ("voided", "reversed")
            or original["card_id"] != req.card_id):
        code = NO_ORIGINAL
    elif req.amount > original["amount_fen"] - original["refunded_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    else:
        code = req.verify(req.amount, pin_required=False)
    if code == APPROVED:
        req.store.move(req.card_id, req.amount)
        req.store.add_refunded(original["id"], req.amount)
    return req.finish(code, original_id=original["id"] if original else None)


# -- balance 0200/01 ---------------------------------------------------------

def balance(context):
    req = FinancialRequest(context, "balance")
    refused = req.refusal()
    if refused is not None:
        return refused
    code = req.verify()
    if code == APPROVED:
        req.fields[54] = fields.balance_field(req.card["kind"], req.card["available_fen"])
    return req.finish(code)


# -- pre-authorisation 0100/10, its void 0100/11, completion 0200/20 ---------

def preauth(context):
    req = FinancialRequest(context, "preauth")
    refused = req.refusal()
    if refused is not None:
        return refused
    code = req.verify(req.amount)
    if code == APPROVED:
        code = req.funds(req.amount)
    if code == APPROVED:
        req.store.move(req.card_id, -req.amount)
    reply = req.finish(code)
    if code == APPROVED:
        req.store.add_hold(req.transaction_id, req.card_id, req.amount)
    return reply


def _held_preauth(req):
    """-> (preauth, hold) named by 38 and 61.3 on the same card, or (None, None)."""
    _, _, mmdd = req.parsed
    if req.card is None:
        return None, None
    original = req.store.preauth(req.context.terminal["merchant_id"], req.request[38],
                                 mmdd, req.card_id)
    if original is None or original["state"] != "approved":
        return original, None
    return original, req.store.hold(original["id"])


def preauth_void(context):
    req = FinancialRequest(context, "preauth_void")
    refused = req.refusal(_parse_61)
    if refused is not None:
        return refused
    original, hold = _held_preauth(req)
    if hold is None or hold["state"] != "held":
        code = NO_ORIGINAL
    elif req.amount != hold["amount_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    else:
        code = req.verify(req.amount)
    if code == APPROVED:
        req.store.move(hold["card_id"], hold["amount_fen"])
        req.store.set_hold_state(hold["id"], "released")
        req.store.set_state(original["id"], "released")
    return req.finish(code, original_id=original["id"] if original else None)


def preauth_complete(context):
    req = FinancialRequest(context, "preauth_complete")
    refused = req.refusal(_parse_61)
    if refused is not None:
        return refused
    original, hold = _held_preauth(req)
    if hold is None or hold["state"] != "held":
        code = NO_ORIGINAL
    elif req.amount > hold["amount_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    else:
        code = req.verify(req.amount)
    if code == APPROVED:
        req.store.move(hold["card_id"], hold["amount_fen"] - req.amount)
        req.store.set_hold_state(hold["id"], "completed")
        req.store.set_state(original["id"], "completed")
    return req.finish(code, original_id=original["id"] if original else None)
