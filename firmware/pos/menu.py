"""The terminal's top-level state machine, as tables.

Each state runs one flow (a generator, see pos.flows); the flow's return
value is the event, and (state, event) gives the next state:

- TRANSITIONS: (state, event) -> next state; (state, None) is the state's
  default for any other event.
- MENUS: a menu state lists its items as (event, i18n key); picking an item
  is that event, and the next state is the item's own state. CANCEL in a
  menu goes to its PARENT; a menu left alone times out to the idle screen.
- EXITS: a leaf flow (a transaction, a query, a setting) returns "done" when
  it ran to its end, successful or not, and anything else ("timeout") when
  the merchant walked away; EXITS gives (state after done, state otherwise).
"""

TRANSITIONS = {
    ("boot", "ok"): "login",
    ("login", "ok"): "signin",
    ("login", None): "login",
    ("signin", None): "idle",
    ("idle", "enter"): "menu",
    ("idle", "settle"): "settle",
    ("idle", "params_due"): "params_auto",
    ("idle", "update_due"): "update_auto",
    ("idle", "reversal_due"): "reversal_auto",
    ("idle", None): "idle",
    ("admin", "ok"): "admin_menu",
    ("factory_reset", "reset"): "login",
    ("admin", None): "menu",
}

# Main menu, in order, as on a UnionPay terminal. A digit picks item N of the page.
MENUS = {
    "menu": (
        ("sale", "menu_sale"),
        ("void", "menu_void"),
        ("refund", "menu_refund"),
        ("balance", "menu_balance"),
        ("preauth_menu", "menu_preauth"),
        ("bill", "menu_bill"),
        ("repay", "menu_repay"),
        ("query_menu", "menu_query"),
        ("reprint_menu", "menu_reprint"),
        ("settle", "menu_settle"),
        ("signin", "menu_signin"),
        ("admin", "menu_admin"),
    ),
    "preauth_menu": (
        ("preauth", "menu_preauth_hold"),
        ("preauth_void", "menu_preauth_void"),
        ("preauth_complete", "menu_preauth_complete"),
    ),
    "query_menu": (
        ("query_trace", "menu_query_trace"),
        ("query_date", "menu_query_date"),
        ("query_amount", "menu_query_amount"),
        ("totals", "menu_totals"),
    ),
    "reprint_menu": (
        ("reprint_last", "menu_reprint_last"),
        ("reprint_trace", "menu_reprint_trace"),
        ("reprint_settle", "menu_reprint_settle"),
    ),
    "admin_menu": (
        ("signoff", "menu_signoff"),
        ("operators_menu", "menu_operators"),
        ("settings_menu", "menu_settings"),
        ("selfcheck", "menu_selfcheck"),
        ("params", "menu_params"),
        ("update", "menu_update"),
        ("backup", "menu_backup"),
        ("restore", "menu_restore"),
        ("factory_reset", "menu_factory_reset"),
    ),
    "operators_menu": (
        ("op_add", "menu_op_add"),
        ("op_delete", "menu_op_delete"),
        ("op_password", "menu_op_password"),
        ("op_unlock", "menu_op_unlock"),
        ("op_list", "menu_op_list"),
    ),
    "settings_menu": (
        ("set_merchant", "menu_set_merchant"),
        ("set_copies", "menu_set_copies"),
        ("set_density", "menu_set_density"),
        ("set_max_amount", "menu_set_max_amount"),
        ("set_comm", "menu_set_comm"),
        ("set_wifi", "menu_set_wifi"),
        ("set_apn", "menu_set_apn"),
        ("set_lang", "menu_set_lang"),
        ("set_datetime", "menu_set_datetime"),
        ("set_keytone", "menu_set_keytone"),
    ),
}

PARENT = {
    "menu": "idle",
    "preauth_menu": "menu",
    "query_menu": "menu",
    "reprint_menu": "menu",
    "admin_menu": "menu",
    "operators_menu": "admin_menu",
    "settings_menu": "admin_menu",
}

