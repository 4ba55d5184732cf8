"""还款: repay a credit card's bill from a debit card.

还款 → 请刷信用卡或输入卡号 (the card to repay: swiped, or its number keyed) →
the host shows its bank and current bill → the amount to repay (the bill
offered) → 请刷付款卡 (the debit card that pays) → PIN → 还款成功 and slips
with both cards masked. The host moves the money exactly once; a reversal
undoes both sides.
"""
from pos import tlv
from pos.flows import card, online
from pos.flows.common import ask_amount
from pos.i18n import t
from pos.money import amount_field, format_fen


def run(app, state):
    title = t("repay")
    if not (yield from online.ready(app, title)):
        return "done"
    credit = yield from card.read(app, title, [], t("swipe_credit_card"), keyed=True)
    if credit is None:
        return "done"
    credit_masked = card.masked(credit)
    bill = {}

    def check(fields):
        items = tlv.decode(fields.get(62) or b"")
        bill["bank"] = tlv.text(items, "BK")
        bill["due"] = tlv.amount(items, "DU")

    values = {62: tlv.encode((("CN", credit["pan"]),))}
    fields = yield from online.transact(app, "repay_inquiry", values, title, None, check)
    if fields is None or (yield from online.declined(app, None, fields, [t("credit_card") + ": " + credit_masked])):
        return "done"
    shown = [t("credit_card") + ": " + credit_masked, t("bank") + ": " + bill["bank"],
             t("bill_due") + ": RMB " + format_fen(bill["due"])]
    initial = bill["due"] if bill["due"] <= app.settings["max_amount_fen"] else 0
    amount = yield from ask_amount(app, title, t("enter_repay_amount"), shown, initial=initial)
    if amount is None:
        return "done"
    shown = shown[:2] + [t("amount") + ": RMB " + format_fen(amount)]
    got = yield from card.with_pin(app, title, shown, t("swipe_paying_card"),
                                   lambda c: "same_card_twice" if c["pan"] == credit["pan"] else None)
    if got is None:
        return "done"
    debit, values = got
    values[4] = amount_field(amount)
    values[62] = tlv.encode((("CN", credit["pan"]),))
    record = online.new_record(app, "repayment", amount, debit)
    record["cpan"], record["bk"] = credit_masked, bill["bank"]
    fields = yield from online.transact(app, "repayment", values, title, record)
    if fields is not None:
        yield from online.conclude(app, record, fields, t("repay_ok"), shown)
    return "done"
