"""QR payments (扫码, protocol section 13): qr_sale 0200/70 (B scans C: the customer's payment code
in 62 QC), qr_order 0200/71 (C scans B: a dynamic order whose text a phone scans), qr_query 0100/72
and qr_cancel 0200/73 of either, qr_void 0200/74 and qr_refund 0220/75.

Each goes the way of every financial request (`payments.FinancialRequest`): the guard (97, A0,
94, 03), the fields its type needs and 22 = 030 (else 30), a request whose reversal came first
(12); no card, no PIN. The wallet decides (`wallet.py`). A payment is an order (table qr_orders)
and the order's state and amounts are the truth of it; the requests' transaction rows record what
was asked and answered. An order is brought up to the request's time before anything looks at it
(a confirming customer has paid by now, an open order has ended), so a query, a cancel, a void or
a reversal sees what the wallet did meanwhile.

  qr_sale    13 under 1 fen; Q3 a code used before (a host takes each code once: by its SHA-256,
             whatever the wallet said), unknown, of no wallet or expired; else the wallet's: 00
             paid, Q1 confirming (paid 8 s later), 51 no funds (a declined order a query names)
  qr_order   13 under 1 fen; else 00 with ON, QR (QB + o/ + ON) and EX (300)
  qr_query   25 no order of this terminal's request 61.1 batch, 61.2 trace; paid (or voided
             since): 00 with 4, 38, WL; open: Q1; declined: 51; closed or reversed: Q2
  qr_cancel  25 no such order; 64 field 4 not its amount; paid: Q4 as a paid query's; open: closed
             now, 00, nothing charged later; already closed, declined or reversed: 00
  qr_void    25 no such order, or one never paid; 12 voided, refunded in part, or its batch
             settled; 64 not the whole amount; else 00: the order voided, all back to the wallet
  qr_refund  25 no paid order of this terminal with reference 37 made or paid on 61.3 (voided or
             reversed ones neither); 64 more than is left; 13 under 1 fen; else 00: the order's
             refunded_fen grows by field 4

Every answer naming an order carries 37, the order's reference (its first answer's), and 62 ON.
38 comes with a payment (the order's code) and with a void's or refund's approval (a new one).
61.3 of a query, cancel or void is not checked: 61.1 and 61.2 name the request.
"""

import secrets

from . import fields, spec, wallet
from .context import (APPROVED, CURRENCY_CNY, INVALID_AMOUNT, INVALID_TRANSACTION, NO_ORIGINAL,
                      ORIGINAL_AMOUNT_WRONG, Reply)
from .payments import FinancialRequest

ENTRY_MODE = "030"          # 22 of every QR request: a code read or shown, no PIN at the terminal
ECHO = (3, 4, 11, 25, 41, 42, 49, 60)
KIND_TYPES = {"sale": "qr_sale", "order": "qr_order"}


class QrRequest(FinancialRequest):
    """A QR request being answered: a FinancialRequest without a card, its answer a sale's without
    the card's fields (2, 14, 44, 63)."""

    def __init__(self, context, name):
        FinancialRequest.__init__(self, context, name)
        for n in ECHO:
            if n in self.request:
                self.fields[n] = self.request[n]
        self.fields[15] = context.now.strftime("%m%d")

    def named_order(self):
        """The order of this terminal's request 61.1 batch, 61.2 trace, as it stands now, or None."""
        batch, trace, _ = self.parsed
        order = self.store.qr_order_by_key(self.context.key[0], batch, trace)
        return None if order is None else self.store.qr_order_now(order, self.context.now)

    def names(self, order, *items):
        """The answer names the order: 37 its reference, 62 ON and items."""
        self.fields[37] = order["reference"]
        self.fields[62] = fields.encode_tlv((("ON", order["order_no"]),) + items)

    def paid(self, order):
        """The answer says the order is paid: 4 its amount, 37, 38 its code, 62 ON and WL."""
        self.fields[4] = fields.amount_text(order["amount_fen"])
        self.fields[49] = CURRENCY_CNY
        self.fields[38] = order["auth_code"]
        self.names(order, ("WL", order["wallet"]))

    def conclude(self, code, order=None, **columns):
        """Answer code as the fields stand and record the request (naming order's payment)."""
        self.fields[39] = code
        self.record(self.amount, original_id=order["transaction_id"] if order else None, **columns)
        return Reply(self.fields, mak=self.mak, authentic=True)

    def new_order(self, kind, **columns):
        """The columns of the order this request makes."""
        now = self.context.now
        terminal_id, batch, trace, _ = self.context.key
        order = dict(order_no=_order_number(now), terminal_id=terminal_id, batch=batch, trace=trace,
                     merchant_id=self.context.terminal["merchant_id"], kind=kind,
                     amount_fen=self.amount, reference=self.fields[37], created=self.context.when,
                     expires=wallet.iso(wallet.order_end(now)), auth_code=None, wallet=None)
        order.update(columns)
        return order

    def keep(self, code, order, **columns):
        """Answer code, record the request, and keep the order it made."""
        reply = self.conclude(code, **columns)
        self.store.add_qr_order(transaction_id=self.transaction_id, **order)
        return reply


def _order_number(now):
    """The time, then 8 random hex digits: 22 letters and digits (a taken one is a Conflict)."""
    return now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper()


# -- the requests' own fields (else 30) -------------------------------------

def _entry_mode(request):
    if request.get(22) != ENTRY_MODE:
        raise spec.WireError("field 22 %r is not %s" % (request.get(22), ENTRY_MODE))


