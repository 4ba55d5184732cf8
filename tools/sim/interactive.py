"""The simulator in a terminal window: the LCD drawn with curses, keys on the keyboard.

Layout: the 40x15 LCD in a frame at the top left, the last receipt to its
right when the window is wide enough, the key help and the status below the
LCD. A window too small for the LCD shows what size is needed instead.

The terminal runs on the real time, against an acquirer started on its own
store (sim-host/, beside the terminal's flash sim-state/), both kept from one
run to the next; --fresh starts both afresh.

The drawing and the key handling (Ui.draw, Ui.handle) take any object with
curses' window methods, so tests drive them without a terminal.
"""
import curses
import os
import re
import shutil
import signal
import sys
import unicodedata

from tools.sim import ROOT, cards
from tools.sim.clock import SimClock
from tools.sim.terminal import SimTerminal

from pos.screen import cell_width as lcd_cell_width

LCD_COLS, LCD_ROWS = 40, 15
BOX_W, BOX_H = LCD_COLS + 2, LCD_ROWS + 2          # the LCD with its frame
RECEIPT_X = BOX_W + 2                              # the receipt panel's column
RECEIPT_W = 48                                     # a 58 mm slip: 48 half-width cells
MIN_COLS, MIN_ROWS = BOX_W, BOX_H + 4              # the frame; below it the card choice and status
TICK_MS = 50                                       # the terminal runs this long between two draws
STATE, HOST_STORE = "sim-state", "sim-host"        # the terminal's flash, the acquirer's store
# The back-office user `make sim` makes for the test merchant (docs/backoffice.md): the simulator's only.
BACK_OFFICE_USER, BACK_OFFICE_PASSWORD = "shop", "shop1234"

# The simulator's own keys first: in a small window the last help lines go.
HELP = ("c=swipe", "i=insert", "t=tap", "r=remove card", "s=sign", "m=scan pay code", "w=phone pays QR",
        "p=paper out/in", "q=quit", "Enter=确认", "Backspace=更正", "Esc=取消", "0-9 digits", "F1-F4",
        "Up/Down arrows")
PAGE = 9                                           # choices a page of a picker offers, keys 1-9
PICKERS = {ord(k): verb for verb, keys in (("swipe", "cC"), ("insert", "iI"), ("tap", "tT"), ("scan", "mM"),
                                           ("phone-pays", "wW")) for k in keys}


def _keymap():
    m = {curses.KEY_ENTER: "ENTER", 10: "ENTER", 13: "ENTER", 27: "CANCEL",
         curses.KEY_BACKSPACE: "CLEAR", 127: "CLEAR", 8: "CLEAR", curses.KEY_DC: "CLEAR",
         curses.KEY_UP: "UP", curses.KEY_DOWN: "DOWN"}
    for i in range(4):
        m[curses.KEY_F1 + i] = "F%d" % (i + 1)
    for d in "0123456789":
        m[ord(d)] = d
    return m


# Text measured in terminal cells (what the terminal draws), not characters.

def term_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_cells(s):
    return sum(term_width(ch) for ch in s)


def fit(s, cols):
    """s cut to at most cols terminal cells; control characters shown as '?'."""
    out = []
    n = 0
    for ch in s:
        if ch < " " or ch == "\x7f":
            ch = "?"
        w = term_width(ch)
        if n + w > cols:
            break
        out.append(ch)
        n += w
    return "".join(out)


def lcd_row(row):
    """An LCD row as exactly LCD_COLS terminal cells, laid out the way the
    firmware measured it (a character it counts as two cells takes two)."""
    out = []
    n = 0
    for ch in row:
        fw = lcd_cell_width(ch)
        if n + fw > LCD_COLS:
            break
        tw = term_width(ch)
        if ch < " " or tw > fw or tw == 0:
            ch, tw = "?", 1
        out.append(ch + " " * (fw - tw))
        n += fw
    out.append(" " * (LCD_COLS - n))
    return "".join(out)


def pack(items, cols):
    """Help items packed into lines of at most cols cells, two spaces apart."""
    lines, line = [], ""
    for item in items:
        cand = item if not line else line + "  " + item
        if line and text_cells(cand) > cols:
            lines.append(line)
            line = item
        else:
            line = cand
    if line:
        lines.append(line)
    return [fit(x, cols) for x in lines]


def put(win, y, x, text, attr=0):
    """addstr clipped to the window: never past the right edge, never into
    the bottom-right cell (curses fails there), never a curses error."""
    h, w = win.getmaxyx()
    if y < 0 or y >= h or x < 0 or x >= w:
        return
    text = fit(text, w - x - (1 if y == h - 1 else 0))
    if not text:
        return
    try:
        win.addstr(y, x, text, attr)
    except UnicodeEncodeError:   # a terminal whose locale cannot show Chinese
        enc = getattr(sys.stdout, "encoding", None) or "ascii"
        try:
            win.addstr(y, x, text.encode(enc, "replace").decode(enc), attr)
        except (curses.error, UnicodeError):
            pass
    except curses.error:
        pass


