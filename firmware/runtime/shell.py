"""The shell: runs the App on the device's asyncio loop.

Rules:
- The App is sans-IO; this is where its events come from and its I/O effects
  are carried out. A task of its own scans the keypad and polls the card
  readers every 10 ms; the loop ticks the App's clock once a second, feeds
  the watchdog and carries out the effects.
- One I/O effect at a time: Connect, Exchange, Disconnect, Apdu, Beep, Print,
  Probe, Restart, each by this shell's method that pos.engine.HANDLERS names. While
  an answer is awaited the App keeps ticking, so its own timeout ends the
  wait (it then resolves nothing more for that effect).
- The shell asks the App what it waits for (wants_card, wants_removal,
  wants_paper, signing, wants_scan), never the engine. While the cardholder signs, the touch
  panel is read with the keys; each point the pad keeps is drawn at once. While the App wants a
  payment code the scanner is triggered and read with the keys.
- A screen with a QR code has it drawn in the App's qr_area at the largest scale that fits.
- The LCD is redrawn when the App's screen changes (the driver sends only
  the rows that changed).
- The heap is collected every GC_EVERY bytes allocated: a fragmented heap
  fails long before a full one does.
- A MemoryError in a step is reported on the screen, the heap collected and
  the App brought back to its idle screen; the journal is never in the middle
  of a write then (each append is whole before it returns).
"""
import gc
import sys

from drivers.compat import sleep_ms, ticks_diff, ticks_ms
from pos.engine import carry_out
from pos.results import CARD_ERROR, CARD_GONE, LINK_BROKEN, OK, PRINTER_ERROR
from pos.menu import LOW_BATTERY

SCAN_MS = 10
TICK_MS = 1000
STATUS_MS = 10000
RECV_SLICE_MS = 100
CHIP_POLL_MS = 200
CARD_GONE_ERRORS = ("IccCardGone", "NfcCardGone")   # the readers' own: the card left
# Bytes allocated between two collections: garbage reclaimed early keeps the heap in fewer pieces (two
# sales with slips need a 68 KB heap so, 74 KB when the heap is collected only once it is full).
GC_EVERY = 8192


