"""The terminal's top-level state machine: one row per state.

Rules:
- Each state runs one flow: `run(app, state)` of the flow module its row
  names (pos.flows.<module>); what the flow returns is the event.
- A row's exits map each event it expects to the next state. A menu's row
  lists its items instead: picking one is the event of the item's own state,
  BACK goes to the menu's parent and AWAY (left alone) to the idle screen.
- An event its row does not name raises TransitionError, as h11 raises on a
  transition its table lacks: a flow returning what its state does not expect
  is a bug, never a quiet way back to the idle screen.
- A row's power is the battery charge in percent that its state needs to
  start from a menu or a card at the idle screen (what prints, and the update
  that writes flash for minutes); its label is the i18n key of its title and
  of its menu item.
"""

# Events: what the flows return.
DONE = "done"              # a leaf flow ran to its end, successful or not
AWAY = "timeout"           # the merchant walked away: a wait timed out
BACK = "cancel"            # CANCEL in a menu, or at the login
OK = "ok"                  # boot finished; login, sign-in, the supervisor's password passed
FAIL = "fail"              # sign-in failed; the supervisor's password refused
RETRY = "retry"            # a wrong password at the login
RESET = "reset"            # factory reset done: log in again
OPEN = "enter"             # the idle screen: ENTER opens the main menu
CARD = "card"              # the idle screen: a card was presented (消费 with it)
REFRESH = "refresh"        # the idle screen: shown again (the clock moved on)
SETTLE_DUE = "settle"      # the idle screen: a settlement cut short by a power cut resumes
PARAMS_DUE = "params_due"  # ... the host asked for a parameter download
UPDATE_DUE = "update_due"  # ... the host asked for an application download
REVERSAL_DUE = "reversal_due"  # ... a pending reversal's turn to go on its own

IDLE = "idle"
LOW_BATTERY = 10           # the idle screen says 电量低 below it

# Row fields.
MODULE = 0
LABEL = 1
POWER = 2
EXITS = 3
ITEMS = 4


class TransitionError(ValueError):
    pass


_EXITS = {}


def _leaf(module, label, then=IDLE, power=0):
    """A flow that returns DONE to go to `then`, or AWAY to go to the idle screen."""
    exits = _EXITS.get(then)
    if exits is None:
        exits = _EXITS[then] = ((DONE, then), (AWAY, IDLE))
    return (module, label, power, exits, None)


def _menu(label, parent, items):
    return ("idle", label, 0, ((BACK, parent), (AWAY, IDLE)), items)


