"""消费: amount → card → PIN → 0200 (MAC) → 0210 (MAC verified) → journal → slips.

Read top to bottom it is the merchant guide: 请输入金额, 请插卡或刷卡, 请输入密码,
then 交易成功 with the authorisation code and the slips, or 交易失败 and why; a chip
card's second GENERATE AC has the last word on the host's approval, and 请拔卡 ends it.
A card swiped at the idle screen starts it, and is the card it takes.
"""
from pos.flows import card, online
from pos.flows.common import ask_amount
from pos.i18n import t
from pos.menu import DONE
from pos.money import amount_field


def run(app, state):
    title = t("sale")
    if not (yield from online.ready(app, title)):
        app.presented = None
        return DONE
    amount = yield from ask_amount(app, title, t("enter_amount"), card.presented_lines(app))
    if amount is None:
        app.presented = None
        return DONE
    got = yield from card.with_pin(app, title, [online.amount_line(amount)], emv=("00", amount))
    if got is None:
        return DONE
    c, values = got
    values[4] = amount_field(amount)
    record = online.new_record(app, "sale", amount, c)
    yield from online.financial(app, values, record, title, t("approved"), [card.masked(c)],
                                card_step=card.card_step(app, c, record))
    yield from card.done(app, title, c)
    return DONE
