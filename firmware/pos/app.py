"""The terminal application: the menu state machine running flows on the engine.

Whoever runs the terminal (device runtime, simulator, test) feeds it events
(`key`, `card`, `card_removed`, `paper_loaded`, `tick`, `resolve`) and carries out the engine's
pending I/O effect. `clock()` returns local wall-clock seconds (Unix epoch).
"""
import sys
from binascii import unhexlify

from pos import store
from pos.engine import Engine
from pos.journal import Journal
from pos import menu
from pos.operators import Operators

DEFAULT_SETTINGS = {
    "lang": "zh",
    "copies": 2,
    "density": 2,                # printer heat: 1 light .. 3 dark
    "max_amount_fen": 9999999,   # 99,999.99
    "host_timeout": 60,
    "idle_timeout": 60,
    "host_addr": "127.0.0.1",
    "host_port": 5000,
    "link": "wifi",              # preferred link, the other one is the fallback: wifi | 4g
    "wifi_ssid": "",             # the shop's network, written at provisioning (no keypad for letters)
    "wifi_password": "",
    "apn": "",                   # the 4G access point name; "" lets the modem use its default
    "key_tone": 1,
    "clock_offset": 0,           # seconds added to the runtime's clock (set date and time)
    "journal_max_bytes": 256 * 1024,
    "outbox_max_bytes": 64 * 1024,   # the e-receipts waiting for the host (pos/outbox.py)
    "receipt_sync_s": 30,            # a new e-receipt goes to the host from the idle screen this much later
    "nosign_limit_fen": 100000,      # 免签: above it the cardholder signs (on the screen where there is one)
    "qr_base": "https://qr.acquirer.test/",  # the host's QR texts begin so: the static 收款码 is it + m/ + merchant id
}

# Settings of the link kept in the "link" document, not in "settings".
LINK_KEYS = ("wifi_ssid", "wifi_password", "apn")

DEFAULT_OPERATORS = {"00": "123456", "01": "0000"}

# The flow module of the idle screen and the menus: loaded with the App, never dropped.
_RESIDENT = "idle"


def _flow(state, app):
    """The generator of a state's flow; its module loads only when the flow starts."""
    name = menu.row(state)[menu.MODULE]
    module = __import__("pos.flows." + name, None, None, ("run",))
    return module.run(app, state)


