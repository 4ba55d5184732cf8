"""The idle screen (欢迎使用, date and time) and every menu of pos.menu.

At the idle screen ENTER opens the main menu and a card presented starts 消费
with that card, as on a 拉卡拉 terminal; work that a power cut or the host
left for the terminal (a settlement to finish, downloads, a pending reversal)
goes first.
"""
from pos import clock, menu, store
from pos.engine import Show
from pos.flows import reversal
from pos.flows.common import ask, notice
from pos.i18n import t, tf
from pos.results import CANCEL, GAVE_UP, TIMEOUT
from pos.screen import Screen


def run(app, state):
    if state == menu.IDLE:
        return (yield from idle(app))
    return (yield from pick(app, state))


def idle(app):
    # Work a power cut or the host left unfinished comes before the merchant's next step (once).
    if app.signed_in and app.resume_qr:
        app.resume_qr = False
        doc = reversal.pending(app)
        if doc is not None and doc["record"]["k"] in reversal.QR_ORDERS:
            return menu.QR_DUE
    if app.signed_in and app.resume_settle:
        app.resume_settle = False
        if store.load(app.dir, "settle") is not None:
            return menu.SETTLE_DUE
    if app.signed_in and app.params_due:
        return menu.PARAMS_DUE
    if app.signed_in and app.icparams_due:
        return menu.ICPARAMS_DUE
    if app.signed_in and app.update_due and _short_of(app, "update_auto") is None:
        return menu.UPDATE_DUE
    wait = 30
    if app.signed_in:
        due = reversal.schedule_auto(app, app.clock())
        if due == 0:
            return menu.REVERSAL_DUE
        if due is not None:
            wait = min(wait, due)
        at = app.receipts_at
        if at is not None:
            if app.clock() >= at:
                return menu.RECEIPTS_DUE
            wait = min(wait, at - app.clock())
    lines = [app.settings["merchant_name"], clock.display(app.clock())]
    if app.battery is not None:
        lines.append(t("battery_low") if app.battery < menu.LOW_BATTERY else _charge(app))
    if not app.signed_in:
        lines.append(t("unsigned"))
    if app.operator:
        lines.append(t("operator_no") + ": " + app.operator)
    if app.signal is not None:
        kind, bars = app.signal
        lines.append("%s %s %d/4" % ("WiFi" if kind == "wifi" else "4G", t("signal"), bars))
    got = yield Show(Screen(t("welcome"), lines, t("idle_hint")), wait, cards=True)
    if type(got) is tuple:
        if (yield from _too_flat(app, "sale")) is not None:
            return menu.REFRESH
        app.presented = got
        return menu.CARD
    return menu.OPEN if got == "ENTER" else menu.REFRESH


def _charge(app):
    return "%s %d%%" % (t("battery"), app.battery)


def _short_of(app, state):
    """The charge state needs to start, when the battery has less; else None."""
    need = menu.power_needed(state)
    if not need or app.battery is None or app.battery >= need:
        return None
    return need


def _too_flat(app, state):
    """None when the battery can carry the state through; else, once the merchant was told (printing
    or writing flash on a flat battery could stop halfway), the key that ended the notice."""
    need = _short_of(app, state)
    if need is None:
        return None
    return (yield from notice(app, t(menu.label(state)), [t("battery_low"), _charge(app), tf("battery_needs", need)]))


def pick(app, state):
    """A menu: the item picked (its state), BACK on CANCEL, AWAY when left alone."""
    items = menu.row(state)[menu.ITEMS]
    while True:
        from pos.editors import ListEditor     # not at the idle screen: its heap goes with the flows'
        picked = yield from ask(app, t(menu.label(state)), [], ListEditor([t(menu.label(i)) for i in items]))
        if picked in GAVE_UP:
            return menu.BACK if picked == CANCEL else menu.AWAY
        item = items[picked]
        refused = yield from _too_flat(app, item)
        if refused is None:
            return item
        if refused == TIMEOUT:
            return menu.AWAY