_TO_IDLE = ("idle", "idle")
EXITS = {
    "sale": _TO_IDLE, "void": _TO_IDLE, "refund": _TO_IDLE, "balance": _TO_IDLE,
    "preauth": _TO_IDLE, "preauth_void": _TO_IDLE, "preauth_complete": _TO_IDLE,
    "bill": _TO_IDLE, "repay": _TO_IDLE, "settle": _TO_IDLE,
    "query_trace": ("query_menu", "idle"), "query_date": ("query_menu", "idle"),
    "query_amount": ("query_menu", "idle"), "totals": ("query_menu", "idle"),
    "reprint_last": _TO_IDLE, "reprint_trace": _TO_IDLE, "reprint_settle": _TO_IDLE,
    "signoff": ("login", "login"), "selfcheck": ("admin_menu", "idle"), "params": ("admin_menu", "idle"),
    "params_auto": _TO_IDLE, "reversal_auto": _TO_IDLE,
    "update": ("admin_menu", "idle"), "update_auto": _TO_IDLE,
    "backup": ("admin_menu", "idle"), "restore": ("admin_menu", "idle"), "factory_reset": ("admin_menu", "idle"),
    "op_add": ("operators_menu", "idle"), "op_delete": ("operators_menu", "idle"),
    "op_password": ("operators_menu", "idle"), "op_unlock": ("operators_menu", "idle"),
    "op_list": ("operators_menu", "idle"),
    "set_merchant": ("settings_menu", "idle"), "set_copies": ("settings_menu", "idle"),
    "set_density": ("settings_menu", "idle"), "set_max_amount": ("settings_menu", "idle"),
    "set_comm": ("settings_menu", "idle"), "set_wifi": ("settings_menu", "idle"),
    "set_apn": ("settings_menu", "idle"), "set_lang": ("settings_menu", "idle"),
    "set_datetime": ("settings_menu", "idle"), "set_keytone": ("settings_menu", "idle"),
}

# The charge, in percent of the battery, a state needs to start from a menu: those that print, and
# the update, which writes flash for minutes. A terminal without a battery (app.battery None) is
# never held back; one below its threshold says so and stays in the menu.
POWER_MIN = {
    "sale": 10, "void": 10, "refund": 10, "preauth": 10, "preauth_void": 10, "preauth_complete": 10,
    "bill": 10, "repay": 10, "settle": 10, "reprint_last": 10, "reprint_trace": 10, "reprint_settle": 10,
    "update": 30, "update_auto": 30,
}
LOW_BATTERY = 10            # the idle screen says 电量低 below it

# The flow module (pos.flows.<name>) whose run(app, state) runs each state.
FLOW_MODULES = {
    "boot": "boot", "login": "login", "signin": "signin", "signoff": "signin", "idle": "idle",
    "admin": "admin", "sale": "sale", "void": "void", "refund": "refund", "balance": "balance",
    "preauth": "preauth", "preauth_void": "preauth", "preauth_complete": "preauth",
    "bill": "bill", "repay": "repay", "settle": "settle",
    "query_trace": "query", "query_date": "query", "query_amount": "query", "totals": "query",
    "reprint_last": "reprint", "reprint_trace": "reprint", "reprint_settle": "reprint",
    "selfcheck": "selfcheck", "params": "params", "params_auto": "params", "reversal_auto": "reversal",
    "update": "update", "update_auto": "update",
    "backup": "backup", "restore": "backup", "factory_reset": "backup",
    "op_add": "operators", "op_delete": "operators", "op_password": "operators", "op_unlock": "operators",
    "op_list": "operators",
    "set_merchant": "settings", "set_copies": "settings", "set_density": "settings",
    "set_max_amount": "settings", "set_comm": "settings", "set_wifi": "settings", "set_apn": "settings",
    "set_lang": "settings",
    "set_datetime": "settings", "set_keytone": "settings",
}


def module_of(state):
    """The flow module name for a state (menus are run by pos.flows.idle)."""
    if state in MENUS:
        return "idle"
    name = FLOW_MODULES.get(state)
    if name is None:
        raise ValueError("no flow for state %s" % state)
    return name


def next_state(state, event):
    nxt = TRANSITIONS.get((state, event))
    if nxt is not None:
        return nxt
    items = MENUS.get(state)
    if items is not None:
        for item, _label in items:
            if item == event:
                return item
        return PARENT[state] if event == "cancel" else "idle"
    exits = EXITS.get(state)
    if exits is not None:
        return exits[0] if event == "done" else exits[1]
    nxt = TRANSITIONS.get((state, None))
    if nxt is None:
        raise ValueError("no transition from %s on %s" % (state, event))
    return nxt
