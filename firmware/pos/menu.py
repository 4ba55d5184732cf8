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
from pos import const

# Events: what the flows return.
DONE = const("done")              # a leaf flow ran to its end, successful or not
AWAY = const("timeout")           # the merchant walked away: a wait timed out
BACK = const("cancel")            # CANCEL in a menu, or at the login
OK = const("ok")                  # boot finished; login, sign-in, the supervisor's password passed
FAIL = const("fail")              # sign-in failed; the supervisor's password refused
RETRY = const("retry")            # a wrong password at the login
RESET = const("reset")            # factory reset done: log in again
OPEN = const("enter")             # the idle screen: ENTER opens the main menu
CARD = const("card")              # the idle screen: a card was presented (消费 with it)
REFRESH = const("refresh")        # the idle screen: shown again (the clock moved on)
SETTLE_DUE = const("settle")      # the idle screen: a settlement cut short by a power cut resumes
PARAMS_DUE = const("params_due")  # ... the host asked for a parameter download
ICPARAMS_DUE = const("icparams_due")  # ... the host asked for the IC parameters (CA keys, AIDs)
UPDATE_DUE = const("update_due")  # ... the host asked for an application download
REVERSAL_DUE = const("reversal_due")  # ... a pending reversal's turn to go on its own
RECEIPTS_DUE = const("receipts_due")  # ... the e-receipts' turn to go to the host
QR_DUE = const("qr_due")          # ... a QR payment's order a power cut left open: the host is asked first

IDLE = const("idle")
LOW_BATTERY = const(10)           # the idle screen says 电量低 below it

# A row: state -> (flow module, label, power, menu items or None, then its exits as event, next
# state, event, next state, ...): one flat tuple.
MODULE = const(0)
LABEL = const(1)
POWER = const(2)
ITEMS = const(3)
EXITS = const(4)


class TransitionError(ValueError):
    pass