class Shell:
    def __init__(self, app, parts, link, font, wdt=None, reset=None, on_idle=None, statvfs=None, ticks=None):
        self.app = app
        self.ticks = ticks or ticks_ms  # what the App's one-second ticks are counted on (a simulator's clock)
        self.parts = parts
        self.link = link
        self.font = font
        self.wdt = wdt
        self.reset = reset
        self.on_idle = on_idle          # called once, the first time the idle screen shows
        self.statvfs = statvfs
        self.lcd = parts.get("lcd")
        self.keypad = parts.get("keypad")
        self.printer = parts.get("printer")
        self.buzzer = parts.get("buzzer")
        self.readers = [parts[name] for name in ("magstripe",) if name in parts]
        self.touch = parts.get("touch")
        self.touching = False           # the finger was on the glass at the last read
        self.make_scanner = parts.get("scanner")     # built while the App wants a code (runtime.board.LATER)
        self.scanner = None
        self.scanning = False           # the App wants a code: the scanner is built and triggered
        self.shown = None
        self.running = True
        self.out_of_memory = None       # a MemoryError the scanning task met, handled by the loop
        self.status_ms = STATUS_MS      # how often the status task reads the battery and the signal
        self.scan_ms = SCAN_MS          # how often keys and readers are scanned and the loop runs
        self.recv_ms = RECV_SLICE_MS    # how long one wait for an answer lasts before the clock is read
        self.passes = 0                 # loop passes so far (a simulator waits for the next one)
        self.memory_errors = 0

    async def run(self, steps=None):
        """Run until stopped (or for `steps` loop passes, for tests)."""
        import asyncio
        if hasattr(gc, "threshold"):        # MicroPython's: collect every GC_EVERY bytes allocated
            gc.threshold(GC_EVERY)
        background = [asyncio.create_task(self._scan())]
        if "icc" in self.parts or "nfc" in self.parts:
            background.append(asyncio.create_task(self._chip_cards()))
        if hasattr(self.link, "prepare"):
            # The modem powers up, the Wi-Fi joins and the clock is set while the merchant logs in.
            background.append(asyncio.create_task(self._prepare()))
        if getattr(self.link, "wifi", None) is not None:
            background.append(asyncio.create_task(self.link.keep_wifi()))
        if "battery" in self.parts or hasattr(self.link, "signal"):
            background.append(asyncio.create_task(self._status()))
        try:
            await self._loop(steps)
        finally:
            self.running = False
            for task in background:
                task.cancel()

    async def _scan(self):
        """The keypad and the card readers every SCAN_MS, whatever the effects are doing: a key
        released while the shell waited for the host or the printer is seen released, so the
        next press of it counts (the engine itself ignores keys during I/O)."""
        while self.running:
            try:
                self._inputs(ticks_ms())
            except MemoryError as e:
                self.out_of_memory = e
            await sleep_ms(self.scan_ms)

    async def _prepare(self):
        await self.link.prepare()
        rtc = self.parts.get("rtc")
        if rtc is None:
            return
        source = self.parts.get("modem") if rtc.source == "modem" else None
        if rtc.source == "ntp":
            try:
                import ntptime as source         # frozen into MicroPython's ESP32 images (blocks up to 1 s)
            except ImportError:
                return
        if source is None:
            return
        try:
            await rtc.sync(source)
        except Exception:                        # no network time: the sign-in sets the clock (12, 13)
            pass

    async def _status(self):
        """At once and every status_ms: the battery's charge into app.battery (the idle screen
        shows it; a menu holds back what prints when it is low) and the link's signal into
        app.signal (shown on the idle screen)."""
        battery = self.parts.get("battery")
        signal = getattr(self.link, "signal", None)
        while self.running:
            if battery is not None:
                try:
                    self.app.battery = battery.percent()
                except Exception:                # an ADC that fails is no reading, not a flat battery
                    self.app.battery = None
            if signal is not None:
                try:
                    self.app.signal = await signal()
                except Exception:
                    self.app.signal = None
            await sleep_ms(self.status_ms)

    async def _chip_cards(self):
        """While the App waits for a card: a card inserted in the chip slot is powered (its ATR is
        the event, ("insert", atr hex); a mute or malformed one is ("card_error", "chip")), a card
        on the contactless field is ("tap", uid hex). The App decides what it does with them. A
        card taken out of the slot is powered off, and ends the App's 请拔卡 wait."""
        from binascii import hexlify
        icc, nfc = self.parts.get("icc"), self.parts.get("nfc")
        inserted = False
        while self.running:
            app = self.app
            if icc is not None and (app.wants_card or app.wants_removal or inserted):
                try:
                    present = icc.present()
                except Exception:            # a coprocessor that does not answer is no card
                    present = False
                if present and not inserted and app.wants_card:
                    inserted = True
                    try:
                        event = ("insert", hexlify(await icc.power_on()).decode())
                    except Exception:        # mute card, truncated or malformed ATR
                        event = ("card_error", "chip")
                    app.card(event)
                elif not present:
                    if inserted:
                        icc.power_off()
                    inserted = False
                    if app.wants_removal:
                        app.card_removed()
            if nfc is not None and app.wants_card:
                try:
                    uid = await nfc.poll()
                except Exception:
                    uid = None
                if uid:
                    app.card(("tap", hexlify(uid).decode()))
            await sleep_ms(CHIP_POLL_MS)

    async def _loop(self, steps):
        self.app.power_on()
        last_tick = self.ticks()
        n = 0
        while self.running and (steps is None or n < steps):
            n += 1
            try:
                if self.out_of_memory:
                    raise self.out_of_memory
                now = self.ticks()
                if ticks_diff(now, last_tick) >= TICK_MS:
                    last_tick = now
                    self.app.tick()
                    if self.wdt is not None:
                        self.wdt.feed()
                await self._effects()
                self._display()
            except MemoryError as e:
                await self._out_of_memory(e)
            self.passes += 1
            await sleep_ms(self.scan_ms)

    def stop(self):
        self.running = False

    # -- events in ---------------------------------------------------------

    def _inputs(self, now):
        if self.keypad is not None:
            for key in self.keypad.scan(now):
                if self.buzzer is not None and self.app.settings.get("key_tone"):
                    self.buzzer.beep()
                self.app.key(key)
        if self.touch is not None and self.app.signing is not None:
            self._signing(self.app.signing)
        if self.make_scanner is not None:
            self._scanning()
        for reader in self.readers:
            event = reader.poll()
            if event is not None:
                self.app.card(event)

    def _scanning(self):
        """The scanner reads while the App waits for a payment code, and only then (its light is
        off the rest of the time); a code it read goes to the App. Its driver is built when the
        wait starts and dropped when it ends; one that does not come up leaves the code to the keys."""
        wants = self.app.wants_scan
        if wants != self.scanning:
            self.scanning = wants
            if wants:
                try:
                    self.scanner = self.make_scanner()
                except (ImportError, OSError, ValueError):
                    self.scanner = None
            if self.scanner is not None:
                self.scanner.trigger(wants)
            if not wants:
                self.scanner = None
        if wants and self.scanner is not None:
            event = self.scanner.poll()
            if event is not None:
                self.app.scan(event)

    def _signing(self, pad):
        """One touch read while the cardholder signs: the point into the pad (the signing area's
        coordinates), the new stroke segment onto the screen."""
        x0, y0, w, h = self.app.touch_area
        point = self.touch.read()
        if point is not None and x0 <= point[0] < x0 + w and y0 <= point[1] < y0 + h:
            before = pad.points
            self.touching = True
            self.app.touch((point[0] - x0, point[1] - y0))
            segment = pad.last_segment() if pad.points != before else None
            if segment is not None and self.lcd is not None and self.app.screen is self.shown:
                from pos.signature import draw_line
                ax, ay, bx, by = segment
                draw_line(self.lcd.fill_rect, ax + x0, ay + y0, bx + x0, by + y0, 0)
        elif self.touching:
            self.touching = False
            self.app.touch(None)

    # -- effects out -------------------------------------------------------

    async def _effects(self):
        """The App's I/O effects, each by this shell's handler of the name engine.HANDLERS gives,
        until the App waits for a person or for time."""
        app = self.app
        while True:
            effect = app.pending_io
            if effect is None:
                if app.wants_paper and self.printer is not None:
                    if (await self.printer.status()).get("paper") != "out":
                        app.paper_loaded()
                return
            self._display()
            result = await carry_out(self, effect)
            if app.pending_io is effect:        # the App's own timeout may have ended the wait
                app.resolve(result)

    async def connect(self, effect):
        return await self.link.connect()

    async def disconnect(self, effect):
        self.link.close()
        return OK

    async def print_slip(self, effect):
        if self.printer is None:
            return PRINTER_ERROR
        return await self.printer.print_lines(effect.lines, self.font, self.app.settings.get("density", 2))

    async def apdu(self, effect):
        reader = self.parts.get(effect.reader)
        if reader is None:
            return CARD_ERROR
        try:
            return await reader.apdu(effect.command)
        except Exception as e:               # the readers' IccCardGone / NfcCardGone, or a reader fault
            return CARD_GONE if type(e).__name__ in CARD_GONE_ERRORS else CARD_ERROR

    async def beep(self, effect):
        if self.buzzer is not None:
            self.buzzer.beep()
        return OK

    async def restart(self, effect):
        self.link.close()
        if self.reset is not None:
            self.reset()
        return OK

    async def exchange(self, effect):
        """The answer, LINK_BROKEN, or None once the App's clock ended the wait (TIMEOUT)."""
        if not await self.link.send_frame(effect.frame):
            return LINK_BROKEN
        last_tick = self.ticks()
        while self.app.pending_io is effect:
            answer = await self.link.recv_frame(self.recv_ms)
            if answer is not None:
                return answer
            now = self.ticks()
            if ticks_diff(now, last_tick) >= TICK_MS:
                last_tick = now
                self.app.tick()              # the engine's answer timeout runs on the clock
                if self.wdt is not None:
                    self.wdt.feed()
        return None

    async def probe(self, effect):
        found = {}
        for part in effect.parts:
            try:
                if part == "printer" and self.printer is not None:
                    status = await self.printer.status()
                    ok = status.get("online", True) and status.get("paper") != "out" and not status.get("error")
                    found[part] = (ok, status.get("error") or status.get("paper") or "")
                elif part == "reader":
                    found[part] = (bool(self.readers), ",".join(n for n in ("magstripe", "icc", "nfc")
                                                                if n in self.parts))
                elif part == "link":
                    up = await self.link.connect() == OK
                    self.link.close()
                    found[part] = (up, self.link.active or "")
                elif part == "networks" and self.parts.get("wifi") is not None:
                    found[part] = (True, self.parts["wifi"].scan())
                elif part == "battery" and "battery" in self.parts:
                    pct = self.parts["battery"].percent()
                    found[part] = (pct >= LOW_BATTERY, "%d%%" % pct)
                elif part == "flash" and self.statvfs is not None:
                    st = self.statvfs("/")
                    found[part] = (True, "%d KB free" % (st[0] * st[4] // 1024))
            except Exception as e:  # a probe reports a part's failure, it never stops the terminal
                found[part] = (False, str(e)[:20])
        return found

    # -- the screen ----------------------------------------------------------

    def _display(self):
        screen = self.app.screen
        if self.lcd is None or screen is None or screen is self.shown:
            return
        self.shown = screen
        cols, nrows = self.lcd.cols, self.lcd.layout_rows
        self.lcd.show(screen.rows(cols, nrows), screen.selected_row(cols), self.font)
        if screen.qr is not None and self.app.qr_area is not None:
            from pos.qr import QUIET, draw, fit
            x0, y0, w, h = self.app.qr_area
            scale = fit(screen.qr, w, h)
            if scale:
                side = (screen.qr.size + 2 * QUIET) * scale
                draw(screen.qr, self.lcd.fill_rect, x0 + (w - side) // 2, y0 + (h - side) // 2, scale)
        if self.on_idle is not None and self.app.state == "idle":
            on_idle, self.on_idle = self.on_idle, None
            on_idle()

    async def _out_of_memory(self, e):
        self.out_of_memory = None
        self.memory_errors += 1
        gc.collect()
        if hasattr(sys, "print_exception"):
            sys.print_exception(e)           # where it ran out, on the console an engineer reads
        if self.lcd is not None:
            from pos.i18n import t
            from pos.screen import Screen
            self.shown = None
            self.lcd.show(Screen(t("memory_error"), [t("back_to_idle")]).rows(self.lcd.cols, self.lcd.layout_rows),
                          None, self.font)
        await sleep_ms(2000)
        gc.collect()
        self.link.close()
        self.app.abort()