def _payment_code(request):
    _entry_mode(request)
    code = fields.decode_tlv(request[62]).get("QC")
    if code is None or not wallet.is_payment_code(code):
        raise spec.WireError("field 62 has no payment code of 16-24 digits")
    return code


def _original(request):
    return fields.split_field61(request[61])


def _entry_and_original(request):
    _entry_mode(request)
    return _original(request)


# -- qr_sale 0200/70 ----------------------------------------------------------

def qr_sale(context):
    req = QrRequest(context, "qr_sale")
    refused = req.refusal(_payment_code)
    if refused is not None:
        return refused
    code = req.parsed
    masked = wallet.masked(code)
    if req.amount < 1:
        return req.conclude(INVALID_AMOUNT, masked=masked)
    terminal_id, batch, trace, _ = context.key
    digest = wallet.digest(code)
    if not req.store.spend_qr_code(digest, terminal_id, batch, trace, context.when):
        return req.conclude(wallet.BAD_CODE, masked=masked, note="payment code used before")
    decision = wallet.present(req.store.qr_test_code(digest), code, context.now)
    if decision.state is None:
        if decision.wallet is not None:
            req.fields[62] = fields.encode_tlv((("WL", decision.wallet),))
        return req.conclude(decision.response_code, masked=masked, note="payment code unknown or expired")
    order = req.new_order("sale", state=decision.state, wallet=decision.wallet, masked_code=masked)
    if decision.state == wallet.PAID:
        order.update(paid_at=context.when, auth_code=wallet.approval_code())
        req.paid(order)
    else:
        if decision.state == wallet.PENDING:
            order["pay_at"] = wallet.iso(decision.pay_at)
        req.names(order, ("WL", decision.wallet))
    return req.keep(decision.response_code, order, masked=masked)


# -- qr_order 0200/71 ---------------------------------------------------------

def qr_order(context):
    req = QrRequest(context, "qr_order")
    refused = req.refusal(_entry_mode)
    if refused is not None:
        return refused
    if req.amount < 1:
        return req.conclude(INVALID_AMOUNT)
    order = req.new_order("order", state=wallet.PENDING)
    order["qr_text"] = wallet.order_text(context.terminal["params_qr_base"], order["order_no"])
    req.names(order, ("QR", order["qr_text"]), ("EX", str(wallet.ORDER_OPEN_S)))
    return req.keep(APPROVED, order)


# -- qr_query 0100/72 ---------------------------------------------------------

def qr_query(context):
    req = QrRequest(context, "qr_query")
    refused = req.refusal(_original)
    if refused is not None:
        return refused
    order = req.named_order()
    if order is None:
        return req.conclude(NO_ORIGINAL)
    state = order["state"]
    if state in wallet.WERE_PAID:
        req.paid(order)
        return req.conclude(APPROVED, order)
    req.names(order)
    code = {wallet.PENDING: wallet.WAITING, wallet.DECLINED: wallet.NO_FUNDS}.get(state, wallet.CLOSED)
    return req.conclude(code, order)


# -- qr_cancel 0200/73 --------------------------------------------------------

def qr_cancel(context):
    req = QrRequest(context, "qr_cancel")
    refused = req.refusal(_entry_and_original)
    if refused is not None:
        return refused
    order = req.named_order()
    if order is None:
        return req.conclude(NO_ORIGINAL)
    if req.amount != order["amount_fen"]:
        return req.conclude(ORIGINAL_AMOUNT_WRONG, order)
    if order["state"] in wallet.WERE_PAID:
        req.paid(order)
        return req.conclude(wallet.PAID_BEFORE, order)
    if order["state"] == wallet.PENDING:
        req.store.update_qr_order(order["id"], wallet.PENDING, state=wallet.ORDER_CLOSED,
                                  note="cancelled (trace %s)" % context.key[2])
    req.names(order)
    return req.conclude(APPROVED, order)


# -- qr_void 0200/74 ----------------------------------------------------------

def qr_void(context):
    req = QrRequest(context, "qr_void")
    refused = req.refusal(_entry_and_original)
    if refused is not None:
        return refused
    order = req.named_order()
    if order is None or order["state"] not in wallet.WERE_PAID:
        code = NO_ORIGINAL
    elif order["state"] == wallet.VOIDED:
        code = INVALID_TRANSACTION
    elif order["refunded_fen"] or req.store.is_settled(order["terminal_id"], order["batch"]):
        code = INVALID_TRANSACTION
    elif req.amount != order["amount_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    else:
        code = APPROVED
        req.store.update_qr_order(order["id"], wallet.PAID, state=wallet.VOIDED)
    return req.finish(code, original_id=order["transaction_id"] if order else None)


# -- qr_refund 0220/75 --------------------------------------------------------

def qr_refund(context):
    req = QrRequest(context, "qr_refund")
    refused = req.refusal(_entry_and_original)
    if refused is not None:
        return refused
    _, _, mmdd = req.parsed
    order = req.store.qr_order_by_reference(context.key[0], req.request[37], mmdd)
    if order is not None:
        order = req.store.qr_order_now(order, context.now)
    if order is None or order["state"] != wallet.PAID:
        code = NO_ORIGINAL
    elif req.amount > order["amount_fen"] - order["refunded_fen"]:
        code = ORIGINAL_AMOUNT_WRONG
    elif req.amount < 1:
        code = INVALID_AMOUNT
    else:
        code = APPROVED
        req.store.add_qr_refunded(order["id"], req.amount)
    return req.finish(code, original_id=order["transaction_id"] if order else None)