# Each row a constant tuple (a frozen build keeps it in flash); the menus' items in the
# order the merchant guides give them. What the idle screen starts on its own comes last.
STATES = {
    "boot": ("boot", None, 0, None, OK, "login"),
    "login": ("login", "login", 0, None, OK, "signin", RETRY, "login", BACK, "login"),
    "signin": ("signin", "menu_signin", 0, None, OK, "idle", FAIL, "idle"),
    "idle": ("idle", "welcome", 0, None,
        OPEN, "menu", CARD, "sale", REFRESH, "idle", SETTLE_DUE, "settle", PARAMS_DUE, "params_auto",
        ICPARAMS_DUE, "icparams_auto", UPDATE_DUE, "update_auto", REVERSAL_DUE, "reversal_auto",
        RECEIPTS_DUE, "receipts_auto", QR_DUE, "qr_resume"),
    "menu": ("idle", "main_menu", 0,
        ("sale", "qr_menu", "void", "refund", "balance", "preauth_menu", "bill", "repay", "query_menu", "reprint_menu", "settle",
         "signin", "admin"),
        BACK, "idle", AWAY, "idle"),
    "sale": ("sale", "menu_sale", 10, None, DONE, "idle", AWAY, "idle"),
    "qr_menu": ("idle", "menu_qr", 0, ("qr_scan", "qr_show", "qr_refund", "qr_static"), BACK, "menu", AWAY, "idle"),
    "qr_scan": ("qrpay", "menu_qr_scan", 10, None, DONE, "idle", AWAY, "idle"),
    "qr_show": ("qrpay", "menu_qr_show", 10, None, DONE, "idle", AWAY, "idle"),
    "qr_refund": ("refund", "menu_qr_refund", 10, None, DONE, "idle", AWAY, "idle"),
    "qr_static": ("qrpay", "menu_qr_static", 10, None, DONE, "qr_menu", AWAY, "idle"),
    "void": ("void", "menu_void", 10, None, DONE, "idle", AWAY, "idle"),
    "refund": ("refund", "menu_refund", 10, None, DONE, "idle", AWAY, "idle"),
    "balance": ("balance", "menu_balance", 0, None, DONE, "idle", AWAY, "idle"),
    "preauth_menu": ("idle", "menu_preauth", 0, ("preauth", "preauth_void", "preauth_complete"),
        BACK, "menu", AWAY, "idle"),
    "preauth": ("preauth", "menu_preauth_hold", 10, None, DONE, "idle", AWAY, "idle"),
    "preauth_void": ("preauth", "menu_preauth_void", 10, None, DONE, "idle", AWAY, "idle"),
    "preauth_complete": ("preauth", "menu_preauth_complete", 10, None, DONE, "idle", AWAY, "idle"),
    "bill": ("bill", "menu_bill", 10, None, DONE, "idle", AWAY, "idle"),
    "repay": ("repay", "menu_repay", 10, None, DONE, "idle", AWAY, "idle"),
    "query_menu": ("idle", "menu_query", 0, ("query_trace", "query_date", "query_amount", "totals"),
        BACK, "menu", AWAY, "idle"),
    "query_trace": ("query", "menu_query_trace", 0, None, DONE, "query_menu", AWAY, "idle"),
    "query_date": ("query", "menu_query_date", 0, None, DONE, "query_menu", AWAY, "idle"),
    "query_amount": ("query", "menu_query_amount", 0, None, DONE, "query_menu", AWAY, "idle"),
    "totals": ("query", "menu_totals", 0, None, DONE, "query_menu", AWAY, "idle"),
    "reprint_menu": ("idle", "menu_reprint", 0, ("reprint_last", "reprint_trace", "reprint_settle"),
        BACK, "menu", AWAY, "idle"),
    "reprint_last": ("reprint", "menu_reprint_last", 10, None, DONE, "idle", AWAY, "idle"),
    "reprint_trace": ("reprint", "menu_reprint_trace", 10, None, DONE, "idle", AWAY, "idle"),
    "reprint_settle": ("reprint", "menu_reprint_settle", 10, None, DONE, "idle", AWAY, "idle"),
    "settle": ("settle", "menu_settle", 10, None, DONE, "idle", AWAY, "idle"),
    "admin": ("admin", "menu_admin", 0, None, OK, "admin_menu", FAIL, "menu"),
    "admin_menu": ("idle", "menu_admin", 0,
        ("signoff", "operators_menu", "settings_menu", "selfcheck", "params", "icparams", "update", "backup",
         "restore", "factory_reset"),
        BACK, "menu", AWAY, "idle"),
    "signoff": ("signin", "menu_signoff", 0, None, DONE, "login", AWAY, "login"),
    "selfcheck": ("selfcheck", "menu_selfcheck", 0, None, DONE, "admin_menu", AWAY, "idle"),
    "params": ("params", "menu_params", 0, None, DONE, "admin_menu", AWAY, "idle"),
    "icparams": ("icparams", "menu_icparams", 0, None, DONE, "admin_menu", AWAY, "idle"),
    "update": ("update", "menu_update", 30, None, DONE, "admin_menu", AWAY, "idle"),
    "backup": ("backup", "menu_backup", 0, None, DONE, "admin_menu", AWAY, "idle"),
    "restore": ("backup", "menu_restore", 0, None, DONE, "admin_menu", AWAY, "idle"),
    "factory_reset": ("backup", "menu_factory_reset", 0, None, RESET, "login", DONE, "admin_menu", AWAY, "idle"),
    "operators_menu": ("idle", "menu_operators", 0, ("op_add", "op_delete", "op_password", "op_unlock", "op_list"),
        BACK, "admin_menu", AWAY, "idle"),
    "op_add": ("operators", "menu_op_add", 0, None, DONE, "operators_menu", AWAY, "idle"),
    "op_delete": ("operators", "menu_op_delete", 0, None, DONE, "operators_menu", AWAY, "idle"),
    "op_password": ("operators", "menu_op_password", 0, None, DONE, "operators_menu", AWAY, "idle"),
    "op_unlock": ("operators", "menu_op_unlock", 0, None, DONE, "operators_menu", AWAY, "idle"),
    "op_list": ("operators", "menu_op_list", 0, None, DONE, "operators_menu", AWAY, "idle"),
    "settings_menu": ("idle", "menu_settings", 0,
        ("set_merchant", "set_copies", "set_density", "set_max_amount", "set_comm", "set_wifi", "set_apn", "set_lang",
         "set_datetime", "set_keytone"),
        BACK, "admin_menu", AWAY, "idle"),
    "set_merchant": ("settings", "menu_set_merchant", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_copies": ("settings", "menu_set_copies", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_density": ("settings", "menu_set_density", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_max_amount": ("settings", "menu_set_max_amount", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_comm": ("settings", "menu_set_comm", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_wifi": ("settings", "menu_set_wifi", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_apn": ("settings", "menu_set_apn", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_lang": ("settings", "menu_set_lang", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_datetime": ("settings", "menu_set_datetime", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "set_keytone": ("settings", "menu_set_keytone", 0, None, DONE, "settings_menu", AWAY, "idle"),
    "params_auto": ("params", "menu_params", 0, None, DONE, "idle", AWAY, "idle"),
    "icparams_auto": ("icparams", "menu_icparams", 0, None, DONE, "idle", AWAY, "idle"),
    "update_auto": ("update", "menu_update", 30, None, DONE, "idle", AWAY, "idle"),
    "reversal_auto": ("reversal", None, 0, None, DONE, "idle", AWAY, "idle"),
    "receipts_auto": ("esync", None, 0, None, DONE, "idle", AWAY, "idle"),
    "qr_resume": ("qrpay", None, 0, None, DONE, "idle", AWAY, "idle"),
}


def row(state):
    r = STATES.get(state)
    if r is None:
        raise TransitionError("no state %r" % (state,))
    return r


def exits(state):
    """((event, next state), ...) of a state."""
    r = row(state)
    return tuple((r[i], r[i + 1]) for i in range(EXITS, len(r), 2))


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
    for i in range(EXITS, len(r), 2):
        if r[i] == event:
            return r[i + 1]
    raise TransitionError("no transition from %s on %r" % (state, event))
