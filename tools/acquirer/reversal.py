"""Reversal 0400: undo exactly what the original did, exactly once.

The original is the request of the type named by 60.1 with the reversal's
(terminal id, batch, trace). An approved original is undone by its type's
row of `UNDO` and becomes 'reversed':

  sale, bill payment    the money back to the card (a bill is due again)
  completion            the completion's money back, the whole hold held again
  repayment             the money back to the debit card, off the credit card
                        (its bill up by what was paid off, its limit down)
  refund                the refunded money taken back, the sale refundable again
  void                  the original voided again approved, its money taken again
  preauth               the hold released
  preauth void          the hold held again
  balance, inquiries    nothing moved, nothing to undo
  qr_sale, qr_order     the order closed; had it been paid, reversed: the money back to the wallet
  qr_void               the order paid again
  qr_refund             the refunded money taken back from the wallet (refunded_fen down)
  qr_query              nothing moved
  qr_cancel             nothing: a cancel is final (the terminal never reverses one)

A QR payment's order is the truth, not its first answer: a qr_sale answered Q1 (the customer
confirming) is undone like an approved one, and its order is first brought up to the reversal's
time, so one paid meanwhile gives its money back.

An original made with a card is reversed only by a 0400 whose field 2 is that
card's PAN: without it, or with another, the answer is 25 and nothing is
undone. An original that something later changed (a voided or refunded sale, a
completed or released pre-authorisation) is left as it is. Otherwise a
reversal is answered 00 once it passes the checks, whatever it found.

A chip original's reversal may carry field 55 (95, 9F10, 9F36, DF31): it must
read (else 30), the reversal keeps it, and DF31 (the results of the scripts
the original's answer carried) is stored against the original too.
"""

from . import emv, spec, wallet
from .context import APPROVALS, APPROVED, FORMAT_ERROR, NO_ORIGINAL, Reply, amount, card_data
from .store import masked_pan

ECHO = (2, 3, 4, 11, 25, 41, 42, 49, 60)
QR_PAYMENTS = ("qr_sale", "qr_order")     # the requests that make a wallet's order


def reversal(context):
    request = context.request
    fields = context.answer("0410", ECHO)
    pan, _ = card_data(request)
    if pan is not None:
        fields[2] = pan
    reversed_fen = amount(request)
    icc = None

    def record(note=None, original=None):
        context.record("reversal", fields, reversed_fen, state="approved", note=note,
                       card_id=original["card_id"] if original else None,
                       masked=original["masked_pan"] if original else None,
                       original_id=original["id"] if original else None, icc=emv.stored(icc))

    refused, mak = context.guard(fields)
    if refused is not None:
        context.record("reversal", fields, reversed_fen)
        return refused
    name = spec.FINANCIAL_TYPES.get(spec.split_field60(request[60])[0])
    icc, icc_readable = _read_icc(request)
    if 39 not in request or name is None or not icc_readable:
        fields[39] = FORMAT_ERROR
        context.record("reversal", fields, reversed_fen)
        return Reply(fields, mak=mak, authentic=True)

    terminal_id, batch, trace, _ = context.key
    if name in QR_PAYMENTS:
        context.store.qr_orders_now(terminal_id, batch, context.now, trace)
    originals = context.store.originals(terminal_id, batch, trace, name)
    in_effect = APPROVALS + ((wallet.WAITING,) if name in QR_PAYMENTS else ())
    approved = [o for o in originals if o["response_code"] in in_effect]
    original = approved[0] if approved else (originals[0] if originals else None)
    refused = card_refusal(context.store, name, original, request.get(2))
    if refused is not None:
        fields[39] = NO_ORIGINAL
        context.record("reversal", fields, reversed_fen, original_id=original["id"],
                       note="%s, nothing undone; reason %s" % (refused, request[39]),
                       icc=emv.stored(icc))
        return Reply(fields, mak=mak, authentic=True)
    if original is not None and icc is not None and "DF31" in icc:
        context.store.script_result(original["id"], original["card_id"], icc["DF31"].hex().upper(),
                                    emv.script_done(icc["DF31"]))
    if approved:
        note = UNDO[name](context.store, original)
        reversed_fen = original["amount_fen"]
    elif originals:
        note = "original declined, nothing to undo"
    else:
        note = "original not found, recorded"
    fields[39] = APPROVED
    record("%s; reason %s" % (note, request[39]), original)
    return Reply(fields, mak=mak, authentic=True)


def _read_icc(request):
    """-> (field 55's tags or None, whether it reads)."""
    try:
        return (emv.decode(request[55]) if 55 in request else None), True
    except spec.WireError:
        return None, False


def card_refusal(store, name, original, pan):
    """Why the 0400's field 2 does not name the original's card, or None when it does
    (or the original was made without one). A card not on file is known only masked."""
    if original is None or not spec.TRANSACTIONS[name].card:
        return None
    if original["card_id"] is None and original["masked_pan"] is None:
        return None
    if pan is None:
        return "no PAN (field 2) for an original made with a card"
    if original["card_id"] is not None:
        card = store.card(pan)
        matches = card is not None and card["id"] == original["card_id"]
    else:
        matches = masked_pan(pan) == original["masked_pan"]
    return None if matches else "PAN not the original's"


def _left_as_is(txn):
    return "original is %s, nothing undone" % txn["state"]


