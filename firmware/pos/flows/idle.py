"""The idle screen (欢迎使用, date and time) and every menu of pos.menu."""
from pos import clock, store
from pos.editors import ListEditor
from pos.engine import Show
from pos.flows import reversal
from pos.flows.common import GAVE_UP, ask
from pos.i18n import t
from pos.menu import MENUS
from pos.screen import Screen

_TITLES = {"menu": "main_menu"}


def run(app, state):
    if state == "idle":
        return (yield from idle(app))
    return (yield from menu(app, state))


def idle(app):
    # Work a power cut or the host left unfinished comes before the merchant's next step (once).
    if app.signed_in and app.resume_settle:
        app.resume_settle = False
        if store.load(app.dir, "settle") is not None:
            return "settle"
    if app.signed_in and app.params_due:
        return "params_due"
    if app.signed_in and app.update_due:
        return "update_due"
    wait = 30
    if app.signed_in:
        due = reversal.due_in(app, app.clock())
        if due == 0:
            return "reversal_due"
        if due is not None:
            wait = min(wait, due)
    lines = [app.settings["merchant_name"], clock.display(app.clock())]
    if not app.signed_in:
        lines.append(t("unsigned"))
    if app.operator:
        lines.append(t("operator_no") + ": " + app.operator)
    key = yield Show(Screen(t("welcome"), lines), wait)
    return "enter" if key == "ENTER" else "refresh"


def menu(app, state):
    items = MENUS[state]
    picked = yield from ask(app, t(_TITLES.get(state, "menu_" + state[:-5])), [],
                            ListEditor([t(label) for _, label in items]))
    if picked in GAVE_UP:
        return "cancel" if picked == "CANCEL" else "timeout"
    return items[picked][0]
