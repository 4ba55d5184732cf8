"""余额查询: card → PIN → 0200 (310000, 60.1 01) → the balance on the screen; a slip only when the
cardholder asks for one (the 1 key: ENTER goes back, as everywhere else).

The balance is never journaled; the journal keeps that the inquiry was made.
"""
from pos.engine import Show
from pos.flows import card, online
from pos.flows.common import notice
from pos.i18n import t
from pos.menu import DONE
from pos.money import format_fen
from pos.screen import Screen

PRINT_KEY = "1"


def parse_balance(f54):
    """Fen of field 54 (account type n2, amount type n2, currency n3, sign C/D, amount n12), or None."""
    if type(f54) is not str or len(f54) != 20 or f54[7] not in "CD" or not f54[8:].isdigit():
        return None
    fen = int(f54[8:])
    return -fen if f54[7] == "D" else fen


def run(app, state):
    title = t("balance")
    if not (yield from online.ready(app, title)):
        return DONE
    got = yield from card.with_pin(app, title, [], emv=("31", 0))
    if got is None:
        return DONE
    c, values = got
    record = online.new_record(app, "balance", None, c)
    fields = yield from online.financial(app, values, record, title, card_step=card.card_step(app, c, record))
    yield from card.done(app, title, c)
    if fields is None:
        return DONE
    fen = parse_balance(fields.get(54))
    if fen is None:
        yield from notice(app, title, [t("bad_answer")])
        return DONE
    lines = [t("card_no") + ": " + record["pan"], t("balance_is"), "RMB " + format_fen(fen)]
    key = yield Show(Screen(title, lines, t("print_on_1")), app.settings["idle_timeout"])
    if key == PRINT_KEY:
        from pos import receipt
        from pos.flows.printing import print_lines, terminal_info
        yield from print_lines(app, receipt.balance_lines(terminal_info(app), record["pan"], fen, record),
                               title, lines[:1])
    return DONE
