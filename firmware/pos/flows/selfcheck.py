"""自检: each peripheral through its driver (printer, card reader, link, flash, battery) and the journal's integrity.

The runtime answers the Probe effect from its drivers; the results are shown
and, on ENTER, printed.
"""
from pos.engine import Probe, Show
from pos.i18n import t, tf
from pos.menu import AWAY, DONE
from pos.results import TIMEOUT
from pos.screen import Screen

PARTS = ("printer", "reader", "link", "flash", "battery")
OPTIONAL = ("battery",)       # shown only when the terminal has one (the runtime answers for it)


def results(app, probed):
    """[(name, ok, detail)] for the screen and the slip: the parts probed, then the journal."""
    out = []
    for part in PARTS:
        answer = probed.get(part) if isinstance(probed, dict) else None
        if answer is None and part in OPTIONAL:
            continue
        if not isinstance(answer, tuple) or len(answer) != 2:
            answer = (False, "n/a")
        out.append((t("part_" + part), bool(answer[0]), str(answer[1])))
    count, damaged = app.journal.check()
    out.append((t("part_journal"), damaged == 0, tf("journal_state", count, damaged)))
    return out


def run(app, state):
    title = t("menu_selfcheck")
    probed = yield Probe(PARTS, Screen(title, [t("checking")]))
    found = results(app, probed)
    lines = ["%s: %s %s" % (name, t("ok") if ok else t("fault"), detail) for name, ok, detail in found]
    key = yield Show(Screen(title, lines, t("enter_to_print")), app.settings["idle_timeout"])
    if key == "ENTER":
        from pos import receipt
        from pos.flows.printing import print_lines, terminal_info
        yield from print_lines(app, receipt.selfcheck_lines(terminal_info(app), found), title, [])
    elif key == TIMEOUT:
        return AWAY
    return DONE