class NotSimulatorFiles(Exception):
    """--fresh was asked to remove a directory that is not the simulator's."""


def fresh(path, mark):
    """Remove the directory path, which holds the file mark when the simulator made it."""
    if not os.path.exists(path):
        return
    if os.listdir(path) and not os.path.exists(os.path.join(path, mark)):
        raise NotSimulatorFiles("%s has no %s: not removed" % (path, mark))
    shutil.rmtree(path)


def _back_office_user(db):
    """The test merchant's back-office user, made once (the acquirer seeded the merchant)."""
    import json
    from tools.acquirer import accounts, handlers, store
    with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as f:
        merchant = json.load(f)["terminal"]["merchant_id"]
    s = store.Store(db)
    try:
        with s.engine.begin() as conn:
            if not accounts.user_exists(conn, BACK_OFFICE_USER):
                accounts.add_user(conn, BACK_OFFICE_USER, BACK_OFFICE_PASSWORD, merchant, handlers.china_time())
    finally:
        s.close()


class Session:
    """The terminal, its printer and the acquirer it talks to (started here on the store in
    args.host_store unless args.host names one)."""

    def __init__(self, args):
        self.state = args.state or STATE
        self.host_store = None if args.host else args.host_store or HOST_STORE
        if args.fresh:
            fresh(self.state, "provision.json")
            if self.host_store:
                fresh(self.host_store, "acquirer.db")
        self.acquirer = self.term = self.db = None
        host_addr = args.host
        office = ""
        if host_addr is None:
            from tools.acquirer.testing import start_acquirer
            os.makedirs(self.host_store, exist_ok=True)
            self.db = db = os.path.abspath(os.path.join(self.host_store, "acquirer.db"))
            # No --clock: the host keeps China's time, as the terminal's RTC does.
            self.acquirer, port = start_acquirer(db, web=True)
            host_addr = ("127.0.0.1", port)
            _back_office_user(db)
            office = "; back-office http://127.0.0.1:%d (%s / %s)" % (self.acquirer.web_port, BACK_OFFICE_USER,
                                                                     BACK_OFFICE_PASSWORD)
        try:
            self.out = args.out
            os.makedirs(self.out, exist_ok=True)
            self.receipts = self._last_number()
            self.last_receipt = ""
            self.last_name = ""
            self.status = "receipts are saved in %s/%s" % (self.out, office)
            self.term = SimTerminal(self.state, host_addr, SimClock(), self._printed)
            self.term.answer_wait = 0.05
            self.term.power_on()
            self.term.settle()
        except BaseException:
            self.close()
            raise

    def _last_number(self):
        """Receipts of earlier runs stay: numbering goes on after them."""
        n = 0
        for name in os.listdir(self.out):
            m = re.match(r"receipt-(\d+)", name)
            if m:
                n = max(n, int(m.group(1)))
        return n

    def _printed(self, job):
        text, data, complete = job
        if not complete and not text:
            self.status = "paper out: the slip did not print"
            return
        self.receipts += 1
        name = "receipt-%03d%s" % (self.receipts, "" if complete else "-partial")
        base = os.path.join(self.out, name)
        with open(base + ".txt", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        with open(base + ".bin", "wb") as f:
            f.write(data)
        self.last_receipt = text
        self.last_name = name
        if complete:
            self.status = "printed %s.txt and .bin" % base
        else:
            self.status = "paper ran out: %s.txt is what came out" % base

    def phone_pays(self, wallet):
        """The customer's phone with the test wallet named pays the QR code on the LCD; the status
        says what it read and the wallet's answer."""
        if self.db is None:
            self.status = "the phone pays at the acquirer the simulator started (not with --host)"
            return
        paid = self.term.phone_pays(self.db, wallet)
        if paid is None:
            self.status = "the phone sees no QR code on the LCD"
        else:
            self.status = "the phone read %s; %s: %s" % (paid[0], wallet, paid[1])

    @property
    def paper_in(self):
        return self.term.printer.has_paper

    def close(self):
        """Power off the terminal and stop the acquirer; the flash and the host's store stay."""
        if self.term is not None:
            self.term.close()
            self.term = None
        if self.acquirer is not None:
            from tools.acquirer.testing import stop_acquirer
            stop_acquirer(self.acquirer)
            self.acquirer = None


class Ui:
    """Draws the session in a curses window and turns keys into terminal events.

    c, i and t open the card picker (the cards of testdata.json to swipe, the contact chip cards
    of emv_cards.json to insert, its contactless cards to tap), m the payment codes of qrpay.json
    to hold to the scanner, w the test wallets a phone pays the QR code on the LCD with: 1-9 pick
    on the page shown, Down and Up turn the page, any other key closes it. r takes the card out of
    the slot and off the field; a tapped card also leaves by itself once the terminal has read it
    (its beep).
    """

    def __init__(self, sess):
        self.sess = sess
        self.keys = _keymap()
        self.choices = {"swipe": [c["name"] for c in cards.load()["cards"]], "insert": cards.chip_names("contact"),
                        "tap": cards.chip_names("contactless"), "scan": cards.pay_codes(),
                        "phone-pays": cards.phone_wallets()}
        self.picking = None         # the picker open: "swipe", "insert", "tap", "scan" or "phone-pays"
        self.page = 0
        self.in_slot = None         # the name of the card in the slot
        self.tapped = None          # the name of the card last tapped

    def handle(self, ch):
        """One key from getch(); returns False when the simulator should quit."""
        sess = self.sess
        if ch == -1 or ch == curses.KEY_RESIZE:
            return True
        if self.picking:
            self._pick(ch)
            return True
        if ch in (ord("q"), ord("Q")):
            return False
        picker = PICKERS.get(ch)
        if picker is not None:
            if picker == "insert" and sess.term.slot.card is not None:
                sess.status = "%s is in the slot: r takes it out first" % self.in_slot
            else:
                self.picking, self.page = picker, 0
        elif ch in (ord("r"), ord("R")):
            held = [name for name, fake in ((self.in_slot, sess.term.slot), (self.tapped, sess.term.field))
                    if fake.card is not None]
            sess.term.remove()
            self.in_slot = None
            sess.status = "took %s out" % " and ".join(held) if held else "no card to take out"
        elif ch in (ord("s"), ord("S")):
            if sess.term.sign():
                sess.status = "signed on the screen: Enter (确认) takes it, Backspace (清除) wipes it"
            else:
                sess.status = "the terminal is not asking for a signature"
        elif ch in (ord("p"), ord("P")):
            if sess.paper_in:
                sess.term.printer.paper_out()
                sess.status = "paper out"
            else:
                sess.term.printer.paper_in()
                sess.status = "paper loaded"
        elif ch in self.keys:
            sess.term.press(self.keys[ch])
        return True

    def _page(self):
        """The names on the picker's page shown, and the number of pages."""
        names = self.choices[self.picking]
        pages = max(1, (len(names) + PAGE - 1) // PAGE)
        return names[self.page * PAGE:(self.page + 1) * PAGE], pages

    def _pick(self, ch):
        names, pages = self._page()
        if ch in (curses.KEY_DOWN, curses.KEY_UP):
            self.page = (self.page + (1 if ch == curses.KEY_DOWN else -1)) % pages
            return
        verb, self.picking = self.picking, None
        sess = self.sess
        if not ord("1") <= ch < ord("1") + len(names):
            sess.status = {"scan": "no code scanned", "phone-pays": "no phone"}.get(verb, "no card presented")
            return
        name = names[ch - ord("1")]
        if verb == "scan":
            sess.term.scan(name)
            sess.status = "scanned %s" % name
            if not sess.term.app.wants_scan:
                sess.status += ": it waits at the scanner until the terminal asks for a code"
        elif verb == "phone-pays":
            sess.phone_pays(name)
        elif verb == "swipe":
            sess.status = "swiped %s" % name
            if not sess.term.app.wants_card:
                sess.status += ": ignored, the terminal is not asking for a card"
            sess.term.swipe(cards.track2(cards.by_name(name)))
        elif verb == "insert":
            self.in_slot = name
            sess.term.insert(cards.inserted(name))
            sess.status = "inserted %s: it stays in the slot until r" % name
        else:
            self.tapped = name
            sess.term.tap(cards.tapped(name))
            sess.status = "tapped %s: it leaves the field once read (or r)" % name

    def _picker_lines(self, cols):
        """The picker's page as help lines of at most cols cells."""
        names, pages = self._page()
        head = "%s%s:" % (self.picking, "" if pages == 1 else " %d/%d" % (self.page + 1, pages))
        items = [head] + ["%d=%s" % (i + 1, n) for i, n in enumerate(names)]
        if pages > 1:
            items.append("Down/Up=page")
        return pack(items + ["other key: none"], cols)

    def draw(self, win):
        win.erase()
        h, w = win.getmaxyx()
        if h < MIN_ROWS or w < MIN_COLS:
            self._too_small(win, h, w)
            win.refresh()
            return
        sess = self.sess
        scr = sess.term.screen
        rows = scr.rows(LCD_COLS, LCD_ROWS) if scr else []
        sel = scr.selected_row(LCD_COLS) if scr else None
        put(win, 0, 0, "+" + "-" * LCD_COLS + "+")
        for i in range(LCD_ROWS):
            put(win, 1 + i, 0, "|")
            put(win, 1 + i, 1, lcd_row(rows[i] if i < len(rows) else ""),
                curses.A_REVERSE if i == sel else 0)
            put(win, 1 + i, BOX_W - 1, "|")
        put(win, BOX_H - 1, 0, "+" + "-" * LCD_COLS + "+")

        side = w >= RECEIPT_X + RECEIPT_W
        if side:
            self._receipt(win, h, w)
        bottom_w = (RECEIPT_X - 1 if side else w) - 1
        room = h - BOX_H
        status = wrap_words(sess.status, bottom_w) or [""]
        if self.picking:      # the card choice replaces the key help until a key is pressed
            top = self._picker_lines(bottom_w)[:room - 1]
            tail = status[:max(1, room - len(top))][:2]
            attr = curses.A_BOLD
        else:
            held = ["paper: " + ("in" if sess.paper_in else "OUT (p puts it in)")]
            if sess.term.slot.card is not None:
                held.append("slot: %s" % self.in_slot)
            if sess.term.field.card is not None:
                held.append("field: %s" % self.tapped)
            tail = status[:2] + ["  ".join(held)]
            top = pack(HELP, bottom_w)[:max(0, room - len(tail))]
            attr = 0
        for y, line in enumerate(top + tail, BOX_H):
            put(win, y, 0, line, attr if y < BOX_H + len(top) else 0)
        win.refresh()

    def _receipt(self, win, h, w):
        sess = self.sess
        cols = w - RECEIPT_X
        if not sess.last_name:
            put(win, 0, RECEIPT_X, "(no receipt printed yet)")
            return
        put(win, 0, RECEIPT_X, "last receipt: %s/%s.txt" % (sess.out, sess.last_name), curses.A_BOLD)
        lines = sess.last_receipt.splitlines()
        room = h - 1
        if len(lines) > room:
            shown, more = lines[:room - 1], len(lines) - (room - 1)
        else:
            shown, more = lines, 0
        for i, line in enumerate(shown):
            put(win, 1 + i, RECEIPT_X, fit(line, cols))
        if more:
            put(win, 1 + len(shown), RECEIPT_X, "... %d more lines in the file" % more)

    def _too_small(self, win, h, w):
        msg = ("Window too small (%dx%d): the simulator needs at least %dx%d, %d columns "
               "to show receipts beside the LCD. Make the window bigger, or press q to quit."
               % (w, h, MIN_COLS, MIN_ROWS, RECEIPT_X + RECEIPT_W))
        lines = wrap_words(msg, max(1, w - 1))
        for y, line in enumerate(lines[:h]):
            put(win, y, 0, line)


def wrap_words(text, cols):
    """text broken at spaces into lines of at most cols cells (long words cut)."""
    lines, line = [], ""
    for word in text.split():
        cand = word if not line else line + " " + word
        if line and text_cells(cand) > cols:
            lines.append(line)
            line = word
        else:
            line = cand
    if line:
        lines.append(line)
    return [fit(x, cols) for x in lines]


def _loop(win, sess):
    try:
        curses.curs_set(0)
    except curses.error:
        pass
    if hasattr(curses, "set_escdelay"):
        curses.set_escdelay(25)        # Esc is 取消: act on it at once, not after 1 s
    win.keypad(True)
    win.timeout(0)
    ui = Ui(sess)
    while True:
        sess.term.run_for(TICK_MS / 1000)
        ui.draw(win)
        ch = win.getch()
        while ch != -1:
            if not ui.handle(ch):
                return
            ch = win.getch()


class _Stop(Exception):
    pass


def _stop(signum, frame):
    raise _Stop(signum)


def main(args):
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print("the interactive simulator needs a terminal; headless: python -m tools.sim --scenario FILE",
              file=sys.stderr)
        return 2
    os.environ.setdefault("ESCDELAY", "25")        # curses before Python 3.9
    try:
        from tools.acquirer.testing import AcquirerStartError
    except ImportError:
        AcquirerStartError = RuntimeError
    try:
        sess = Session(args)
    except (AcquirerStartError, NotSimulatorFiles) as e:
        print("simulator: %s" % e, file=sys.stderr)
        return 1
    # A closed window (SIGHUP) or kill (SIGTERM) still stops the acquirer.
    old = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    status = 0
    try:
        curses.wrapper(_loop, sess)
    except KeyboardInterrupt:
        pass
    except _Stop:
        status = 1
    except curses.error:
        if not isinstance(sys.exc_info()[1].__context__, _Stop):
            raise
        status = 1                                  # the terminal went away under us
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sess.close()
    if status == 0:
        print("receipts in %s/ (last: %s), flash in %s/%s"
              % (sess.out, sess.last_name or "none this run", sess.state,
                 ", host's store in %s/" % sess.host_store if sess.host_store else ""))
    return status
