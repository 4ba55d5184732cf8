"""The simulated terminal: the device's own start, shell, drivers and link (firmware/runtime/) on
CPython, over the parts' fakes (drivers/fakes/).

The runtime's board builder makes the magstripe reader over its decoder's fake UART, the chip
slot's reader and the contactless reader over their chips' fakes on the fake I2C bus (the virtual
chip cards of drivers/fakes/chipcard.py in them), the Wi-Fi over the fake WLAN with CPython's
socket and select, the RTC over the simulator's clock, and the payment-code scanner over its scan
engine's fake behind the I2C-UART bridge's. The simulator makes three parts itself, each the
device's driver or its fake: the LCD driver over a model of the panel's pixels (FakeGlass: its
init on SPI would block 240 ms a boot, and the customer's phone reads the QR code on it), the
keypad's fake (the matrix's debounce takes 40 ms of real time a key) and the printer driver paced
on a clock that runs 1000 times real time (at the board's rate a slip takes seconds). The shop's
network leads every connection to the acquirer, whatever address the terminal's settings name.
"""
import asyncio
import datetime
import functools
import os
import select
import selectors
import socket
import time

from tools.sim import ROOT, cards
from tools.sim.render import whole_lines

from drivers.fakes.board import Board, FakeMachine, FakeNetwork
from drivers.fakes.keypad import FakeKeypad
from drivers.fakes.lcd import FakeGlass
from drivers.fakes.wifi import FakeWlan
from drivers.lcd import ColorLcd
from drivers.printer import Printer
from pos import escpos, store
from pos.engine import Apdu, Exchange
from pos.font import HEIGHT
from pos.results import OK
from runtime import device

# The Wi-Fi networks in reach, {name: (password, RSSI)}, and the one the terminal is provisioned for.
NETWORKS = {"Shop-WiFi": ("88888888", -60), "测试商户-5G": ("56781234", -70), "ChinaNet-2F": ("12345678", -82)}
SHOP_WIFI = "Shop-WiFi"

FAST = 100      # the headless event loop's time against real time
PUT_WAIT = 2.0  # real seconds settle() waits at most for the shell to see a card put in or taken out

