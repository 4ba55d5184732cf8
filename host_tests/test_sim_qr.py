"""The simulator's side of QR payments (扫码): the LCD's glass keeps the pixels the driver draws
(drivers/fakes/lcd.py FakeGlass), so the customer's phone reads the QR code the terminal shows
with zxing-cpp, a decoder written apart from pos.qr; a payment code held to the scanner reaches
the scan engine's fake behind its bridge; the scenario verbs scan and phone-pays parse strictly.
"""
import datetime
import sys
import types

import pytest
import zxingcpp

from drivers.fakes.lcd import FakeBus, FakeGlass
from drivers.lcd import ColorLcd
from drivers.scanner import I2cUart, Scanner
from pos import qr
from pos.font import Font
from test_drivers_display import ColorPanel
from tools.sim import scenario
from tools.sim.clock import SimClock
from tools.sim.terminal import SimBoard, SimTerminal
from vmutil import font_path

ROWS = ["      收款码 QR PAY", "金额:123.45元", "请顾客扫码支付", "1.打印 2.取消"]
ORDER = "https://qr.acquirer.test/o/"
PAY_CODE = "134567890123456781"


class Both(FakeBus):
    """A bus that hands everything to two buses: the glass and the VM tests' panel model."""

    def __init__(self, *buses):
        FakeBus.__init__(self, keep=False)
        self.buses = buses

    def write_cmd(self, cmd, data=b""):
        for bus in self.buses:
            bus.write_cmd(cmd, data)

    def write_data(self, buf):
        for bus in self.buses:
            bus.write_data(buf)


def read(glass):
    """The QR code on the glass as zxing-cpp reads its grey picture, or None."""
    picture = memoryview(glass.grey()).cast("B", (glass.height, glass.width))
    return zxingcpp.read_barcode(picture, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain)


def test_the_glass_holds_the_rows_the_driver_draws_pixel_for_pixel_as_the_panel_model_does():
    glass, panel = FakeGlass(320, 240), ColorPanel(320, 240)
    lcd = ColorLcd(Both(glass, panel), 320, 240, "st7789")
    lcd.init()
    lcd.show(ROWS, 3, Font(font_path()))
    assert panel.shows(ROWS, 3)
    assert all(glass.pixel(x, y) == panel.pixel(x, y) for y in range(240) for x in range(320))
    assert glass.pixel(319, 2 * 16) == 0xFFFF and glass.pixel(319, 3 * 16) == 0x0000    # row 3 is inverted
    assert read(glass) is None


def test_the_grey_picture_is_each_pixels_luma():
    glass = FakeGlass(5, 1)
    glass.write_cmd(0x2A, b"\x00\x00\x00\x04")
    glass.write_cmd(0x2B, b"\x00\x00\x00\x00")
    glass.write_cmd(0x2C)
    glass.write_data(bytes.fromhex("0000 ffff f800 07e0 001f"))       # black, white, red, green, blue
    assert glass.grey() == bytes((0, 255, 76, 150, 29))
    assert [glass.pixel(x, 0) for x in range(5)] == [0x0000, 0xFFFF, 0xF800, 0x07E0, 0x001F]


