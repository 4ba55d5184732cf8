"""The interactive simulator (tools/sim/interactive.py) driven without a person.

The key handling and the drawing are driven with a fake curses window that
fails like curses does when text goes past its edge; one run of the real
program in a pseudo-terminal checks it starts, draws Chinese and quits
leaving the terminal as it found it. The acquirer is started here, on
127.0.0.1, and stopped at the end.
"""
import argparse
import curses
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from tools.sim import interactive
from tools.sim.interactive import Session, Ui, term_width

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeWindow:
    """A curses window of h x w cells; wide characters take two cells.

    addstr past the right edge or into the bottom-right cell records an
    overflow and raises curses.error, as curses would."""

    def __init__(self, h, w):
        self.h, self.w = h, w
        self.overflows = []
        self.erase()

    def getmaxyx(self):
        return self.h, self.w

    def erase(self):
        self.cells = [[" "] * self.w for _ in range(self.h)]
        self.attrs = [[0] * self.w for _ in range(self.h)]

    def refresh(self):
        pass

    def addstr(self, y, x, text, attr=0):
        need = sum(term_width(ch) for ch in text)
        if not (0 <= y < self.h and 0 <= x and x + need <= self.w) or \
                (y == self.h - 1 and x + need == self.w):
            self.overflows.append((y, x, text))
            raise curses.error("addwstr() returned ERR")
        for ch in text:
            cw = term_width(ch)
            self.cells[y][x] = ch
            self.attrs[y][x] = attr
            if cw == 2:
                self.cells[y][x + 1] = ""       # the right half of a wide character
                self.attrs[y][x + 1] = attr
            x += cw

    def row(self, y):
        return "".join(self.cells[y])

    def text(self):
        return "\n".join(self.row(y) for y in range(self.h))

    def cell_text(self, y, x0, x1):
        return "".join(self.cells[y][x0:x1])


@pytest.fixture
def acquirer(tmp_path):
    from tools.acquirer.testing import start_acquirer, stop_acquirer
    process, port = start_acquirer(str(tmp_path / "acquirer.db"))
    try:
        yield ("127.0.0.1", port)
    finally:
        stop_acquirer(process)
    assert process.poll() is not None


@pytest.fixture
def session(tmp_path, acquirer):
    args = argparse.Namespace(host=acquirer, state=str(tmp_path / "flash"), out=str(tmp_path / "out"),
                              host_store=None, fresh=False)
    sess = Session(args)
    try:
        yield sess
    finally:
        sess.close()


def _press(ui, win, *keys):
    """Keys as getch() gives them (str: its characters; int: a curses code), each one taken by the
    terminal before the next."""
    for k in keys:
        for code in ([ord(c) for c in k] if isinstance(k, str) else [k]):
            ui.draw(win)
            assert ui.handle(code) is True
            ui.sess.term.settle(passes=0)
    ui.draw(win)


