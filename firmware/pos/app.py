"""The terminal application: the menu state machine running flows on the engine.

Whoever runs the terminal (device runtime, simulator, test) feeds it events
(`key`, `card`, `paper_loaded`, `tick`, `resolve`) and carries out the engine's
pending I/O effect. `clock()` returns local wall-clock seconds (Unix epoch).
"""
from binascii import unhexlify

from pos import store
from pos.engine import Engine
from pos.journal import Journal
from pos.menu import next_state
from pos.operators import Operators

DEFAULT_SETTINGS = {
    "lang": "zh",
    "copies": 2,
    "max_amount_fen": 9999999,   # 99,999.99
    "host_timeout": 60,
    "idle_timeout": 60,
    "journal_max_bytes": 256 * 1024,
}

DEFAULT_OPERATORS = {"00": "123456", "01": "0000"}


def _flow(state, app):
    """The generator for a menu state; flow modules load only when used."""
    if state == "boot":
        from pos.flows import boot
        return boot.run(app)
    if state == "login":
        from pos.flows import login
        return login.run(app)
    if state == "signin":
        from pos.flows import signin
        return signin.run(app)
    if state == "idle":
        from pos.flows import idle
        return idle.idle(app)
    if state == "menu":
        from pos.flows import idle
        return idle.main_menu(app)
    if state == "lang":
        from pos.flows import idle
        return idle.toggle_lang(app)
    if state == "sale":
        from pos.flows import sale
        return sale.run(app)
    raise ValueError(state)


class App:
    def __init__(self, state_dir, clock, provision=None):
        self.dir = state_dir
        self.clock = clock
        prov = store.load(state_dir, "provision")
        if prov is None:
            if provision is None:
                raise ValueError("terminal not provisioned")
            prov = provision
            store.save(state_dir, "provision", prov)
        self.terminal_id = prov["terminal_id"]
        self.merchant_id = prov["merchant_id"]
        self.tmk = unhexlify(prov["tmk"])
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings["merchant_name"] = prov.get("merchant_name", "")
        saved = store.load(state_dir, "settings")
        if saved:
            self.settings.update(saved)
        from pos import i18n
        i18n.set_lang(self.settings["lang"])
        self.journal = Journal(state_dir, self.settings["journal_max_bytes"])
        self.counters = store.Counters(state_dir)
        self.operators = Operators(state_dir)
        self.operators.ensure_defaults(DEFAULT_OPERATORS)
        self.engine = Engine(clock())
        self.operator = None
        self.pik = self.mak = None   # working keys, RAM only, set by sign-in
        self.state = None

    @property
    def signed_in(self):
        return self.mak is not None

    def drop_keys(self):
        self.pik = self.mak = None

    def save_settings(self):
        store.save(self.dir, "settings", self.settings)

    # Events in. Each returns after the engine is waiting again.

    def power_on(self):
        self._enter("boot")

    def key(self, k):
        self.engine.tick(self.clock())
        self.engine.key(k)
        self._settle()

    def card(self, event):
        self.engine.tick(self.clock())
        self.engine.card(event)
        self._settle()

    def paper_loaded(self):
        self.engine.paper_loaded()
        self._settle()

    def tick(self):
        self.engine.tick(self.clock())
        self._settle()

    def resolve(self, result):
        self.engine.tick(self.clock())
        self.engine.resolve(result)
        self._settle()

    @property
    def pending_io(self):
        return self.engine.pending_io

    @property
    def screen(self):
        return self.engine.screen

    def _enter(self, state):
        while True:
            self.state = state
            self.engine.now = self.clock()
            self.engine.start(_flow(state, self))
            if self.engine.busy:
                return
            state = next_state(state, self.engine.result)

    def _settle(self):
        if not self.engine.busy:
            self._enter(next_state(self.state, self.engine.result))
