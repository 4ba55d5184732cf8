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
from pos.menu import DONE
from pos.money import amount_field, format_fen


def run(app, state):
    title = t("repay")
    if not (yield from online.ready(app, title)):
        return DONE
    credit = yield from card.read(app, title, [], t("swipe_credit_card"), keyed=True)
    if credit is None:
        return DONE
    yield from card.done(app, title, credit)
    credit_masked = card.masked(credit)
    bill = {}

    def check(fields):
        items = tlv.decode(fields.get(62) or b"")
        bill["bank"] = tlv.text(items, "BK")
        bill["due"] = tlv.amount(items, "DU")

    values = {62: tlv.encode((("CN", credit["pan"]),))}
    if (yield from online.inquire(app, "repay_inquiry", values, title, check,
                                  [t("credit_card") + ": " + credit_masked])) is None:
        return DONE
    shown = [t("credit_card") + ": " + credit_masked, t("bank") + ": " + bill["bank"],
             t("bill_due") + ": RMB " + format_fen(bill["due"])]
    initial = bill["due"] if bill["due"] <= app.settings["max_amount_fen"] else 0
    amount = yield from ask_amount(app, title, t("enter_repay_amount"), shown, initial=initial)
    if amount is None:
        return DONE
    shown = shown[:2]
    got = yield from card.with_pin(app, title, shown + [online.amount_line(amount)], t("swipe_paying_card"),
                                   lambda c: "same_card_twice" if c["pan"] == credit["pan"] else None, ("00", amount))
    if got is None:
        return DONE
    debit, values = got
    values[4] = amount_field(amount)
    values[62] = tlv.encode((("CN", credit["pan"]),))
    record = online.new_record(app, "repayment", amount, debit)
    record["cpan"], record["bk"] = credit_masked, bill["bank"]
    yield from online.financial(app, values, record, title, t("repay_ok"), shown,
                                card_step=card.card_step(app, debit, record))
    yield from card.done(app, title, debit)
    return DONE
