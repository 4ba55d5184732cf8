"""The engine drives one flow generator at a time.

Rules:
- A flow yields an effect and receives its result; it never reads a clock,
  sleeps or touches a driver.
- Screen effects (Ask, Show, ReadCard, RemoveCard, WaitPaper, pos.flows.sign's Sign, an effect
  with a pad, and pos.flows.qrpay's Scan, one that takes a scan) are resolved here from key,
  card, scan, touch and printer events; I/O effects (Connect, Exchange,
  Disconnect, Apdu, Beep, Print, Probe, Restart) are carried out by whoever runs the engine (the runtime's
  shell, a test kit, the bench) through one table, HANDLERS: each effect's
  handler is that runner's method of the name the table gives, and its result
  goes back through `resolve()`.
- Every wait with a timeout ends with TIMEOUT once `tick(now)` passes its
  deadline; CANCEL ends every screen wait. Nothing else can end a wait. Keys
  pressed during I/O are dropped, but for the last of them (a CANCEL before any
  other), which a screen wait that takes_held_key (a QR order's between two
  queries) gets as soon as it starts. A
  clock set between two ticks (a step back, or more than CLOCK_JUMP ahead)
  moves the deadline with it.
"""

from pos.results import CANCEL, OK, TIMEOUT

CLOCK_JUMP = 300        # seconds between two ticks beyond which the clock was set, not time passing


class Effect:
    io = False
    timeout = None
    screen = None
    takes_card = False      # a card presented ends the wait, the card event its result
    takes_scan = False      # a code the scanner read ends the wait, its event the result: Scan
    pad = None              # a signature pad (pos.signature.Pad) the wait takes touches into: Sign
    editor = None           # the input keys go to (Ask); a manual entry besides a reader's (ReadCard, Scan)
    takes_held_key = False  # a key pressed during the I/O before this wait ends it at once


class Ask(Effect):
    """Show a screen with an editor; result: the editor's value, CANCEL or TIMEOUT."""

    def __init__(self, screen, editor, timeout=60):
        self.screen = screen
        self.editor = editor
        self.timeout = timeout


class Show(Effect):
    """Show a screen until a key or the timeout; result: the key or TIMEOUT. With cards, a card
    presented ends it too (the idle screen): its event is the result, as ReadCard's."""

    def __init__(self, screen, timeout=60, cards=False):
        self.screen = screen
        self.timeout = timeout
        self.takes_card = cards


class ReadCard(Effect):
    """Wait for a card; result: ('swipe', track2 text), ('insert', ATR hex), ('tap', UID hex),
    ('card_error', why), CANCEL or TIMEOUT.

    With a manual editor the number may be keyed instead: the keys go to the
    editor and its complete value comes back as ('keyed', digits).
    """
    takes_card = True

    def __init__(self, screen, timeout=60, manual=None):
        self.screen = screen
        self.timeout = timeout
        self.editor = manual


class RemoveCard(Effect):
    """Wait until the card leaves the chip slot (请拔卡); result: OK, or TIMEOUT. A key does not end
    it: a card left in the slot is still asked for."""

    def __init__(self, screen, timeout=60):
        self.screen = screen
        self.timeout = timeout


class WaitPaper(Effect):
    """Wait until the printer has paper; result: OK (paper loaded, or ENTER to try again), CANCEL or TIMEOUT."""

    def __init__(self, screen, timeout=None):
        self.screen = screen
        self.timeout = timeout


class Connect(Effect):
    """Open the link to the host; result: OK or LINK_DOWN (nothing was sent)."""
    io = True

    def __init__(self, screen=None):
        self.screen = screen


class Exchange(Effect):
    """Send a frame and wait for the answer; result: bytes, TIMEOUT or LINK_BROKEN."""
    io = True

    def __init__(self, frame, timeout, screen=None):
        self.frame = frame
        self.timeout = timeout
        self.screen = screen


class Disconnect(Effect):
    io = True


class Apdu(Effect):
    """One command to the chip card in `reader` ("icc", the slot, or "nfc", the field); result:
    the card's answer (data, SW1, SW2) as bytes, CARD_GONE or CARD_ERROR."""
    io = True

    def __init__(self, reader, command, screen=None):
        self.reader = reader
        self.command = command
        self.screen = screen


class Beep(Effect):
    """The buzzer: the contactless card may leave the field. Result: OK."""
    io = True


class Probe(Effect):
    """Ask the runtime how peripherals are; result: {part: (ok, detail text)} for the parts asked.

    Parts: "printer", "reader", "link", "flash"; "networks" answers (True, [the
    Wi-Fi networks in reach, by name, the strongest first]). A part the
    runtime cannot check answers (False, "n/a") or is left out.
    """
    io = True

    def __init__(self, parts, screen=None):
        self.parts = parts
        self.screen = screen


class Print(Effect):
    """Print one slip copy (lines of (text, style)); result: OK, PAPER_OUT, PRINTER_ERROR."""
    io = True

    def __init__(self, lines, screen=None):
        self.lines = lines
        self.screen = screen


class Restart(Effect):
    """Start the terminal again (a new image was switched in); result: OK, where anything comes back.

    The device resets the board, and bootsel picks the slot that boots: nothing
    runs after it there. The simulator boots a new App on the same flash; a
    test may just resolve it, and the flow then ends.
    """
    io = True

    def __init__(self, screen=None):
        self.screen = screen


