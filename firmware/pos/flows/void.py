"""撤销: void a sale or bill payment of this batch, found by its voucher (trace) number.

Supervisor's password → 原凭证号 → the original shown for checking → the same
card swiped again → PIN → 0200 (60.1 23) naming the original in 37, 38 and
61 → 撤销成功 and a slip. The original stays in the journal; the void's own
record marks it voided, and a voided transaction cannot be voided again.
A QR payment (扫码) is voided without a card: qr_void (60.1 74) gives the money back to the
wallet that paid.
"""
from pos import cup, message
from pos.flows import card, online
from pos.flows.reversal import QR_ORDERS
from pos.flows.common import ask_digits, confirm, notice, supervisor
from pos.i18n import t
from pos.ledger import VOIDABLE, lookup
from pos.menu import DONE
from pos.money import amount_field


def run(app, state):
    title = t("void")
    if not (yield from supervisor(app, title)):
        return DONE
    if not (yield from online.ready(app, title)):
        return DONE
    trace = yield from ask_digits(app, title, t("enter_orig_trace"), 1, 6)
    if trace is None:
        return DONE
    original, was_voided = lookup(app.journal, int(trace))
    why = None
    if original is None or original.get("st") != "approved":
        why = "no_original"
    elif original["k"] not in VOIDABLE:
        why = "cannot_void"
    elif was_voided:
        why = "already_voided"
    if why is not None:
        yield from notice(app, title, [t(why), t("voucher_no") + ": %06d" % int(trace)])
        return DONE
    amount = original["amt"]
    qr = original["k"] in QR_ORDERS
    shown = [t("voucher_no") + ": %06d" % original["trace"], online.amount_line(amount),
             (t("order_no") + ": " + original.get("on", "")) if qr else (t("card_no") + ": " + original["pan"])]
    if not (yield from confirm(app, title, shown)):
        return DONE
    f61 = message.field61(original["batch"], original["trace"], original["date"][4:8])
    if qr:
        values = {4: amount_field(amount), 22: cup.QR_ENTRY, 25: "00", 37: original.get("ref", ""), 61: f61}
        if original.get("auth"):
            values[38] = original["auth"]
        record = online.new_record(app, "qr_void", amount)
        record["ob"], record["ot"], record["nosig"] = original["batch"], original["trace"], 1
        yield from online.financial(app, values, record, title, t("void_ok"), shown[2:])
        return DONE
    got = yield from card.with_pin(app, title, shown[:2], None,
                                   lambda c: None if card.same_card(c, original["pan"]) else "not_same_card")
    if got is None:
        return DONE
    c, values = got
    values[4] = amount_field(amount)
    values[37] = original.get("ref", "")
    if original.get("auth"):
        values[38] = original["auth"]
    values[61] = f61
    record = online.new_record(app, "void", amount, c)
    record["ob"], record["ot"] = original["batch"], original["trace"]
    yield from online.financial(app, values, record, title, t("void_ok"), shown[2:])
    yield from card.done(app, title, c)
    return DONE