def _undo_payment(store, txn):
    """Sale or bill payment: the money back; a bill is due again."""
    if txn["state"] != "approved" or txn["refunded_fen"]:
        return _left_as_is(txn)
    store.move(txn["card_id"], txn["amount_fen"])
    if txn["bill_account_id"] is not None:
        store.add_due(txn["bill_account_id"], txn["due_paid_fen"])
    store.set_state(txn["id"], "reversed")
    return "undone"


def _undo_repayment(store, txn):
    if txn["state"] != "approved":
        return _left_as_is(txn)
    store.move(txn["card_id"], txn["amount_fen"])
    store.move(txn["credit_card_id"], -txn["amount_fen"])
    store.add_bill_due(txn["credit_card_id"], txn["due_paid_fen"])
    store.set_state(txn["id"], "reversed")
    return "undone"


def _undo_void(store, txn):
    """The voided original comes back: its money taken again, a bill paid again."""
    original = store.transaction_by_id(txn["original_id"])
    if txn["state"] != "approved" or original is None or original["state"] != "voided":
        return _left_as_is(txn)
    store.move(original["card_id"], -original["amount_fen"])
    if original["bill_account_id"] is not None:
        store.add_due(original["bill_account_id"], -original["due_paid_fen"])
    store.set_state(original["id"], "approved")
    store.set_state(txn["id"], "reversed")
    return "undone"


def _undo_refund(store, txn):
    original = store.transaction_by_id(txn["original_id"])
    if txn["state"] != "approved" or original is None:
        return _left_as_is(txn)
    store.move(txn["card_id"], -txn["amount_fen"])
    store.add_refunded(original["id"], -txn["amount_fen"])
    store.set_state(txn["id"], "reversed")
    return "undone"


def _undo_preauth(store, txn):
    hold = store.hold(txn["id"])
    if txn["state"] != "approved" or hold is None or hold["state"] != "held":
        return _left_as_is(txn)
    store.move(hold["card_id"], hold["amount_fen"])
    store.set_hold_state(hold["id"], "released")
    store.set_state(txn["id"], "reversed")
    return "undone"


def _rehold(store, txn, preauth_state, returned_fen):
    """A preauth void or completion undone: the pre-authorisation holds again.

    returned_fen: what the undone request gave back to the card."""
    original = store.transaction_by_id(txn["original_id"])
    hold = store.hold(original["id"]) if original is not None else None
    if (txn["state"] != "approved" or hold is None
            or original["state"] != preauth_state or hold["state"] != preauth_state):
        return _left_as_is(txn)
    store.move(hold["card_id"], -returned_fen(hold))
    store.set_hold_state(hold["id"], "held")
    store.set_state(original["id"], "approved")
    store.set_state(txn["id"], "reversed")
    return "undone"


def _undo_preauth_void(store, txn):
    return _rehold(store, txn, "released", lambda hold: hold["amount_fen"])


def _undo_completion(store, txn):
    return _rehold(store, txn, "completed", lambda hold: hold["amount_fen"] - txn["amount_fen"])


def _undo_inquiry(store, txn):
    if txn["state"] != "approved":
        return _left_as_is(txn)
    store.set_state(txn["id"], "reversed")
    return "nothing moved"


def _undo_qr_payment(store, txn):
    """qr_sale, qr_order: an open order closes; a paid one (not voided or refunded since) is
    reversed, its money back to the wallet."""
    order = store.qr_order_of(txn["id"])
    if order is None:
        return "no order, nothing undone"
    if order["state"] == wallet.PENDING:
        store.update_qr_order(order["id"], wallet.PENDING, state=wallet.ORDER_CLOSED,
                              note="closed by its reversal")
        store.set_state(txn["id"], "reversed")
        return "order closed unpaid"
    if order["state"] != wallet.PAID or order["refunded_fen"]:
        return "order is %s%s, nothing undone" % (
            order["state"], ", refunded in part" if order["refunded_fen"] else "")
    store.update_qr_order(order["id"], wallet.PAID, state=wallet.REVERSED)
    store.set_state(txn["id"], "reversed")
    return "undone: the money back to the wallet"


def _undo_qr_void(store, txn):
    order = store.qr_order_of(txn["original_id"])
    if txn["state"] != "approved" or order is None or order["state"] != wallet.VOIDED:
        return _left_as_is(txn)
    store.update_qr_order(order["id"], wallet.VOIDED, state=wallet.PAID)
    store.set_state(txn["id"], "reversed")
    return "undone: the payment paid again"


def _undo_qr_refund(store, txn):
    order = store.qr_order_of(txn["original_id"])
    if txn["state"] != "approved" or order is None or order["state"] != wallet.PAID:
        return _left_as_is(txn)
    store.add_qr_refunded(order["id"], -txn["amount_fen"])
    store.set_state(txn["id"], "reversed")
    return "undone: the refund taken back from the wallet"


def _cancel_stands(store, txn):
    return "a cancel is final, nothing undone"


UNDO = {
    "sale": _undo_payment,
    "bill_payment": _undo_payment,
    "preauth_complete": _undo_completion,
    "repayment": _undo_repayment,
    "refund": _undo_refund,
    "void": _undo_void,
    "preauth": _undo_preauth,
    "preauth_void": _undo_preauth_void,
    "balance": _undo_inquiry,
    "bill_inquiry": _undo_inquiry,
    "repay_inquiry": _undo_inquiry,
    "qr_sale": _undo_qr_payment,
    "qr_order": _undo_qr_payment,
    "qr_void": _undo_qr_void,
    "qr_refund": _undo_qr_refund,
    "qr_query": _undo_inquiry,
    "qr_cancel": _cancel_stands,
}