# The I/O effects and the name of the method that carries each out: the shell (runtime/shell.py)
# and the test kits have one of each, `carry_out` finds it.
HANDLERS = {
    Connect: "connect",
    Exchange: "exchange",
    Disconnect: "disconnect",
    Apdu: "apdu",
    Beep: "beep",
    Print: "print_slip",
    Probe: "probe",
    Restart: "restart",
}


def carry_out(runner, effect):
    """runner's handler for the I/O effect, called: its result (None while the effect is still
    pending, as an answer not yet arrived) or, for an async runner, the coroutine giving it."""
    return getattr(runner, HANDLERS[type(effect)])(effect)


class Engine:
    def __init__(self, now=0):
        self.now = now
        self.flow = None
        self.effect = None
        self.deadline = None
        self.result = None
        self.last_screen = None
        self.held_key = None        # the key pressed during I/O, not yet taken

    def start(self, flow):
        self.flow = flow
        self.result = None
        self._advance(None)

    @property
    def busy(self):
        return self.flow is not None

    def stop(self):
        """Drop the running flow where it waits (closing its generator), nothing resolved."""
        flow = self.flow
        self.flow = self.effect = self.deadline = None
        if flow is not None:
            try:
                flow.close()
            except Exception:
                pass

    @property
    def wants_card(self):
        """True while a card presented would end the wait (the shell polls the chip slot then)."""
        e = self.effect
        return e is not None and e.takes_card

    @property
    def wants_scan(self):
        """True while a code the scanner reads would end the wait (the shell triggers it then)."""
        e = self.effect
        return e is not None and e.takes_scan

    def scan(self, event):
        if self.wants_scan:
            self._advance(event)

    @property
    def wants_removal(self):
        """True while the flow waits for the chip card to leave the slot."""
        return isinstance(self.effect, RemoveCard)

    def card_removed(self):
        if isinstance(self.effect, RemoveCard):
            self._advance(OK)

    @property
    def wants_paper(self):
        return isinstance(self.effect, WaitPaper)

    @property
    def signing(self):
        """The pad being signed, while a Sign waits; else None."""
        e = self.effect
        return None if e is None else e.pad

    def touch(self, point):
        """A touch sample in the signing area: (x, y), or None once the finger left the glass."""
        e = self.effect
        if e is None or e.pad is None:
            return
        if point is None:
            e.pad.lift()
        else:
            e.pad.add(point[0], point[1])
        self.deadline = self.now + e.timeout

    @property
    def pending_io(self):
        """The I/O effect waiting for resolve(), or None."""
        e = self.effect
        return e if e is not None and e.io else None

    @property
    def screen(self):
        e = self.effect
        if e is not None and e.editor is not None:
            ed = e.editor
            sel = ed.selected_line() if hasattr(ed, "selected_line") else None
            return e.screen.with_lines(ed.lines(), sel)
        return self.last_screen

    def _advance(self, result):
        while True:
            try:
                effect = self.flow.send(result)
            except StopIteration as stop:
                self.flow = self.effect = self.deadline = None
                self.result = stop.args[0] if stop.args else None
                return
            if effect.screen is not None:
                self.last_screen = effect.screen
            if not effect.io and self.held_key is not None:
                held, self.held_key = self.held_key, None
                if effect.takes_held_key:
                    result = held
                    continue
            self.effect = effect
            self.deadline = None if effect.timeout is None else self.now + effect.timeout
            return

    def resolve(self, result):
        if self.effect is None:
            raise ValueError("no effect pending")
        self._advance(result)

    def key(self, k):
        e = self.effect
        if e is None or e.io:
            if e is not None and self.held_key != CANCEL:
                self.held_key = k
            return False
        if k == "CANCEL":
            self._advance(CANCEL)
        elif isinstance(e, Ask):
            if e.editor.key(k):
                self._advance(e.editor.value())
            elif e.timeout is not None:
                self.deadline = self.now + e.timeout
        elif isinstance(e, Show):
            self._advance(k)
        elif isinstance(e, WaitPaper) and k == "ENTER":
            self._advance(OK)
        elif e.pad is not None:     # Sign
            if k == "CLEAR":
                e.pad.clear()
                e.screen = self.last_screen = e.screen.with_lines(())
                self.deadline = self.now + e.timeout
            elif k == "ENTER" and not e.pad.empty():
                self._advance(OK)
        elif e.editor is not None:     # ReadCard, Scan: the number keyed instead
            if e.editor.key(k):
                self._advance(("keyed", e.editor.value()))
            elif e.timeout is not None:
                self.deadline = self.now + e.timeout
        return True

    def card(self, event):
        if self.wants_card:
            self._advance(event)
            return True
        return False

    def paper_loaded(self):
        if isinstance(self.effect, WaitPaper):
            self._advance(OK)

    def tick(self, now):
        step = now - self.now
        if self.deadline is not None and not 0 <= step <= CLOCK_JUMP:
            # The wall clock was set (the RTC from the network, the host's time at sign-in):
            # a wait keeps what it had left, it does not time out or last for ever.
            self.deadline += step
        self.now = now
        if self.deadline is not None and now >= self.deadline:
            self._advance(TIMEOUT)