STATES = {
    "boot": ("boot", None, 0, ((OK, "login"),), None),
    "login": ("login", "login", 0, ((OK, "signin"), (RETRY, "login"), (BACK, "login")), None),
    "signin": ("signin", "menu_signin", 0, ((OK, IDLE), (FAIL, IDLE)), None),
    IDLE: ("idle", "welcome", 0, ((OPEN, "menu"), (CARD, "sale"), (REFRESH, IDLE), (SETTLE_DUE, "settle"),
                                  (PARAMS_DUE, "params_auto"), (UPDATE_DUE, "update_auto"),
                                  (REVERSAL_DUE, "reversal_auto")), None),
    # Main menu, in order, as on a UnionPay terminal. A digit picks item N of the page.
    "menu": _menu("main_menu", IDLE, ("sale", "void", "refund", "balance", "preauth_menu", "bill", "repay",
                                      "query_menu", "reprint_menu", "settle", "signin", "admin")),
    "sale": _leaf("sale", "menu_sale", power=10),
    "void": _leaf("void", "menu_void", power=10),
    "refund": _leaf("refund", "menu_refund", power=10),
    "balance": _leaf("balance", "menu_balance"),
    "preauth_menu": _menu("menu_preauth", "menu", ("preauth", "preauth_void", "preauth_complete")),
    "preauth": _leaf("preauth", "menu_preauth_hold", power=10),
    "preauth_void": _leaf("preauth", "menu_preauth_void", power=10),
    "preauth_complete": _leaf("preauth", "menu_preauth_complete", power=10),
    "bill": _leaf("bill", "menu_bill", power=10),
    "repay": _leaf("repay", "menu_repay", power=10),
    "query_menu": _menu("menu_query", "menu", ("query_trace", "query_date", "query_amount", "totals")),
    "query_trace": _leaf("query", "menu_query_trace", "query_menu"),
    "query_date": _leaf("query", "menu_query_date", "query_menu"),
    "query_amount": _leaf("query", "menu_query_amount", "query_menu"),
    "totals": _leaf("query", "menu_totals", "query_menu"),
    "reprint_menu": _menu("menu_reprint", "menu", ("reprint_last", "reprint_trace", "reprint_settle")),
    "reprint_last": _leaf("reprint", "menu_reprint_last", power=10),
    "reprint_trace": _leaf("reprint", "menu_reprint_trace", power=10),
    "reprint_settle": _leaf("reprint", "menu_reprint_settle", power=10),
    "settle": _leaf("settle", "menu_settle", power=10),
    "admin": ("admin", "menu_admin", 0, ((OK, "admin_menu"), (FAIL, "menu")), None),
    "admin_menu": _menu("menu_admin", "menu", ("signoff", "operators_menu", "settings_menu", "selfcheck", "params",
                                               "update", "backup", "restore", "factory_reset")),
    "signoff": ("signin", "menu_signoff", 0, ((DONE, "login"), (AWAY, "login")), None),
    "selfcheck": _leaf("selfcheck", "menu_selfcheck", "admin_menu"),
    "params": _leaf("params", "menu_params", "admin_menu"),
    "update": _leaf("update", "menu_update", "admin_menu", power=30),
    "backup": _leaf("backup", "menu_backup", "admin_menu"),
    "restore": _leaf("backup", "menu_restore", "admin_menu"),
    "factory_reset": ("backup", "menu_factory_reset", 0, ((RESET, "login"), (DONE, "admin_menu"), (AWAY, IDLE)),
                      None),
    "operators_menu": _menu("menu_operators", "admin_menu", ("op_add", "op_delete", "op_password", "op_unlock",
                                                             "op_list")),
    "op_add": _leaf("operators", "menu_op_add", "operators_menu"),
    "op_delete": _leaf("operators", "menu_op_delete", "operators_menu"),
    "op_password": _leaf("operators", "menu_op_password", "operators_menu"),
    "op_unlock": _leaf("operators", "menu_op_unlock", "operators_menu"),
    "op_list": _leaf("operators", "menu_op_list", "operators_menu"),
    "settings_menu": _menu("menu_settings", "admin_menu", ("set_merchant", "set_copies", "set_density",
                                                           "set_max_amount", "set_comm", "set_wifi", "set_apn",
                                                           "set_lang", "set_datetime", "set_keytone")),
    "set_merchant": _leaf("settings", "menu_set_merchant", "settings_menu"),
    "set_copies": _leaf("settings", "menu_set_copies", "settings_menu"),
    "set_density": _leaf("settings", "menu_set_density", "settings_menu"),
    "set_max_amount": _leaf("settings", "menu_set_max_amount", "settings_menu"),
    "set_comm": _leaf("settings", "menu_set_comm", "settings_menu"),
    "set_wifi": _leaf("settings", "menu_set_wifi", "settings_menu"),
    "set_apn": _leaf("settings", "menu_set_apn", "settings_menu"),
    "set_lang": _leaf("settings", "menu_set_lang", "settings_menu"),
    "set_datetime": _leaf("settings", "menu_set_datetime", "settings_menu"),
    "set_keytone": _leaf("settings", "menu_set_keytone", "settings_menu"),
    # What the idle screen starts on its own.
    "params_auto": _leaf("params", "menu_params"),
    "update_auto": _leaf("update", "menu_update", power=30),
    "reversal_auto": _leaf("reversal", None),
}
_EXITS = None


def row(state):
    r = STATES.get(state)
    if r is None:
        raise TransitionError("no state %r" % (state,))
    return r


def label(state):
    """The i18n key of the state's title and menu item."""
    return row(state)[LABEL]


def power_needed(state):
    return row(state)[POWER]


def next_state(state, event):
    r = row(state)
    items = r[ITEMS]
    if items is not None and event in items:
        return event
    for ev, nxt in r[EXITS]:
        if ev == event:
            return nxt
    raise TransitionError("no transition from %s on %r" % (state, event))
