# The runtime's shell on asyncio: key presses, a swipe, the link and the printer carried out for
# the App, the LCD redrawn, the watchdog fed, a MemoryError survived. VM-neutral (asyncio runs on
# MicroPython's unix port too); the parts are small fakes with the drivers' interfaces.
import asyncio

from drivers.compat import sleep_ms
from drivers.fakes.keypad import FakeKeypad
from flowkit import GOOD, PROVISION, Host
from pos.app import App
from pos.engine import Probe
from runtime.shell import Shell
from vmutil import font_path, rmtree, tmpdir


class Lcd:
    cols, nrows, layout_rows = 40, 15, 15

    def __init__(self):
        self.rows = []
        self.shows = 0

    def show(self, rows, selected, font):
        self.rows = rows
        self.shows += 1

    def text(self):
        return "\n".join(self.rows)


class Reader:
    def __init__(self):
        self.events = []
        self.fail_once = False

    def poll(self):
        if self.fail_once:
            self.fail_once = False
            raise MemoryError()
        return self.events.pop(0) if self.events else None


class Printer:
    def __init__(self):
        self.jobs = []
        self.paper = "ok"

    async def print_lines(self, lines, font, density=2):
        if self.paper == "out":
            return "PAPER_OUT"
        self.jobs.append([text for text, _style in lines])
        return "OK"

    async def status(self):
        return {"paper": self.paper, "error": None, "online": True}


class Link:
    """The link to the scripted host: a frame sent is answered at the next recv."""

    def __init__(self, host, up=True):
        self.host = host
        self.up = up
        self.pending = None
        self.active = "wifi"
        self.bars = 3

    async def signal(self):
        return self.active, self.bars

    async def connect(self):
        return "OK" if self.up else "LINK_DOWN"

    async def send_frame(self, frame):
        self.pending = frame
        return True

    async def recv_frame(self, timeout_ms):
        if self.pending is None:
            await sleep_ms(timeout_ms)
            return None
        frame, self.pending = self.pending, None
        answer = self.host.answer(frame)
        return answer if type(answer) is bytes else "LINK_BROKEN"

    def close(self):
        self.pending = None


class Wdt:
    def __init__(self):
        self.fed = 0

    def feed(self):
        self.fed += 1


class Rig:
    def __init__(self, up=True, battery_uv=None):
        from pos.font import Font
        self.dir = tmpdir("shell")
        self.now = [1795428000]
        self.app = App(self.dir, lambda: self.now[0], PROVISION, "firmware/assets")
        self.keys, self.lcd, self.reader, self.printer = FakeKeypad(), Lcd(), Reader(), Printer()
        self.wdt = Wdt()
        self.idle_seen = []
        parts = {"keypad": self.keys, "lcd": self.lcd, "magstripe": self.reader, "printer": self.printer}
        if battery_uv is not None:          # the handheld's: 3.30 V empty, 4.15 V full, halved to the pin
            from drivers.battery import Battery
            from drivers.fakes.battery import FakeAdc
            self.adc = FakeAdc(battery_uv)
            parts["battery"] = Battery(self.adc, 2.0, 3300, 4150)
        self.shell = Shell(self.app, parts, Link(Host(), up), Font(font_path()), self.wdt,
                           on_idle=lambda: self.idle_seen.append(True))

    async def until(self, text, ms=3000):
        waited = 0
        while text not in self.lcd.text():
            if waited > ms:
                raise AssertionError("no %r on the LCD:\n%s" % (text, self.lcd.text()))
            await sleep_ms(5)
            waited += 5

    async def press(self, keys):
        for k in keys.split():
            self.keys.press(k)
            self.keys.release(k)
            await sleep_ms(15)

    async def login(self):
        await self.until("操作员号")
        await self.press("0 1 ENTER 0 0 0 0 ENTER")
        await self.until("欢迎使用")

    def run(self, script, memory_errors=0):
        """script(rig) beside the shell's loop; the shell must have recovered from memory_errors
        MemoryErrors on the way, none unless a test makes one."""
        async def both():
            task = asyncio.create_task(self.shell.run())
            try:
                await script(self)
            finally:
                self.shell.stop()
                await task
        asyncio.run(both())
        rmtree(self.dir)
        assert self.shell.memory_errors == memory_errors, self.shell.memory_errors


def test_a_sale_through_the_shell_reaches_the_host_the_printer_and_the_lcd():
    rig = Rig()

    async def script(r):
        await r.login()
        assert r.idle_seen == [True]
        await r.press("ENTER 1 1 0 0 ENTER")
        await r.until("插卡或刷卡")
        r.reader.events.append(("swipe", GOOD))
        await r.until("请输入密码")
        await r.press("1 2 3 4 5 6 ENTER")
        await r.until("请撕下")
        await r.press("ENTER")
        await r.until("授权码")
    rig.run(script)
    assert len(rig.printer.jobs) == 2 and "商户存根 MERCHANT COPY" in rig.printer.jobs[0]
    assert rig.idle_seen == [True]


def test_a_link_that_does_not_come_up_is_told_to_the_merchant():
    rig = Rig(up=False)

    async def script(r):
        await r.until("操作员号")
        await r.press("0 1 ENTER 0 0 0 0 ENTER")
        await r.until("通讯失败")
    rig.run(script)


def test_a_memory_error_is_reported_and_the_terminal_goes_back_to_its_screen():
    rig = Rig()

    async def script(r):
        await r.login()
        await r.press("ENTER 1")
        await r.until("请输入金额")
        r.reader.fail_once = True
        await r.until("内存不足")
        await r.until("欢迎使用", 5000)
    rig.run(script, memory_errors=1)


def test_paper_loaded_while_the_app_waits_prints_the_copy():
    rig = Rig()

    async def script(r):
        await r.login()
        r.printer.paper = "out"
        await r.press("ENTER 1 5 0 ENTER")
        r.reader.events.append(("swipe", GOOD))
        await r.until("请输入密码")
        await r.press("1 2 3 4 5 6 ENTER")
        await r.until("缺纸")
        r.printer.paper = "ok"
        await r.until("请撕下")
    rig.run(script)
    assert len(rig.printer.jobs) == 1


def test_the_battery_task_puts_the_charge_on_the_idle_screen_and_a_flat_one_holds_a_sale_back():
    rig = Rig(battery_uv=1900000)                 # 3.80 V: 58 %
    rig.shell.status_ms = 50

    async def script(r):
        await r.login()
        await r.until("电量 58%")
        r.adc.uv = 1660000                        # 3.32 V: 2 %
        await sleep_ms(200)
        assert r.app.battery == 2
        await r.press("ENTER 1")
        await r.until("电量低，请充电")
        assert "需要电量10%以上" in r.lcd.text() and not r.printer.jobs
        assert await r.shell.probe(Probe(("battery", "flash"))) == {"battery": (False, "2%")}   # 自检's answer
    rig.run(script)


def test_the_status_task_puts_the_links_signal_on_the_idle_screen():
    rig = Rig()
    rig.shell.status_ms = 50

    async def script(r):
        await r.login()
        await r.until("WiFi 信号 3/4")
        r.shell.link.active, r.shell.link.bars = "4g", 1
        for _ in range(100):
            if r.app.signal == ("4g", 1):
                break
            await sleep_ms(10)
        assert r.app.signal == ("4g", 1)
        await r.press("ENTER CANCEL")                   # the idle screen drawn again
        await r.until("4G 信号 1/4")
    rig.run(script)
