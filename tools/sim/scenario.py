"""Scenario files: parse them strictly, run them against a simulated terminal.

See docs/scenarios.md for the format.
"""
import calendar
import os
import shutil
import signal
import tempfile
import time

from tools.sim import cards
from tools.sim.clock import SimClock
from tools.sim.terminal import SimTerminal

KEYS = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "ENTER", "CANCEL", "CLEAR",
        "F1", "F2", "F3", "F4", "UP", "DOWN"}
EXPECT_WAIT = 30          # simulated seconds an expectation may wait
START = calendar.timegm((2026, 11, 23, 10, 0, 0, 0, 0, 0))   # headless runs start at this local time

# verb -> (min args, max args); None: the rest of the line is one argument
VERBS = {
    "power-on": (0, 0), "keys": (1, 64), "type": (1, 1), "swipe": (1, 1), "pin": (1, 1),
    "advance": (1, 1), "expect": None, "paper": (1, 2), "host": (1, 1), "kill": (0, 0), "select": None,
    "insert": (1, 1), "remove": (0, 0), "tap": (1, 1), "sign": (0, 0), "scan": (1, 1), "phone-pays": (1, 1),
}
MAX_CODE = 64             # characters of a code `scan` holds to the scanner


class ScenarioError(Exception):
    """The scenario file itself is wrong (exit status 2)."""


class ExpectationFailed(Exception):
    """An expectation did not hold (exit status 1)."""


def parse(text):
    """[(line number, verb, args)]; raises ScenarioError naming the line."""
    steps = []
    names = {"swipe": {c["name"] for c in cards.load()["cards"]}, "insert": cards.chip_names("contact"),
             "tap": cards.chip_names("contactless"), "phone-pays": cards.phone_wallets()}
    in_slot = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if verb not in VERBS:
            raise ScenarioError("line %d: unknown verb %r" % (n, verb))
        arity = VERBS[verb]
        if arity is None:
            if not rest:
                raise ScenarioError("line %d: %s needs an argument" % (n, verb))
            args = [rest]
        else:
            args = rest.split() if rest else []
            if not arity[0] <= len(args) <= arity[1]:
                raise ScenarioError("line %d: %s takes %d to %d arguments" % (n, verb, arity[0], arity[1]))
        _check(n, verb, args, names)
        if verb == "insert" and in_slot:
            raise ScenarioError("line %d: a card is in the slot already (remove it first)" % n)
        in_slot = verb == "insert" or in_slot and verb != "remove"
        steps.append((n, verb, args))
    return steps


def _check(n, verb, args, names):
    def bad(msg):
        raise ScenarioError("line %d: %s" % (n, msg))
    if verb == "keys":
        for k in args:
            if k not in KEYS:
                bad("unknown key %r" % k)
    elif verb in ("type", "pin") and not args[0].isdigit():
        bad("%s takes digits" % verb)
    elif verb == "swipe" and args[0] not in names["swipe"]:
        bad("no test card %r" % args[0])
    elif verb == "insert" and args[0] not in names["insert"]:
        bad("no contact chip card %r (%s)" % (args[0], ", ".join(names["insert"])))
    elif verb == "tap" and args[0] not in names["tap"]:
        bad("no contactless card %r (%s)" % (args[0], ", ".join(names["tap"])))
    elif verb == "scan" and not (len(args[0]) <= MAX_CODE and args[0].isprintable()):
        bad("scan takes a code of 1 to %d printable characters" % MAX_CODE)
    elif verb == "phone-pays" and args[0] not in names["phone-pays"]:
        bad("no test wallet %r (%s)" % (args[0], ", ".join(names["phone-pays"])))
    elif verb == "advance" and not (args[0].isdigit() and 0 < int(args[0]) <= 86400):
        bad("advance takes seconds, 1 to 86400")
    elif verb == "paper":
        if args[0] not in ("out", "in", "low") or (args[0] == "low") != (len(args) == 2):
            bad("paper out | paper in | paper low N")
        if args[0] == "low" and not args[1].isdigit():
            bad("paper low takes a line count")
    elif verb == "host" and args[0] not in ("stop", "start", "pause", "resume"):
        bad("host stop | start | pause | resume")
    elif verb == "expect":
        what, _, text = args[0].partition(" ")
        if what not in ("screen", "receipt", "no-screen", "receipts") or not text.strip():
            bad("expect screen TEXT | expect no-screen TEXT | expect receipt TEXT | expect receipts N")
        if what == "receipts" and not text.strip().isdigit():
            bad("expect receipts takes a number")