class App:
    def __init__(self, state_dir, clock, provision=None, assets_dir="assets"):
        self.dir = state_dir
        self.assets_dir = assets_dir     # the font and code tables on flash
        self._clock = clock
        prov = store.load(state_dir, "provision")
        if prov is None:
            if provision is None:
                raise ValueError("terminal not provisioned")
            prov = provision
            store.save(state_dir, "provision", prov)
        self.terminal_id = prov["terminal_id"]
        self.merchant_id = prov["merchant_id"]
        self.tmk = unhexlify(prov["tmk"])
        self.provision = prov
        self._load_settings()
        self.counters = store.Counters(state_dir)
        self.engine = Engine(self.clock())
        self.operator = None
        self.pik = self.mak = None   # working keys, RAM only, set by sign-in
        self.params_due = False      # the host asked for a parameter download
        self.icparams_due = False    # the host asked for the IC parameters (CA keys, AIDs)
        self.update_due = False      # the host asked for an application download
        self.reversal_at = None      # when the idle screen sends a pending reversal on its own
        self.receipts_at = None      # when the idle screen sends the waiting e-receipts; None: none wait
        self.receipts_backoff = 0    # seconds the last failed try put off the next
        self.signature = None        # the cardholder's signature of the transaction being finished
        self.battery = None          # the battery's charge in percent, from the runtime; None: none
        self.signal = None           # ("wifi" or "4g", bars 0-4) of the link, from the runtime
        self.resume_settle = True    # an interrupted settlement resumes once after boot
        self.resume_qr = True        # a QR payment's order left open is asked about once after boot
        self.presented = None        # a card presented at the idle screen, for the sale it starts
        self.readers = ("icc", "nfc")  # the chip readers the board has (the runtime's), for the card prompt
        self.touch_area = None       # (x, y, width, height) of the screen the cardholder signs on; None: no panel
        self.qr_area = None          # (x, y, width, height) of the screen a QR code is shown in; None: not shown
        self.state = None
        __import__("pos.flows." + _RESIDENT)
        self._resident = tuple(sys.modules)     # what stays loaded: the App's modules and the idle screen's

    def _load_settings(self):
        """Settings (defaults, the provisioned merchant name and link, what is saved), journal and
        operators."""
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings["merchant_name"] = self.provision.get("merchant_name", "")
        for key in LINK_KEYS:                               # the link, as provisioned
            if key in self.provision:
                self.settings[key] = self.provision[key]
        for name in ("settings", "link"):
            saved = store.load(self.dir, name)
            if saved:
                self.settings.update(saved)
        from pos import i18n
        i18n.use(self.assets_dir, self.settings["lang"])
        self.journal = Journal(self.dir, self.settings["journal_max_bytes"])
        self.operators = Operators(self.dir)
        self.operators.ensure_defaults(DEFAULT_OPERATORS)

    def reset_settings(self):
        """After a factory reset: the defaults again, nobody logged in, no keys."""
        self._load_settings()
        self.operator = None
        self.drop_keys()

    def clock(self):
        """Local wall-clock seconds: the runtime's clock as the merchant set it."""
        return self._clock() + self.settings["clock_offset"]

    @property
    def signed_in(self):
        return self.mak is not None

    def drop_keys(self):
        self.pik = self.mak = None

    def save_settings(self):
        """The settings, and the link's in a document of their own: a backup (flows/backup.py)
        never takes the shop's Wi-Fi password to the host."""
        settings, link = {}, {}
        for key in self.settings:
            (link if key in LINK_KEYS else settings)[key] = self.settings[key]
        store.save(self.dir, "settings", settings)
        store.save(self.dir, "link", link)

    def abort(self):
        """Drop the running flow (the runtime ran out of memory in it) and start again at the idle
        screen, or the login screen when nobody is logged in. Its journal records stand; a request it
        had sent is undone by its saved reversal."""
        self.engine.stop()
        self._enter(menu.IDLE if self.operator else "login")

    # Events in. Each returns after the engine is waiting again.

    def power_on(self):
        self._enter("boot")

    def key(self, k):
        self.engine.tick(self.clock())
        self.engine.key(k)
        self._follow()

    def card(self, event):
        self.engine.tick(self.clock())
        self.engine.card(event)
        self._follow()

    def scan(self, event):
        """What the scanner read: ("scan", text) or ("scan_error", why)."""
        self.engine.tick(self.clock())
        self.engine.scan(event)
        self._follow()

    def paper_loaded(self):
        self.engine.paper_loaded()
        self._follow()

    def card_removed(self):
        self.engine.card_removed()
        self._follow()

    def touch(self, point):
        """A touch sample of the signing area ((x, y) in it), or None when the finger left."""
        self.engine.tick(self.clock())
        self.engine.touch(point)
        self._follow()

    def tick(self):
        self.engine.tick(self.clock())
        self._follow()

    def resolve(self, result):
        self.engine.tick(self.clock())
        self.engine.resolve(result)
        self._follow()

    @property
    def pending_io(self):
        return self.engine.pending_io

    @property
    def wants_card(self):
        """True while a card presented would be taken: the shell polls the chip slot and the field then."""
        return self.engine.wants_card

    @property
    def wants_scan(self):
        """True while a payment code scanned would be taken: the shell triggers the scanner then."""
        return self.engine.wants_scan

    @property
    def wants_removal(self):
        """True while a flow waits for the chip card to leave the slot: the shell polls it then."""
        return self.engine.wants_removal

    @property
    def signing(self):
        """The signature pad while the cardholder signs (the runtime feeds it touches and draws its
        ink); else None."""
        return self.engine.signing

    @property
    def wants_paper(self):
        """True while a flow waits for the printer to have paper again."""
        return self.engine.wants_paper

    @property
    def screen(self):
        return self.engine.screen

    def _unload(self):
        """Drop every application module a finished flow loaded (its own, and the wire, crypto and
        slips a transaction loads), so the idle screen holds only what it needs; the next flow
        imports them again from flash."""
        for name in list(sys.modules):
            if name.startswith("pos.") and name not in self._resident:
                del sys.modules[name]
                package, _, child = name.rpartition(".")
                if package in sys.modules:     # the package keeps its submodule as an attribute too
                    delattr(sys.modules[package], child)

    def _enter(self, state):
        while True:
            if self.state is not None and menu.row(self.state)[menu.MODULE] != _RESIDENT:
                self._unload()
            self.state = state
            self.engine.now = self.clock()
            self.engine.start(_flow(state, self))
            if self.engine.busy:
                return
            state = menu.next_state(state, self.engine.result)

    def _follow(self):
        """Into the next state once the flow has returned (its result is the event)."""
        if not self.engine.busy:
            self._enter(menu.next_state(self.state, self.engine.result))
