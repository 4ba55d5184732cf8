"""退货: refund part or all of a sale of an earlier batch, named by its reference number and date.

Supervisor's password → 原参考号 → 原交易日期 → 退货金额 → the card → 0220
(60.1 25, no PIN) → 退货成功 and a slip. The host knows the original and
refuses more than the original minus its earlier refunds; a sale of this
batch is voided instead (撤销), since it has not been settled yet.
扫码退货 (state qr_refund) refunds a QR payment the same way without a card: qr_refund (60.1 75)
gives the money back to the wallet that paid.
"""
from pos import cup, message
from pos.flows import card, online
from pos.flows.common import ask_amount, ask_digits, ask_mmdd, notice, supervisor
from pos.i18n import t
from pos.ledger import find_reference
from pos.menu import DONE
from pos.money import amount_field


def run(app, state):
    qr = state == "qr_refund"
    title = t("qr_refund" if qr else "refund")
    if not (yield from supervisor(app, title)):
        return DONE
    if not (yield from online.ready(app, title)):
        return DONE
    ref = yield from ask_digits(app, title, t("enter_orig_ref"), 12, 12)
    if ref is None:
        return DONE
    if find_reference(app.journal, ref) is not None:
        yield from notice(app, title, [t("refund_this_batch")])
        return DONE
    mmdd = yield from ask_mmdd(app, title, t("enter_orig_date"), [t("refer_no") + ": " + ref])
    if mmdd is None:
        return DONE
    amount = yield from ask_amount(app, title, t("enter_refund_amount"))
    if amount is None:
        return DONE
    shown = [t("refer_no") + ": " + ref, online.amount_line(amount)]
    if qr:
        values = {4: amount_field(amount), 22: cup.QR_ENTRY, 25: "00", 37: ref, 61: message.field61(mmdd=mmdd)}
        record = online.new_record(app, "qr_refund", amount)
        record["oref"], record["odate"], record["nosig"] = ref, mmdd, 1
        yield from online.financial(app, values, record, title, t("refund_ok"), shown[:1])
        return DONE
    c = yield from card.read(app, title, shown)
    if c is None:
        return DONE
    values = card.fields(c)
    values[4] = amount_field(amount)
    values[37] = ref
    values[61] = message.field61(mmdd=mmdd)
    record = online.new_record(app, "refund", amount, c)
    record["oref"], record["odate"] = ref, mmdd
    yield from online.financial(app, values, record, title, t("refund_ok"), [card.masked(c)])
    yield from card.done(app, title, c)
    return DONE
