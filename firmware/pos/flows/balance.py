"""余额查询: card → PIN → 0200 (310000, 60.1 01) → the balance on the screen, printed only if asked.

The balance is never journaled; the journal keeps that the inquiry was made.
"""
from pos.engine import Show
from pos.flows import card, online
from pos.flows.common import notice
from pos.i18n import t
from pos.money import format_fen
from pos.screen import Screen


def parse_balance(f54):
    """Fen of field 54 (account type n2, amount type n2, currency n3, sign C/D, amount n12), or None."""
    if type(f54) is not str or len(f54) != 20 or f54[7] not in "CD" or not f54[8:].isdigit():
        return None
    fen = int(f54[8:])
    return -fen if f54[7] == "D" else fen


def run(app, state):
    title = t("balance")
    if not (yield from online.ready(app, title)):
        return "done"
    got = yield from card.with_pin(app, title, [])
    if got is None:
        return "done"
    c, values = got
    masked = card.masked(c)
    record = online.new_record(app, "balance", None, c)
    fields = yield from online.transact(app, "balance", values, title, record)
    if fields is None or (yield from online.declined(app, record, fields)):
        return "done"
    online.journal(app, record)
    fen = parse_balance(fields.get(54))
    if fen is None:
        yield from notice(app, title, [t("bad_answer")])
        return "done"
    lines = [t("card_no") + ": " + masked, t("balance_is"), "RMB " + format_fen(fen)]
    key = yield Show(Screen(title, lines, t("enter_to_print")), app.settings["idle_timeout"])
    if key == "ENTER":
        from pos import receipt
        from pos.flows.printing import print_lines, terminal_info
        yield from print_lines(app, receipt.balance_lines(terminal_info(app), masked, fen, record),
                               title, lines[:1])
    return "done"