class Runner:
    """Runs scenario steps; starts its own acquirer unless given host_addr.

    answer_wait: real seconds a step waits for the host's answer before it goes on (the answer's
    timeout itself runs on the simulated clock); 0.3 while the acquirer is paused.
    """

    def __init__(self, host_addr=None, state_dir=None, snapshots=None, log=None, answer_wait=10.0, web=False):
        self.log = log or (lambda s: None)
        self.web = web                  # the acquirer serves its back-office too (process.web_port)
        self.answer_wait = answer_wait
        self.tmp = tempfile.mkdtemp(prefix="pos-sim-")
        self.state_dir = state_dir or os.path.join(self.tmp, "flash")
        os.makedirs(self.state_dir, exist_ok=True)
        self.snapshots = snapshots
        if snapshots:
            os.makedirs(snapshots, exist_ok=True)
        self.acquirer = None
        self.paused = False
        self.db = self.clock_file = None
        self.clock = SimClock(START)
        if host_addr is None:
            from tools.acquirer.testing import start_acquirer
            self.db = os.path.join(self.tmp, "acquirer.db")
            self.clock_file = os.path.join(self.tmp, "clock")
            try:
                self._write_clock()
                self.acquirer, port = start_acquirer(self.db, extra_args=self._host_clock(START), web=web)
            except BaseException:
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise
            host_addr = ("127.0.0.1", port)
        self.host_addr = host_addr
        self.terminal = SimTerminal(self.state_dir, host_addr, self.clock, self._printed)
        self._answer_wait()
        self.printer = self.terminal.printer        # every copy printed in this run
        self.jobs = 0
        self.snap_no = 0

    def _host_clock(self, secs):
        """The acquirer's --clock for the simulated local time secs, so slips and screens agree, and
        its --clock-file, which it reads the simulated time from at each use."""
        return ["--clock", _iso(secs), "--clock-file", self.clock_file]

    def _write_clock(self):
        """The simulated local time into the clock file, whole (renamed over the last one)."""
        if self.clock_file is not None:
            with open(self.clock_file + ".new", "w") as f:
                f.write(_iso(self.clock.now()))
            os.replace(self.clock_file + ".new", self.clock_file)

    def close(self):
        self.terminal.close()
        if self.acquirer is not None:
            from tools.acquirer.testing import stop_acquirer
            if self.paused:
                self.acquirer.send_signal(signal.SIGCONT)
            stop_acquirer(self.acquirer)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, steps):
        for n, verb, args in steps:
            self.log("%d: %s %s" % (n, verb, " ".join(args)))
            self.step(n, verb, args)
            self._snapshot(verb)

    def _need_terminal(self, n):
        if not self.terminal.on:
            raise ExpectationFailed("line %d: the terminal is off (power-on first)" % n)
        return self.terminal

    def _keys(self, n, keys):
        term = self._need_terminal(n)
        for k in keys:
            term.press(k)
            term.settle(passes=0)

    def step(self, n, verb, args):
        if verb == "power-on":
            self.terminal.power_on()
            self.terminal.settle()
        elif verb == "kill":
            self.terminal.power_off()
        elif verb == "keys":
            self._keys(n, args)
        elif verb == "type":
            self._keys(n, args[0])
        elif verb == "pin":
            self._keys(n, list(args[0]) + ["ENTER"])
        elif verb == "swipe":
            self._need_terminal(n).swipe(cards.track2(cards.by_name(args[0])))
            self.terminal.settle(passes=0)
        elif verb == "insert":                 # a card may wait in the slot of a terminal that is off
            self.terminal.insert(cards.inserted(args[0]))
            self.terminal.settle(passes=0)
        elif verb == "tap":
            self._need_terminal(n).tap(cards.tapped(args[0]))
            self.terminal.settle(passes=0)
        elif verb == "remove":
            self.terminal.remove()
            self.terminal.settle(passes=0)
        elif verb == "scan":
            self._need_terminal(n).scan(args[0])
            self.terminal.settle(passes=0)
        elif verb == "phone-pays":
            self._phone_pays(n, args[0])
        elif verb == "sign":
            if not self._need_terminal(n).sign():
                raise ExpectationFailed("line %d: sign, but the terminal is not asking for a signature" % n)
            self.terminal.settle()
        elif verb == "advance":
            for _ in range(int(args[0])):
                self._second()
        elif verb == "paper":
            self._paper(args)
        elif verb == "host":
            self._host(n, args[0])
        elif verb == "select":
            self._select(n, args[0])
        elif verb == "expect":
            self._expect(n, args[0])

    def _second(self):
        self.clock.advance(1)
        self._write_clock()
        self.terminal.settle()

    def _phone_pays(self, n, wallet):
        if self.db is None:
            raise ExpectationFailed("line %d: phone-pays needs the acquirer the simulator started" % n)
        paid = self._need_terminal(n).phone_pays(self.db, wallet)
        if paid is None:
            raise ExpectationFailed("line %d: phone-pays, but there is no QR code on the LCD" % n)
        self.log("%d: the phone read %s, %s: %s" % (n, paid[0], wallet, paid[1]))
        self.terminal.settle()

    def _printed(self, job):
        self.jobs += 1
        if self.snapshots:
            from tools.sim.render import escpos_to_png
            base = os.path.join(self.snapshots, "receipt-%02d" % self.jobs)
            with open(base + ".txt", "w", encoding="utf-8") as f:
                f.write(job[0] + "\n")
            with open(base + ".bin", "wb") as f:
                f.write(job[1])
            escpos_to_png(job[1], base + ".png")

    def _snapshot(self, verb):
        if not self.snapshots or self.terminal.screen is None:
            return
        from tools.sim.render import write_png
        self.snap_no += 1
        # The glass's own pixels, as the shell drew them: a QR code on the screen shows too.
        glass = self.terminal.glass
        grey = glass.grey()
        write_png(os.path.join(self.snapshots, "lcd-%03d-%s.png" % (self.snap_no, verb)), glass.width, glass.height,
                  [grey[y * glass.width:(y + 1) * glass.width] for y in range(glass.height)], bit_depth=8)

    def _paper(self, args):
        if args[0] == "out":
            self.printer.paper_out()
        elif args[0] == "low":
            self.printer.paper_low(int(args[1]))
        else:
            self.printer.paper_in()
        self.terminal.settle()

    def _answer_wait(self):
        self.terminal.answer_wait = min(0.3, self.answer_wait) if self.paused else self.answer_wait

    def _host(self, n, action):
        from tools.acquirer.testing import start_acquirer, stop_acquirer
        if self.acquirer is None and action != "start":
            raise ExpectationFailed("line %d: host %s needs the acquirer the simulator started" % (n, action))
        if action == "stop":
            if self.paused:
                self.acquirer.send_signal(signal.SIGCONT)
                self.paused = False
            stop_acquirer(self.acquirer, kill=True)
            self.acquirer = None
        elif action == "start":
            if self.acquirer is not None:
                return
            self.acquirer, _ = start_acquirer(self.db, port=self.host_addr[1],
                                              extra_args=self._host_clock(self.clock.now()), web=self.web)
        elif action == "pause":
            self.acquirer.send_signal(signal.SIGSTOP)
            self.paused = True
        elif action == "resume":
            self.acquirer.send_signal(signal.SIGCONT)
            self.paused = False
        self._answer_wait()

    def _select(self, n, text):
        """Press the digit of the item whose label holds text, paging on with DOWN if it is not shown."""
        term = self._need_terminal(n)
        seen = set()
        for _ in range(64):
            scr = term.screen
            items = []
            for line in scr.lines if scr else ():
                head, dot, label = line.partition(".")
                if dot and head.isdigit():
                    items.append((head, label))
                    if text in label:
                        self._keys(n, [head])
                        return
            page = tuple(items)
            if not items or page in seen and len(seen) > 1:
                break
            seen.add(page)
            self._keys(n, ["DOWN"])
        raise ExpectationFailed("line %d: no list item %r on the screen" % (n, text))

    def _expect(self, n, arg):
        what, _, text = arg.partition(" ")
        text = text.strip()
        for waited in range(EXPECT_WAIT + 1):
            if self._holds(what, text):
                return
            if waited < EXPECT_WAIT:
                self.terminal.settle(answer_wait=0.05)
                if self._holds(what, text):
                    return
                self._second()
        raise ExpectationFailed("line %d: expected %s %r" % (n, what, text))

    def _holds(self, what, text):
        screen = self.terminal.screen
        if what == "screen":
            return screen is not None and text in screen.text()
        if what == "no-screen":
            return screen is None or text not in screen.text()
        if what == "receipt":
            return text in self.printer.last_text()
        if what == "receipts":
            return len([j for j in self.printer.jobs if j[2]]) == int(text)
        return False

    def describe(self):
        """The screen and the last receipt, for a failure report."""
        out = []
        if self.terminal.screen is not None:
            out.append("screen:")
            out.extend("  |" + r for r in self.terminal.screen.rows())
        else:
            out.append("screen: (terminal off)")
        if self.printer.jobs:
            out.append("last receipt:")
            out.extend("  " + line for line in self.printer.last_text().splitlines())
        return "\n".join(out)


def _iso(secs):
    """Local seconds as the host's clock takes them: 2026-11-23T10:00:05."""
    return "%04d-%02d-%02dT%02d:%02d:%02d" % time.gmtime(secs)[:6]


def run_file(path, host_addr=None, state_dir=None, snapshots=None, log=None):
    """Run a scenario file; returns (exit status, report)."""
    try:
        with open(path, encoding="utf-8") as f:
            steps = parse(f.read())
    except (OSError, UnicodeDecodeError, ScenarioError) as e:
        return 2, "bad scenario: %s" % e
    runner = Runner(host_addr, state_dir, snapshots, log)
    try:
        runner.run(steps)
        return 0, "ok: %s (%d steps)" % (os.path.basename(path), len(steps))
    except ExpectationFailed as e:
        return 1, "FAILED %s %s\n%s" % (os.path.basename(path), e, runner.describe())
    finally:
        runner.close()