def _wait(ui, win, text, secs=10):
    """Run the terminal until text is on the LCD."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        ui.sess.term.run_for(0.02)
        ui.draw(win)
        if text in ui.sess.term.screen.text():
            return
    raise AssertionError("no %r on the LCD:\n%s" % (text, win.text()))


def _lcd(win):
    """The LCD rows as drawn inside the frame."""
    return [win.cell_text(1 + i, 1, 41) for i in range(15)]


def test_sale_through_the_keyboard(session, tmp_path):
    ui = Ui(session)
    win = FakeWindow(45, 120)
    _wait(ui, win, "操作员号")
    _press(ui, win, "01", 10, "0000", 10)
    _wait(ui, win, "欢迎使用")
    _press(ui, win, 10, "1")
    _wait(ui, win, "请输入金额")
    _press(ui, win, "129", curses.KEY_BACKSPACE, "345")
    assert "123.45" in session.term.screen.text()
    _press(ui, win, curses.KEY_ENTER)
    _wait(ui, win, "插卡或刷卡")

    _press(ui, win, "c")
    assert "1=good" in win.text() and "2=poor" in win.text()
    _press(ui, win, "1")
    _wait(ui, win, "请输入密码")
    assert "swiped good" in win.text()
    _press(ui, win, "123456", 13)
    _wait(ui, win, "请撕下商户存根")          # the merchant copy is out

    _press(ui, win, "p")                      # paper out before the cardholder copy
    assert "paper: OUT" in win.text()
    _press(ui, win, 10)
    _wait(ui, win, "缺纸")
    _press(ui, win, "p")                      # paper back in: the copy prints
    _wait(ui, win, "授权码")
    assert "交易成功" in session.term.screen.text()

    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == ["receipt-001.bin", "receipt-001.txt",
                                       "receipt-002.bin", "receipt-002.txt"]
    merchant = (out / "receipt-001.txt").read_text(encoding="utf-8")
    holder = (out / "receipt-002.txt").read_text(encoding="utf-8")
    assert "商户存根" in merchant and "RMB 123.45" in merchant
    assert "持卡人存根" in holder and "RMB 123.45" in holder
    from tools.sim import cards
    assert cards.by_name("good")["pan"] not in merchant + holder
    from tools.sim.render import escpos_to_rows
    for name in ("receipt-001.bin", "receipt-002.bin"):
        data = (out / name).read_bytes()
        status = b"\x10\x04\x04\x10\x04\x03"   # the driver asks for the paper and errors before and after
        assert data.startswith(status + b"\x1b@") and data.endswith(b"\x1dV\x01" + status)
        assert len(escpos_to_rows(data)) > 500     # a whole slip, 384 dots wide

    # The LCD in its frame: Chinese two cells wide, the frame straight.
    lcd = _lcd(win)
    assert lcd[0].strip() == "交易成功"
    assert any("RMB 123.45" in r for r in lcd)
    for i in range(15):
        assert win.row(1 + i)[0] == "|" and win.cell_text(1 + i, 41, 42) == "|", win.text()
    # The last receipt beside the LCD.
    assert "持卡人存根 CARDHOLDER COPY" in win.text()
    assert win.overflows == []

    # Esc is 取消 at once.
    _press(ui, win, 10)
    _wait(ui, win, "欢迎使用")
    _press(ui, win, 10, "1", "5", 27)
    _wait(ui, win, "欢迎使用")
    _press(ui, win, "c", "1")                  # a card at the idle screen starts 消费 with it
    _wait(ui, win, "请输入金额")
    _press(ui, win, 27)
    _wait(ui, win, "欢迎使用")
    assert ui.handle(ord("q")) is False


def test_chip_cards_inserted_removed_and_tapped_through_the_keyboard(session):
    ui = Ui(session)
    win = FakeWindow(45, 120)
    _wait(ui, win, "操作员号")
    _press(ui, win, "01", 10, "0000", 10)
    _wait(ui, win, "欢迎使用")
    _press(ui, win, "c")                      # every test card to swipe, on two pages
    assert "swipe 1/2:" in win.text() and "9=chip " in win.text() and "chip_poor" not in win.text()
    _press(ui, win, curses.KEY_DOWN)
    assert "swipe 2/2:" in win.text() and "1=chip_poor" in win.text() and "7=tap_credit" in win.text()
    _press(ui, win, 27)                       # any other key: no card, and the terminal does not see it
    assert "no card presented" in win.text() and "欢迎使用" in session.term.screen.text()

    _press(ui, win, 10, "1", "2500", 10)
    _wait(ui, win, "请插卡或刷卡")
    _press(ui, win, "i")
    assert "insert:" in win.text() and "1=chip" in win.text() and "5=chip_dead" in win.text()
    assert "tap_credit" not in win.text()
    _press(ui, win, "1")
    _wait(ui, win, "请输入密码")
    assert "inserted chip" in win.text() and "slot: chip" in win.text()
    _press(ui, win, "i")
    assert "chip is in the slot" in win.text() and not ui.picking
    _press(ui, win, "123456", 10)
    _wait(ui, win, "请撕下商户存根")
    _press(ui, win, 10)
    _wait(ui, win, "授权码")
    _press(ui, win, 10)
    _wait(ui, win, "请拔卡")
    _press(ui, win, "r")
    _wait(ui, win, "欢迎使用")
    assert "took chip out" in win.text() and "slot:" not in win.text()

    _press(ui, win, 10, "1", "500", 10)
    _wait(ui, win, "请挥卡")
    _press(ui, win, "t")
    assert "tap:" in win.text() and "1=tap" in win.text() and "2=tap_credit" in win.text()
    _press(ui, win, "1")
    _wait(ui, win, "请撕下商户存根")          # 5.00: no PIN
    assert session.term.field.card is None and "field:" not in win.text()
    assert "/C" in session.last_receipt


@pytest.mark.parametrize("size", [(15, 60), (20, 42), (21, 41), (5, 30), (1, 1), (24, 80), (21, 42), (45, 92)])
def test_any_window_size_draws_without_error(session, size):
    ui = Ui(session)
    win = FakeWindow(*size)
    ui.draw(win)
    ui.picking = "swipe"
    ui.draw(win)
    assert win.overflows == []
    h, w = size
    if h < interactive.MIN_ROWS or w < interactive.MIN_COLS:
        if w >= 20 and h >= 2:
            assert "Window too small" in win.text()
    else:
        assert "操作员登录" in win.text()
        assert "1=good" in win.text()       # the card choice is shown whole
        assert "8=badtrack" in win.text()


def _read_until(fd, proc, marker, secs):
    buf = b""
    deadline = time.monotonic() + secs
    while marker not in buf and time.monotonic() < deadline and proc.poll() is None:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
    return buf


def test_real_terminal_starts_and_quits_clean(tmp_path, acquirer):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 120, 0, 0))
    before = termios.tcgetattr(slave)
    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.sim", "--host", "%s:%d" % acquirer,
         "--state", str(tmp_path / "flash"), "--out", str(tmp_path / "out")],
        cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    try:
        seen = _read_until(master, proc, "操作员登录".encode(), 15)
        assert "操作员登录".encode() in seen, seen[-2000:]
        os.write(master, b"q")
        seen += _read_until(master, proc, b"flash in", 10)
        assert proc.wait(10) == 0
        assert b"\x1b[?1049l" in seen            # the screen the user had is back
        assert b"Traceback" not in seen
        assert termios.tcgetattr(slave) == before
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)


def _own_session(tmp_path, fresh=False):
    """A session that starts its acquirer on its own store, as `make sim` does."""
    args = argparse.Namespace(host=None, state=str(tmp_path / "flash"), out=str(tmp_path / "out"),
                              host_store=str(tmp_path / "host"), fresh=fresh)
    return Session(args)


def _log_in(sess):
    ui, win = Ui(sess), FakeWindow(45, 120)
    _wait(ui, win, "操作员号")
    _press(ui, win, "01", 10, "0000", 10)
    _wait(ui, win, "欢迎使用")
    return ui, win


def test_the_terminal_runs_on_chinas_time_and_the_acquirer_agrees_at_sign_in(tmp_path, monkeypatch):
    from drivers.rtc import from_utc
    from pos import clock
    monkeypatch.setenv("TZ", "EST5EDT")          # the acquirer's machine 12 or 13 hours behind China
    sess = _own_session(tmp_path)
    try:
        _log_in(sess)
        app = sess.term.app
        assert app.signed_in and app.settings["clock_offset"] == 0     # the host's time was the terminal's
        assert abs(app.clock() - from_utc(time.time())) <= 2
        assert clock.display(app.clock())[:10] in sess.term.screen.text()
    finally:
        sess.close()


def _sale(ui, win):
    _press(ui, win, 10, "1", "2500", 10)
    _wait(ui, win, "插卡或刷卡")
    _press(ui, win, "c", "1")
    _wait(ui, win, "请输入密码")
    _press(ui, win, "123456", 10)
    _wait(ui, win, "请撕下商户存根")
    _press(ui, win, 10)
    _wait(ui, win, "授权码")


def _host_sales(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tools.acquirer", "transactions", "--db",
                          str(tmp_path / "host" / "acquirer.db")], capture_output=True, text=True, check=True, cwd=ROOT)
    return [t for t in json.loads(out.stdout) if t["type"] == "sale"]


def test_the_flash_and_the_hosts_store_are_kept_between_runs_and_fresh_starts_both_afresh(tmp_path):
    from pos.journal import Journal
    sess = _own_session(tmp_path)
    try:
        _sale(*_log_in(sess))
    finally:
        sess.close()
    sess = _own_session(tmp_path)
    try:
        _log_in(sess)
        assert [r["amt"] for r in Journal(sess.state).records() if r.get("k") == "sale"] == [2500]
    finally:
        sess.close()
    assert [t["amount_fen"] for t in _host_sales(tmp_path)] == [2500]

    sess = _own_session(tmp_path, fresh=True)
    try:
        _log_in(sess)
        assert not [r for r in Journal(sess.state).records() if r.get("k") == "sale"]
    finally:
        sess.close()
    assert _host_sales(tmp_path) == []


def test_fresh_removes_only_what_the_simulator_made(tmp_path):
    (tmp_path / "flash").mkdir()
    (tmp_path / "flash" / "notes.txt").write_text("mine")
    with pytest.raises(interactive.NotSimulatorFiles):
        _own_session(tmp_path, fresh=True)
    assert (tmp_path / "flash" / "notes.txt").read_text() == "mine"


def test_a_sale_signed_with_s_shows_in_the_back_office_make_sim_serves(tmp_path):
    """`make sim` serves the back-office beside its acquirer, with the test merchant's user; `s` signs."""
    import http.cookiejar
    import urllib.request
    sess = _own_session(tmp_path)
    try:
        port = sess.acquirer.web_port
        assert "back-office http://127.0.0.1:%d (shop / shop1234)" % port in sess.status
        ui, win = _log_in(sess)
        _press(ui, win, 10, "1", "150000", 10)
        _wait(ui, win, "插卡或刷卡")
        _press(ui, win, "c", "1")
        _wait(ui, win, "请输入密码")
        _press(ui, win, "123456", 10)
        _wait(ui, win, "请持卡人签名")
        _press(ui, win, "s")
        assert "signed on the screen" in sess.status
        sess.term.settle()
        _press(ui, win, 10)
        _wait(ui, win, "请撕下商户存根")
        sess.term.app.receipts_at = sess.term.app.clock()      # the sync interval, not waited for here
        _press(ui, win, 10)
        _wait(ui, win, "授权码")
        _press(ui, win, 10)
        _wait(ui, win, "欢迎使用")
        sess.term.run_for(3)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        opener.open(urllib.request.Request("http://127.0.0.1:%d/api/login" % port,
                                           json.dumps({"user": "shop", "password": "shop1234"}).encode(),
                                           {"Content-Type": "application/json"}), timeout=10).read()
        listed = json.loads(opener.open("http://127.0.0.1:%d/api/receipts" % port, timeout=10).read())
        assert [(r["amount"], r["signed"]) for r in listed["receipts"]] == [("1500.00", True)]
    finally:
        sess.close()


