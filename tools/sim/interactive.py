"""The simulator in a terminal window: the LCD drawn with curses, keys on the keyboard."""
import curses
import os
import sys
import time

from tools.sim import cards
from tools.sim.devices import Printer, SimClock
from tools.sim.terminal import SimTerminal

HELP = ("0-9 digits  Enter=确认  Backspace=更正  Esc=取消  F1-F4  arrows  "
        "c=present a test card  p=paper out/in  q=quit")


def _keymap():
    m = {curses.KEY_ENTER: "ENTER", 10: "ENTER", 13: "ENTER", 27: "CANCEL",
         curses.KEY_BACKSPACE: "CLEAR", 127: "CLEAR", 8: "CLEAR",
         curses.KEY_UP: "UP", curses.KEY_DOWN: "DOWN"}
    for i in range(4):
        m[curses.KEY_F1 + i] = "F%d" % (i + 1)
    for d in "0123456789":
        m[ord(d)] = d
    return m


class Session:
    def __init__(self, args):
        from tools.sim.scenario import Runner
        # Reuse the scenario runner's acquirer handling and flash directory.
        self.runner = Runner(args.host, args.state or "sim-state")
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        self.clock = SimClock(int(time.time()) + 8 * 3600, real=True)
        self.printer = Printer()
        self.receipts = 0
        self.last_receipt = ""
        self.term = SimTerminal(self.runner.state_dir, self.clock, self.runner.host_addr, cards.provision(),
                                self.printer, self._printed)
        self.term.answer_wait = 0.05

    def _printed(self, job):
        self.receipts += 1
        base = os.path.join(self.out, "receipt-%03d" % self.receipts)
        with open(base + ".txt", "w", encoding="utf-8") as f:
            f.write(job[0] + "\n")
        with open(base + ".bin", "wb") as f:
            f.write(job[1])
        self.last_receipt = job[0]


def _draw(win, sess, status):
    win.erase()
    rows = sess.term.screen.rows() if sess.term.screen else []
    sel = sess.term.screen.selected_row() if sess.term.screen else None
    win.addstr(0, 0, "+" + "-" * 40 + "+")
    for i, row in enumerate(rows):
        attr = curses.A_REVERSE if i == sel else 0
        win.addstr(1 + i, 0, "|")
        win.addstr(1 + i, 1, row, attr)
        win.addstr(1 + i, 41, "|")
    win.addstr(16, 0, "+" + "-" * 40 + "+")
    win.addstr(17, 0, HELP[: max(10, curses.COLS - 1)])
    win.addstr(18, 0, status[: max(10, curses.COLS - 1)])
    maxy = curses.LINES - 1
    y = 0
    for line in sess.last_receipt.splitlines():
        if y >= maxy:
            break
        if curses.COLS > 95:
            win.addstr(y, 46, line[: curses.COLS - 47])
        y += 1
    win.refresh()


def _pick_card(win):
    names = [c["name"] for c in cards.load()["cards"]]
    win.addstr(19, 0, "card: " + "  ".join("%d=%s" % (i + 1, n) for i, n in enumerate(names)))
    win.refresh()
    win.timeout(-1)
    ch = win.getch()
    win.timeout(100)
    if ord("1") <= ch < ord("1") + len(names):
        return names[ch - ord("1")]
    return None


def _loop(win, sess):
    curses.curs_set(0)
    win.keypad(True)
    win.timeout(100)
    keys = _keymap()
    status = "receipts are saved in %s/" % sess.out
    while True:
        sess.term.tick()
        _draw(win, sess, status)
        ch = win.getch()
        if ch == -1:
            continue
        if ch == ord("q"):
            return
        if ch == ord("c"):
            name = _pick_card(win)
            if name:
                sess.term.card(("swipe", cards.track2(cards.by_name(name))))
                status = "swiped %s" % name
        elif ch == ord("p"):
            if sess.printer.paper_lines == 0:
                sess.printer.paper_lines = None
                sess.term.paper_loaded()
                status = "paper loaded"
            else:
                sess.printer.paper_lines = 0
                status = "paper out"
        elif ch in keys:
            sess.term.key(keys[ch])


def main(args):
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print("the interactive simulator needs a terminal; headless: python -m tools.sim --scenario FILE",
              file=sys.stderr)
        return 2
    sess = Session(args)
    try:
        curses.wrapper(_loop, sess)
    finally:
        sess.term.power_loss()
        sess.runner.close()
    return 0