# The raster bytes of one slip line of text: `paper low N` ends the roll N such lines on.
LINE_BYTES = len(escpos.raster_header(escpos.WIDTH_DOTS // 8, HEIGHT)) + escpos.WIDTH_DOTS // 8 * HEIGHT \
    + len(escpos.feed(escpos.LINE_GAP))


class SimBoard(Board):
    """The test handheld's magstripe, its chip slot, contactless field and scan engine (the readers'
    chips and the engine's bridge on one I2C bus as boards/esp32s3_handheld.py wires them; the slot
    is seen by the coprocessor's STATUS, there is no detect pin), Wi-Fi and RTC (no network time:
    the simulator's clock is the time); its LCD, keypad and printer are made by the simulator."""
    PARTS = {name: Board.PARTS[name] for name in ("magstripe", "wifi")}
    PARTS["i2c"] = {"bus": 0, "sda": 38, "scl": 39, "freq": 400000}
    PARTS["icc"] = {"driver": "icc.IccReader", "i2c": "i2c", "addr": 0x2A}
    PARTS["nfc"] = {"driver": "nfc.Pn532", "i2c": "i2c", "addr": 0x24}
    PARTS["rtc"] = {"driver": "rtc.Clock", "source": "modem"}
    PARTS["touch"] = Board.PARTS["touch"]
    PARTS["scanner"] = Board.PARTS["scanner"]


class Reset(Exception):
    """machine.reset(): the board starts again; nothing after it runs."""


class SimMachine(FakeMachine):
    def reset(self):
        raise Reset()


class ShopSockets:
    """The socket module of the shop's network: every address leads to the acquirer at addr."""

    def __init__(self, addr):
        self.addr = addr

    def getaddrinfo(self, host, port, *args):
        return socket.getaddrinfo(self.addr[0], self.addr[1], socket.AF_INET, socket.SOCK_STREAM)

    def socket(self, *args):
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


class FastLoop(asyncio.SelectorEventLoop):
    """The headless terminal's event loop, on which sleeps pass FAST times fast: the shell's scan
    and the drivers' polls (the Wi-Fi's every 10 ms) take 0.1 ms, and the loop still sleeps in
    between. The App's seconds are the simulated clock's and the drivers' timeouts read real
    ticks: neither changes."""

    def __init__(self):
        asyncio.SelectorEventLoop.__init__(self, _FastSelector())

    def time(self):
        return time.monotonic() * FAST


class _FastSelector(selectors.SelectSelector):
    """select() waits to the microsecond (epoll and poll round a wait up to a millisecond)."""

    def select(self, timeout=None):
        return selectors.SelectSelector.select(self, None if timeout is None else timeout / FAST)


class FastClock:
    """Milliseconds that pass 1000 times faster than real ones: the printer driver's pace. (A higher
    bytes_per_s would not do: the driver paces in whole milliseconds, at least one a 128-byte
    write, a third of a second a slip.)"""

    @staticmethod
    def ticks():
        return int(time.monotonic() * 1000000) & 0x3FFFFFFF

    @staticmethod
    async def sleep(ms):
        await asyncio.sleep(ms / 1000000)


class Slips:
    """Every copy the printer part printed, as jobs (text, ESC/POS bytes, complete): the text from
    the lines the driver was given, the bytes from what reached the printer fake (its sink) up to
    where its paper ended, an interrupted copy cut to its whole lines."""

    def __init__(self, paper, on_print=None):
        self.paper = paper                  # the FakePrinter on the printer's UART
        self.on_print = on_print
        self.jobs = []
        self._sent = None
        paper.sink = self._sink

    def _sink(self, data):
        if self._sent is not None:
            self._sent += data

    def around(self, driver):
        return _Recorded(driver, self)

    def last_text(self):
        return self.jobs[-1][0] if self.jobs else ""

    @property
    def has_paper(self):
        p = self.paper
        return p.paper_bytes is None or p.received < p.paper_bytes

    def paper_out(self):
        self.paper.paper_bytes = self.paper.received

    def paper_low(self, lines):
        self.paper.paper_bytes = self.paper.received + lines * LINE_BYTES

    def paper_in(self):
        self.paper.load_paper()

    async def print(self, driver, lines, font, density):
        """One copy printed by the driver, and recorded."""
        start = self.paper.received
        self._sent = bytearray()
        try:
            result = await driver.print_lines(lines, font, density)
            data = self._sent
        finally:
            self._sent = None
        end = self.paper.paper_bytes
        if end is not None and end - start < len(data):
            data = data[:max(0, end - start)]
        text = [line[0] if isinstance(line[0], str) else "[签名 SIGNATURE]" for line in lines]
        if result != OK:
            data, n = whole_lines(data)
            text = text[:n]
        job = ("\n".join(text), bytes(data), result == OK)
        self.jobs.append(job)
        if self.on_print:
            self.on_print(job)
        return result


class _Recorded:
    """The printer driver, each copy it prints recorded in slips."""

    def __init__(self, driver, slips):
        self.driver = driver
        self.slips = slips

    async def print_lines(self, lines, font, density=2):
        return await self.slips.print(self.driver, lines, font, density)

    def __getattr__(self, name):
        return getattr(self.driver, name)


def provision(flash):
    """What `make provision` writes once: the test terminal's ids and TMK, the shop's Wi-Fi."""
    os.makedirs(flash, exist_ok=True)
    if store.load(flash, "provision") is None:
        doc = cards.provision()
        doc["wifi_ssid"], doc["wifi_password"] = SHOP_WIFI, NETWORKS[SHOP_WIFI][0]
        store.save(flash, "provision", doc)


class SimTerminal:
    """The terminal's hardware, powered on (power_on: the device boots on the flash directory) or
    off (power_off: dropped where it is, as by a power loss: the shell's tasks are cancelled
    where they wait, so no code of the App runs after). Its asyncio loop runs only inside
    settle() and run_for(); between them the terminal stands still.

    Headless the clock moves only when the caller advances it and the event loop's sleeps pass
    FAST times fast (FastLoop); interactive the clock is real and so is the loop.
    """

    def __init__(self, flash, host_addr, clock, on_print=None):
        self.flash = flash
        self.clock = clock
        self.answer_wait = 10.0     # real seconds settle() waits for an answer before leaving it pending
        self.machine = SimMachine(clock)
        wlan = FakeWlan({name: NETWORKS[name][0] for name in NETWORKS}, polls=0)
        wlan.rssi_of = {name: NETWORKS[name][1] for name in NETWORKS}
        self.network = FakeNetwork(wlan)
        self.sockets = ShopSockets(host_addr)
        self.keypad = FakeKeypad()
        self.printer = Slips(self.machine.uarts[1], on_print)
        self.slot = self.machine.I2C().icc      # the chip slot's coprocessor (a FakeIccBus)
        self.field = self.machine.pn532()       # the contactless reader's chip (a FakePn532)
        self.scanner = self.machine.scanner()   # the scan engine (a FakeScanEngine)
        self.glass = None                       # the LCD's pixels (a FakeGlass) while powered
        # The last card put in or taken out: (reader's fake, its polls then, a card the shell powered
        # gone, when); the slot's power_ons when its card went in or this shell started.
        self._put = None
        self._taken_at = 0
        self.shell = None
        self.slots = None           # the flash root once the App ran from an update's slot
        self.loop = asyncio.new_event_loop() if clock.real else FastLoop()
        self._task = None
        self._exchange = None       # the Exchange settle() first saw pending, and since when
        self._since = 0.0

    @property
    def on(self):
        return self.shell is not None

    @property
    def app(self):
        return self.shell.app if self.shell else None

    @property
    def screen(self):
        return self.shell.app.screen if self.shell else None

    # -- power -------------------------------------------------------------

    def power_on(self):
        self.power_off()
        self._boot()

    def power_off(self):
        if self._task is not None:
            self.loop.run_until_complete(self._cancel_all())
            self._drop()

    def close(self):
        self.power_off()
        self.loop.close()

    async def _cancel_all(self):
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _boot(self):
        provision(self.flash)
        self._taken_at = self.slot.power_ons    # a new shell has powered no card yet
        on_idle = assets = None
        if self.slots is not None:              # main.py's boot: bootsel picks the slot
            import bootsel
            assets = os.path.join(self.slots, bootsel.select(self.slots), "assets")
            on_idle = functools.partial(bootsel.confirm, self.slots)     # device.main's
        self.glass = FakeGlass(320, 240)
        parts = {"lcd": ColorLcd(self.glass, 320, 240, "st7789"), "keypad": self.keypad,
                 "printer": self.printer.around(Printer(self.machine.uarts[1], ticks=FastClock.ticks,
                                                        sleep=FastClock.sleep))}
        shell, _missing = device.start("firmware", self.machine, self.network, self.sockets, root=ROOT,
                                       board=SimBoard, on_idle=on_idle, state=self.flash, select=select,
                                       parts=parts)
        if assets is not None:
            # The code, font and catalogs stay firmware/'s; the slot is what the updater reads.
            shell.app.assets_dir = assets
        shell.ticks = self.clock.ticks
        if not self.clock.real:
            shell.recv_ms = 2               # the clock is read every 2 ms while an answer is awaited
        self.shell = shell
        self._task = self.loop.create_task(shell.run())

    def _drop(self):
        """What the power takes with it: the socket, the radio's association, the font file."""
        self.shell.link.close()
        self.shell.font.close()
        self.network.wlan.active(False)
        self.shell = self._task = self.glass = None

    def _restarted(self):
        """True when the shell's task had ended in a reset and the terminal booted again (the slot
        bootsel picks, when the App ran from an update's); anything else the shell raised is
        raised here."""
        task = self._task
        if task is None or not task.done():
            return False
        error = task.exception()
        if not isinstance(error, Reset):
            raise error or RuntimeError("the shell stopped")
        slot_dir = os.path.dirname(self.shell.app.assets_dir)
        if os.path.basename(slot_dir) in ("slot_a", "slot_b"):
            self.slots = os.path.dirname(slot_dir)
        self._drop()
        self._boot()
        return True

    # -- the merchant, the cardholder -------------------------------------------

    def press(self, key):
        self.keypad.press(key)
        self.keypad.release(key)

    def swipe(self, track2):
        self.machine.uarts[0].swipe(";" + track2 + "?")

    def insert(self, card):
        """A chip card (cards.inserted) into the slot, where it stays until remove(): the shell
        powers it once the App wants a card."""
        self.slot.card = card
        self._taken_at = self.slot.power_ons
        self._put = (self.slot, self.slot.polls, False, time.monotonic())

    def tap(self, card):
        """A contactless card (cards.tapped) onto the field, where it stays until the terminal has
        read it (its beep; or the read ended in an error) or until remove()."""
        self.field.card = card
        self._put = (self.field, self.field.polls, False, time.monotonic())

    def sign(self):
        """The cardholder's finger draws the sample signature (pos.signature.SAMPLE, fitted to the
        signing area) on the touch panel, a point each time the shell reads it; 确认 is left to
        the caller. False when the terminal is not asking for a signature."""
        from pos.signature import SAMPLE, decode
        app = self.shell.app
        if app.signing is None:
            return False
        x0, y0, w, h = app.touch_area
        self.machine.touch().play([[(x0 + x * w // 320, y0 + y * h // 240) for x, y in s] for s in decode(SAMPLE)])
        return True

    def scan(self, code):
        """A code (the customer's payment code) held in front of the scanner: the shell reads it
        while the App wants one; until then it waits there."""
        self.scanner.present(code)

    def phone_sees(self):
        """The text of the QR code on the LCD as a phone's camera reads it (zxing-cpp over the
        glass's pixels); None when the LCD shows none (or the terminal is off)."""
        if self.glass is None:
            return None
        import zxingcpp
        glass = self.glass
        found = zxingcpp.read_barcode(memoryview(glass.grey()).cast("B", (glass.height, glass.width)),
                                      formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain)
        return found.text if found is not None else None

    def phone_pays(self, db, wallet):
        """The customer's phone reads the QR code on the LCD and pays the order it names with the
        test wallet named (wallet_ok, wallet_slow, wallet_poor) at the acquirer's wallet gateway
        (its store db, a path or URL) at the simulated time: (the text read, the wallet's answer),
        or None when the LCD shows no QR code."""
        text = self.phone_sees()
        if text is None:
            return None
        from tools.acquirer import store, wallet as wallets
        host = store.Store(db)
        try:
            return text, wallets.phone_pays(host, text, wallet, self.local_time())
        finally:
            host.close()

    def local_time(self):
        """The simulated local (China's) time, a naive datetime."""
        return datetime.datetime(*time.gmtime(self.clock.now())[:6])

    def remove(self):
        """The card out of the slot and off the field."""
        # A card the shell powered is polled until it is seen gone, whatever the App waits for.
        taken = self.slot.card is not None and self.slot.power_ons > self._taken_at
        self.slot.remove()
        self.field.remove()
        self._put = (self.slot, self.slot.polls, taken, time.monotonic())

    def _hand(self):
        """The cardholder takes a tapped card away once the terminal is done with it: it has had
        commands and none is pending for the field any more."""
        card = self.field.card
        if card is not None and card.commands and self.on:
            effect = self.shell.app.pending_io
            if not (isinstance(effect, Apdu) and effect.reader == "nfc"):
                self.field.remove()

    def _unread(self):
        """True while a code held to the scanner has not reached the shell and the App wants one."""
        bridge = self.machine.I2C().scanner
        return bool(self.scanner.reads or bridge.fifo or bridge.rest) and self.shell.app.wants_scan

    def _drawing(self):
        """True while the touch panel has points the shell has not read yet."""
        touch = self.machine.I2C().touch
        return touch is not None and bool(touch.frames)

    def _unseen(self):
        """True while the card last put in or taken out is not yet known to the shell: the reader
        polled twice since while the App looks (wants a card; the slot's removal), the second poll
        starting once the first one's event went to the App; once when only the shell looks (the
        card it powered, until it sees it gone)."""
        if self._put is None:
            return False
        reader, polls, powered, since = self._put
        app = self.shell.app
        looks = app.wants_card or reader is self.slot and app.wants_removal
        if reader.polls < polls + (2 if looks else 1 if powered else 0) and time.monotonic() - since < PUT_WAIT:
            return True
        self._put = None
        return False

    # -- time ----------------------------------------------------------------

    def settle(self, answer_wait=None, passes=2):
        """Run until the terminal is quiet: the keys and the swiped card taken (the scan hands them
        to the App as it reads them), a code held to the scanner read while the App wants one
        (_unread), a card put in or taken out seen by its reader's poll (_unseen) and `passes`
        more passes of the shell's loop (the clock and the paper are looked at once a pass; two
        make one whole), then no I/O effect pending, but for an Exchange whose answer has not
        come within answer_wait real seconds (and whose wait has read the clock since)."""
        if self.on:
            wait = self.answer_wait if answer_wait is None else answer_wait
            self.loop.run_until_complete(self._quiet(wait, passes))

    async def _quiet(self, answer_wait, passes):
        mark = None
        while True:
            self._hand()
            if self._restarted() or self.keypad.waiting or self.machine.uarts[0].reads or self._unseen() \
                    or self._drawing() or self._unread():
                mark = None
            elif mark is None:
                mark = (self.shell.passes, self.clock.reads)
            else:
                effect = self.shell.app.pending_io
                if effect is None:
                    if self.shell.passes >= mark[0] + passes:
                        return
                elif isinstance(effect, Exchange):
                    if effect is not self._exchange:
                        self._exchange, self._since = effect, time.monotonic()
                    if time.monotonic() - self._since >= answer_wait and self.clock.reads > mark[1]:
                        return
            await asyncio.sleep(0.001)

    def run_for(self, secs):
        """Let the terminal run secs real seconds (interactive)."""
        if self.on:
            self.loop.run_until_complete(self._run_for(secs))

    async def _run_for(self, secs):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            self._restarted()
            self._hand()
            for reader in (self.slot, self.field):
                del reader.writes[:-64]     # the fakes keep every frame for the tests; hours of polls would pile up
            await asyncio.sleep(0.01)
