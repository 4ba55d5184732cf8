"""The firmware's App with virtual peripherals: carries out the engine's I/O effects."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.join(ROOT, "firmware") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "firmware"))

from pos.app import App  # noqa: E402
from pos.engine import Connect, Disconnect, Exchange, Print, Probe, Restart  # noqa: E402

from tools.sim.devices import HostLink, Printer  # noqa: E402

# The Wi-Fi networks the simulated terminal finds in a scan, the strongest first.
SIM_NETWORKS = ("Shop-WiFi", "测试商户-5G", "ChinaNet-2F")


class SimTerminal:
    """One powered-on terminal. Dropping it without a word is a power loss."""

    def __init__(self, state_dir, clock, host_addr, provision, printer=None, on_print=None):
        self.clock = clock
        self.link = HostLink(host_addr)
        self.printer = printer or Printer()
        self.on_print = on_print
        self.sent = None          # the Exchange effect whose answer we wait for
        self.answer_wait = 10.0   # real seconds to wait for an answer before leaving it pending
        self.state_dir = state_dir
        self.app = App(state_dir, clock, provision, os.path.join(ROOT, "firmware", "assets"))
        self.app.power_on()
        self.pump()

    @property
    def screen(self):
        return self.app.screen

    def key(self, k):
        self.app.key(k)
        self.pump()

    def card(self, event):
        self.app.card(event)
        self.pump()

    def paper_loaded(self):
        self.app.paper_loaded()
        self.pump()

    def tick(self):
        self.app.tick()
        self.pump()

    def pump(self, wait=None):
        """Carry out pending I/O effects until the terminal waits for a person, time or the host."""
        while True:
            effect = self.app.pending_io
            if effect is None:
                if self.sent is not None:      # the engine gave up on the answer (timeout)
                    self.sent = None
                return
            if isinstance(effect, Connect):
                self.app.resolve(self.link.connect())
            elif isinstance(effect, Disconnect):
                self.link.close()
                self.app.resolve("OK")
            elif isinstance(effect, Print):
                result = self.printer.print_lines(effect.lines)
                if self.on_print:
                    self.on_print(self.printer.jobs[-1])
                self.app.resolve(result)
            elif isinstance(effect, Probe):
                self.app.resolve(self.probe(effect.parts))
            elif isinstance(effect, Exchange):
                if self.sent is not effect:
                    self.sent = effect
                    if not self.link.send(bytes(effect.frame)):
                        self.sent = None
                        self.app.resolve("LINK_BROKEN")
                        continue
                    answer = self.link.poll(self.answer_wait if wait is None else wait)
                else:
                    answer = self.link.poll(0 if wait is None else wait)
                if answer is None:
                    return
                self.sent = None
                self.app.resolve(answer)
            elif isinstance(effect, Restart):
                # A new App boots on the same flash (the simulator's own code keeps running). When
                # the App ran from a slot (<root>/slot_x/assets), bootsel picks the slot, as on a board.
                self.link.close()
                assets = self.app.assets_dir
                slot_dir = os.path.dirname(assets)
                if os.path.basename(slot_dir) in ("slot_a", "slot_b"):
                    import bootsel
                    root = os.path.dirname(slot_dir)
                    assets = os.path.join(root, bootsel.select(root), "assets")
                self.app = App(self.state_dir, self.clock, None, assets)
                self.app.power_on()
            else:
                raise RuntimeError("unknown effect %r" % effect)

    def probe(self, parts):
        """What the simulated drivers report for a self-check."""
        found = {}
        for part in parts:
            if part == "printer":
                out = self.printer.paper_lines == 0
                found[part] = (not out, "paper out" if out else "")
            elif part == "reader":
                found[part] = (True, "magstripe")
            elif part == "link":
                up = self.link.connect() == "OK"
                self.link.close()
                found[part] = (up, "%s:%d" % self.link.addr)
            elif part == "networks":
                found[part] = (True, list(SIM_NETWORKS))
            elif part == "flash":
                st = os.statvfs(self.state_dir)
                found[part] = (True, "%d KB free" % (st.f_bavail * st.f_frsize // 1024))
        return found

    def power_loss(self):
        self.link.close()
        self.app = None
