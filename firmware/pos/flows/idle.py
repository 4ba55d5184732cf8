"""The idle screen (欢迎使用, date and time) and every menu of pos.menu."""
from pos import clock, store
from pos.editors import ListEditor
from pos.engine import Show
from pos.results import TIMEOUT
from pos.flows import reversal
from pos.flows.common import GAVE_UP, ask, notice
from pos.i18n import t, tf
from pos.menu import LOW_BATTERY, MENUS, POWER_MIN
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
    if app.signed_in and app.update_due and _short_of(app, "update_auto") is None:
        return "update_due"
    wait = 30
    if app.signed_in:
        due = reversal.due_in(app, app.clock())
        if due == 0:
            return "reversal_due"
        if due is not None:
            wait = min(wait, due)
    lines = [app.settings["merchant_name"], clock.display(app.clock())]
    if app.battery is not None:
        lines.append(t("battery_low") if app.battery < LOW_BATTERY else _charge(app))
    if not app.signed_in:
        lines.append(t("unsigned"))
    if app.operator:
        lines.append(t("operator_no") + ": " + app.operator)
    if app.signal is not None:
        kind, bars = app.signal
        lines.append("%s %s %d/4" % ("WiFi" if kind == "wifi" else "4G", t("signal"), bars))
    key = yield Show(Screen(t("welcome"), lines), wait)
    return "enter" if key == "ENTER" else "refresh"


def _charge(app):
    return "%s %d%%" % (t("battery"), app.battery)


def _short_of(app, state):
    """The charge state needs to start, when the battery has less; else None."""
    need = POWER_MIN.get(state)
    if need is None or app.battery is None or app.battery >= need:
        return None
    return need


def menu(app, state):
    items = MENUS[state]
    while True:
        picked = yield from ask(app, t(_TITLES.get(state, "menu_" + state[:-5])), [],
                                ListEditor([t(label) for _, label in items]))
        if picked in GAVE_UP:
            return "cancel" if picked == "CANCEL" else "timeout"
        item, label = items[picked]
        need = _short_of(app, item)
        if need is None:
            return item
        # Printing or writing flash on a flat battery could stop halfway: charge first.
        key = yield from notice(app, t(label), [t("battery_low"), _charge(app), tf("battery_needs", need)])
        if key == TIMEOUT:
            return "timeout"
