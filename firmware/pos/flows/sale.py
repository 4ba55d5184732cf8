"""消费: amount → card → PIN → 0200 (MAC) → 0210 (MAC verified) → journal → slips.

Read top to bottom it is the merchant guide: 请输入金额, 请刷卡, 请输入密码,
then 交易成功 with the authorisation code and the slips, or 交易失败 and why.
"""
from pos.flows import card, online
from pos.flows.common import ask_amount
from pos.i18n import t
from pos.money import amount_field, format_fen


def run(app, state):
    title = t("sale")
    if not (yield from online.ready(app, title)):
        return "done"
    amount = yield from ask_amount(app, title, t("enter_amount"))
    if amount is None:
        return "done"
    shown = [t("amount") + ": RMB " + format_fen(amount)]
    got = yield from card.with_pin(app, title, shown)
    if got is None:
        return "done"
    c, values = got
    values[4] = amount_field(amount)
    record = online.new_record(app, "sale", amount, c)
    fields = yield from online.transact(app, "sale", values, title, record)
    if fields is not None:
        yield from online.conclude(app, record, fields, t("approved"), shown + [card.masked(c)])
    return "done"
