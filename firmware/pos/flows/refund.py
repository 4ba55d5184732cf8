"""退货: refund part or all of a sale of an earlier batch, named by its reference number and date.

Supervisor's password → 原参考号 → 原交易日期 → 退货金额 → the card → 0220
(60.1 25, no PIN) → 退货成功 and a slip. The host knows the original and
refuses more than the original minus its earlier refunds; a sale of this
batch is voided instead (撤销), since it has not been settled yet.
"""
from pos import message
from pos.flows import card, online
from pos.flows.common import ask_amount, ask_digits, ask_mmdd, notice, supervisor
from pos.i18n import t
from pos.ledger import find_reference
from pos.money import amount_field, format_fen


def run(app, state):
    title = t("refund")
    if not (yield from supervisor(app, title)):
        return "done"
    if not (yield from online.ready(app, title)):
        return "done"
    ref = yield from ask_digits(app, title, t("enter_orig_ref"), 12, 12)
    if ref is None:
        return "done"
    if find_reference(app.journal, ref) is not None:
        yield from notice(app, title, [t("refund_this_batch")])
        return "done"
    mmdd = yield from ask_mmdd(app, title, t("enter_orig_date"), [t("refer_no") + ": " + ref])
    if mmdd is None:
        return "done"
    amount = yield from ask_amount(app, title, t("enter_refund_amount"))
    if amount is None:
        return "done"
    shown = [t("refer_no") + ": " + ref, t("amount") + ": RMB " + format_fen(amount)]
    c = yield from card.read(app, title, shown)
    if c is None:
        return "done"
    values = card.fields(c)
    values[4] = amount_field(amount)
    values[37] = ref
    values[61] = message.field61(mmdd=mmdd)
    record = online.new_record(app, "refund", amount, c)
    record["oref"], record["odate"] = ref, mmdd
    fields = yield from online.transact(app, "refund", values, title, record)
    if fields is not None:
        yield from online.conclude(app, record, fields, t("refund_ok"), shown[1:])
    return "done"