def test_m_holds_a_test_payment_code_to_the_scanner_and_w_lets_a_phone_pay_the_qr_code_on_the_lcd(tmp_path,
                                                                                                   monkeypatch):
    import types
    import tools.acquirer
    from pos import qr
    paid = []
    wallet = types.ModuleType("tools.acquirer.wallet")       # the acquirer's wallet gateway, stood in for
    wallet.phone_pays = lambda host, text, name, now: paid.append((text, name)) or "paid"
    monkeypatch.setitem(sys.modules, "tools.acquirer.wallet", wallet)
    monkeypatch.setattr(tools.acquirer, "wallet", wallet, raising=False)
    sess = _own_session(tmp_path)
    try:
        ui, win = _log_in(sess)
        assert "m=scan pay code" in win.text() and "w=phone pays QR" in win.text()
        _press(ui, win, "m")
        assert "scan:" in win.text() and "1=134567890123456781" in win.text() and "5=624567890123456785" in win.text()
        _press(ui, win, "2")
        assert "scanned 284567890123456782" in win.text() and not ui.picking
        _press(ui, win, "w")
        assert "phone-pays:" in win.text() and "3=wallet_poor" in win.text()
        _press(ui, win, "1")
        assert "the phone sees no QR code on the LCD" in win.text() and paid == []
        code = qr.encode("https://qr.acquirer.test/o/Q7")
        qr.draw(code, sess.term.shell.parts["lcd"].fill_rect, 100, 40, 4)
        _press(ui, win, "w", "3")
        assert paid == [("https://qr.acquirer.test/o/Q7", "wallet_poor")]
        assert "the phone read https://qr.acquirer.test/o/Q7; wallet_poor: paid" in sess.status
    finally:
        sess.close()
