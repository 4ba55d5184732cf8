"""预授权: hold an amount on a card; 预授权撤销 releases it; 预授权完成 takes at most the held amount.

A hotel's flow: at check-in 预授权 (amount, card, PIN → authorisation code on
the slip); at check-out 预授权完成 with that code and the check-in date for
the final bill (the host releases the rest of the hold), or 预授权撤销 to
release it all. The host finds the hold by authorisation code, date and card.
"""
from pos import message
from pos.flows import card, online
from pos.flows.common import ask_amount, ask_digits, ask_mmdd, supervisor
from pos.i18n import t
from pos.money import amount_field, format_fen

_TITLES = {"preauth": "preauth", "preauth_void": "preauth_void", "preauth_complete": "preauth_complete"}
_OK = {"preauth": "preauth_ok", "preauth_void": "preauth_void_ok", "preauth_complete": "preauth_complete_ok"}


def run(app, state):
    title = t(_TITLES[state])
    if state == "preauth_void" and not (yield from supervisor(app, title)):
        return "done"
    if not (yield from online.ready(app, title)):
        return "done"
    shown = []
    original = None
    if state != "preauth":
        auth = yield from ask_digits(app, title, t("enter_orig_auth"), 6, 6)
        if auth is None:
            return "done"
        mmdd = yield from ask_mmdd(app, title, t("enter_orig_date"), [t("auth_no") + ": " + auth])
        if mmdd is None:
            return "done"
        original = (auth, mmdd)
        shown.append(t("orig_auth_no") + ": " + auth)
    amount = yield from ask_amount(app, title, t("enter_preauth_amount") if state == "preauth_void"
                                   else t("enter_amount"), shown)
    if amount is None:
        return "done"
    shown.append(t("amount") + ": RMB " + format_fen(amount))
    got = yield from card.with_pin(app, title, shown)
    if got is None:
        return "done"
    c, values = got
    values[4] = amount_field(amount)
    record = online.new_record(app, state, amount, c)
    if original is not None:
        values[38] = original[0]
        values[61] = message.field61(mmdd=original[1])
        record["oauth"], record["odate"] = original
    fields = yield from online.transact(app, state, values, title, record)
    if fields is not None:
        yield from online.conclude(app, record, fields, t(_OK[state]), shown + [card.masked(c)])
    return "done"
