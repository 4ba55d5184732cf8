"""预授权: hold an amount on a card; 预授权撤销 releases it; 预授权完成 takes at most the held amount.

A hotel's flow: at check-in 预授权 (amount, card, PIN → authorisation code on
the slip); at check-out 预授权完成 with that code and the check-in date for
the final bill (the host releases the rest of the hold), or 预授权撤销 to
release it all. The host finds the hold by authorisation code, date and card.
"""
from pos import menu, message
from pos.flows import card, online
from pos.flows.common import ask_amount, ask_digits, ask_mmdd, supervisor
from pos.i18n import t
from pos.menu import DONE
from pos.money import amount_field


def run(app, state):
    title = t(menu.label(state))
    if state == "preauth_void" and not (yield from supervisor(app, title)):
        return DONE
    if not (yield from online.ready(app, title)):
        return DONE
    shown = []
    original = None
    if state != "preauth":
        auth = yield from ask_digits(app, title, t("enter_orig_auth"), 6, 6)
        if auth is None:
            return DONE
        mmdd = yield from ask_mmdd(app, title, t("enter_orig_date"), [t("auth_no") + ": " + auth])
        if mmdd is None:
            return DONE
        original = (auth, mmdd)
        shown.append(t("orig_auth_no") + ": " + auth)
    amount = yield from ask_amount(app, title, t("enter_preauth_amount") if state == "preauth_void"
                                   else t("enter_amount"), shown)
    if amount is None:
        return DONE
    got = yield from card.with_pin(app, title, shown + [online.amount_line(amount)],
                                   emv=("03", amount) if state == "preauth" else None)
    if got is None:
        return DONE
    c, values = got
    values[4] = amount_field(amount)
    record = online.new_record(app, state, amount, c)
    if original is not None:
        values[38] = original[0]
        values[61] = message.field61(mmdd=original[1])
        record["oauth"], record["odate"] = original
    yield from online.financial(app, values, record, title, t(state + "_ok"), shown + [card.masked(c)],
                                card_step=card.card_step(app, c, record))
    yield from card.done(app, title, c)
    return DONE
