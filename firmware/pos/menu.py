"""The terminal's top-level state machine, as a table.

Each state runs one flow (a generator, see pos.flows); the flow's return value
is the event. (state, event) -> next state; (state, None) is the state's
default for any other event. The main menu's items are the menu state's events.
"""

TRANSITIONS = {
    ("boot", "ok"): "login",
    ("login", "ok"): "signin",
    ("login", None): "login",
    ("signin", None): "idle",
    ("idle", "enter"): "menu",
    ("idle", None): "idle",
    ("menu", "sale"): "sale",
    ("menu", "signin"): "signin",
    ("menu", "lang"): "lang",
    ("menu", None): "idle",
    ("sale", None): "idle",
    ("lang", None): "menu",
}

# The main menu, in order: (event, i18n key). A digit key picks item N.
MAIN_MENU = (
    ("sale", "menu_sale"),
    ("signin", "menu_signin"),
    ("lang", "menu_lang"),
)


def next_state(state, event):
    nxt = TRANSITIONS.get((state, event))
    if nxt is None:
        nxt = TRANSITIONS.get((state, None))
    if nxt is None:
        raise ValueError("no transition from %s on %s" % (state, event))
    return nxt