@pytest.mark.parametrize("version", [1, 3, 6, 10])
def test_a_qr_code_drawn_under_two_text_rows_at_the_largest_scale_reads_back(version):
    payload = (ORDER + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 6)[:qr.capacity(version)]
    code = qr.encode(payload)
    assert code.version == version
    glass = FakeGlass(320, 240)
    lcd = ColorLcd(glass, 320, 240, "st7789")
    lcd.init()
    lcd.show(ROWS[:2], None, Font(font_path()))
    rows = bytes(glass.frame[:320 * 32 * 2])
    x, y, w, h = lcd.rows_area(2, lcd.nrows - 2)
    scale = qr.fit(code, w, h)
    side = (code.size + 2 * qr.QUIET) * scale
    assert scale >= 3 and side + code.size + 2 * qr.QUIET > h      # one more would not fit
    qr.draw(code, lcd.fill_rect, x + (w - side) // 2, y + (h - side) // 2, scale)
    found = read(glass)
    assert found is not None and found.text == payload and found.extra["Version"] == str(version)
    assert glass.frame[:320 * 32 * 2] == rows                           # the text rows above are untouched


def test_the_glass_refuses_what_no_driver_should_send():
    glass = FakeGlass(16, 16)
    with pytest.raises(ValueError):
        glass.write_cmd(0x2A, b"\x00\x00\x00\x10")                    # column 16 of a 16-pixel glass
    with pytest.raises(ValueError):
        glass.write_cmd(0x2B, b"\x00\x05\x00\x04")                    # ends before it starts
    glass.write_cmd(0x2A, b"\x00\x00\x00\x01")
    glass.write_cmd(0x2B, b"\x00\x00\x00\x00")
    glass.write_cmd(0x2C)
    with pytest.raises(ValueError):
        glass.write_data(b"\xff\xff\xff")                               # a pixel and a half
    glass.write_cmd(0x2C)
    with pytest.raises(ValueError):
        glass.write_data(b"\xff\xff" * 3)                               # the window holds 2
    glass.write_cmd(0x36, b"\x60")
    glass.write_data(b"\x12\x34")                                       # a parameter, not a pixel
    assert glass.pixel(0, 0) == glass.pixel(1, 0) == 0xFFFF


@pytest.fixture
def terminal(tmp_path):
    """The simulated terminal with no acquirer in reach: it boots to the login screen."""
    term = SimTerminal(str(tmp_path / "flash"), ("127.0.0.1", 9), SimClock(scenario.START))
    try:
        term.power_on()
        term.settle()
        yield term
    finally:
        term.close()


def test_the_phone_reads_the_qr_code_on_the_simulated_lcd_and_nothing_else(terminal):
    assert "操作员号" in terminal.screen.text() and terminal.phone_sees() is None
    lcd = terminal.shell.parts["lcd"]
    code = qr.encode(ORDER + "Q20261123100000000001")
    qr.draw(code, lcd.fill_rect, 62, 32, qr.fit(code, 320, 208))
    assert terminal.phone_sees() == ORDER + "Q20261123100000000001"
    terminal.power_off()
    assert terminal.phone_sees() is None                               # a dark glass


def test_the_phone_pays_the_order_on_the_lcd_with_the_wallet_named_at_the_simulated_time(terminal, tmp_path,
                                                                                        monkeypatch):
    import tools.acquirer
    from tools.acquirer import store
    paid = []
    wallet = types.ModuleType("tools.acquirer.wallet")       # the acquirer's wallet gateway, stood in for
    wallet.phone_pays = lambda host, text, name, now: paid.append((type(host), text, name, now)) or "paid"
    monkeypatch.setitem(sys.modules, "tools.acquirer.wallet", wallet)
    monkeypatch.setattr(tools.acquirer, "wallet", wallet, raising=False)
    db = str(tmp_path / "acquirer.db")
    assert terminal.phone_pays(db, "wallet_ok") is None and paid == []
    code = qr.encode(ORDER + "Q1")
    qr.draw(code, terminal.shell.parts["lcd"].fill_rect, 100, 40, 4)
    terminal.clock.advance(5)
    assert terminal.phone_pays(db, "wallet_slow") == (ORDER + "Q1", "paid")
    assert paid == [(store.Store, ORDER + "Q1", "wallet_slow", datetime.datetime(2026, 11, 23, 10, 0, 5))]


def test_phone_pays_fails_the_run_with_a_host_the_simulator_did_not_start(tmp_path):
    runner = scenario.Runner(("127.0.0.1", 9), state_dir=str(tmp_path / "flash"))
    try:
        runner.run(scenario.parse("power-on\n"))
        with pytest.raises(scenario.ExpectationFailed, match="line 2: phone-pays needs the acquirer the simulator"):
            runner.run(scenario.parse("power-on\nphone-pays wallet_ok\n"))
    finally:
        runner.close()


def test_the_hosts_clock_file_follows_the_simulated_clock(tmp_path):
    runner = scenario.Runner(state_dir=str(tmp_path / "flash"))
    try:
        args = runner.acquirer.args
        assert args[args.index("--clock-file") + 1] == runner.clock_file
        with open(runner.clock_file) as f:
            assert f.read() == "2026-11-23T10:00:00"
        runner.run(scenario.parse("power-on\nadvance 5\n"))
        with open(runner.clock_file) as f:
            assert f.read() == "2026-11-23T10:00:05"
    finally:
        runner.close()


def test_a_code_held_to_the_scanner_reaches_the_engine_behind_the_bridge(terminal):
    terminal.scan(PAY_CODE)
    assert terminal.scanner is terminal.machine.scanner()
    assert terminal.scanner.reads == [PAY_CODE.encode() + b"\r"]
    terminal.settle()                                  # the login screen wants no code: it waits
    assert terminal.scanner.reads == [PAY_CODE.encode() + b"\r"]
    scanner = Scanner(I2cUart(terminal.machine.I2C(), SimBoard.PARTS["scanner"]["addr"]))    # the board's driver
    assert scanner.poll() == ("scan", PAY_CODE) and terminal.scanner.reads == []


def test_the_shell_takes_a_code_held_to_the_scanner_once_the_app_wants_one(terminal, monkeypatch):
    app = terminal.app
    seen = []
    monkeypatch.setattr(type(app), "wants_scan", property(lambda app: True))
    monkeypatch.setattr(app, "scan", seen.append)
    terminal.scan(PAY_CODE)
    terminal.settle(passes=0)
    assert seen == [("scan", PAY_CODE)] and terminal.scanner.reads == []


def test_scan_and_phone_pays_parse():
    steps = scenario.parse("power-on\nscan %s\nscan %s\nphone-pays wallet_ok\nphone-pays wallet_slow\n"
                           "phone-pays wallet_poor\n" % (PAY_CODE, "x" * 64))
    assert [(verb, args) for _, verb, args in steps[1:]] == [
        ("scan", [PAY_CODE]), ("scan", ["x" * 64]), ("phone-pays", ["wallet_ok"]),
        ("phone-pays", ["wallet_slow"]), ("phone-pays", ["wallet_poor"])]


@pytest.mark.parametrize("text, why", [
    ("scan\n", "scan takes 1 to 1 arguments"),
    ("scan   \n", "scan takes 1 to 1 arguments"),
    ("scan 1234 5678\n", "scan takes 1 to 1 arguments"),
    ("scan %s\n" % ("1" * 65), "scan takes a code of 1 to 64 printable characters"),
    ("scan 1234\x1b[31m5678\n", "scan takes a code of 1 to 64 printable characters"),
    ("phone-pays\n", "phone-pays takes 1 to 1 arguments"),
    ("phone-pays wallet_rich\n", "no test wallet 'wallet_rich' (wallet_ok, wallet_slow, wallet_poor)"),
    ("phone-pays wallet_ok wallet_slow\n", "phone-pays takes 1 to 1 arguments"),
])
def test_scan_and_phone_pays_name_a_code_and_a_test_wallet_and_the_bad_line(text, why):
    with pytest.raises(scenario.ScenarioError) as e:
        scenario.parse("power-on\n" + text)
    assert why in str(e.value) and "line 2" in str(e.value)


def test_the_snapshots_are_the_glass_so_a_phone_reads_the_code_in_them_too(tmp_path):
    import struct
    import zlib
    text = """power-on
type 01
keys ENTER
type 0000
keys ENTER
expect screen 欢迎使用
keys ENTER
select 扫码
select 收款码
type 600
keys ENTER
expect screen 请顾客扫码付款
"""
    runner = scenario.Runner(state_dir=str(tmp_path / "flash"), snapshots=str(tmp_path / "snaps"))
    try:
        runner.run(scenario.parse(text))
        shown = runner.terminal.phone_sees()
    finally:
        runner.close()
    last = sorted((tmp_path / "snaps").glob("lcd-*.png"))[-1].read_bytes()
    width, height, depth = struct.unpack(">IIB", last[16:25])
    assert (width, height, depth) == (320, 240, 8)
    idat, at = b"", 8
    while at < len(last):                                   # the chunks: length, kind, data, CRC
        size, kind = struct.unpack(">I", last[at:at + 4])[0], last[at + 4:at + 8]
        if kind == b"IDAT":
            idat += last[at + 8:at + 8 + size]
        at += 12 + size
    raw = zlib.decompress(idat)
    pixels = b"".join(raw[y * (width + 1) + 1:(y + 1) * (width + 1)] for y in range(height))   # filter 0 rows
    found = zxingcpp.read_barcode(memoryview(pixels).cast("B", (height, width)),
                                  formats=zxingcpp.BarcodeFormat.QRCode)
    assert shown.startswith(ORDER) and found is not None and found.text == shown
