# The device as main.py starts it: the board built from its parts by the runtime's board builder
# over a fake `machine`, the real drivers, the link over Wi-Fi to the scripted host, the shell's
# loop, the App on its own flash directory: a sale through it, key by key on the matrix.
from devicekit import Board, Device, Scans, keys, login, run, until
from drivers.compat import sleep_ms
from flowkit import GOOD, PROVISION
from pos import store
from runtime import device
from vmutil import rmtree, tmpdir


def _provisioned():
    state = tmpdir("device")
    store.save(state, "provision", PROVISION)
    store.save(state, "settings", {"wifi_ssid": "shop", "wifi_password": "secret"})
    return state


def _start(dev, state, on_idle=None):
    return device.start("firmware", dev.machine, dev.network, dev.socket, root=".", board=Board,
                        on_idle=on_idle, state=state, select=dev.socket)


def test_a_sale_on_the_device_from_the_keypad_to_the_printer():
    dev, state = Device(), _provisioned()
    idle = []
    shell, missing = _start(dev, state, lambda: idle.append(True))
    assert missing == [] and sorted(shell.parts) == ["keypad", "lcd", "magstripe", "printer", "rtc", "scanner",
                                                  "touch", "wifi"]

    scans = Scans(shell.keypad)

    async def script():
        await login(shell, dev, scans)
        await keys(dev, scans, "ENTER 1 1 2 3 4 5 ENTER")
        await until(shell, "刷卡")
        dev.swipe(";" + GOOD + "?")      # the decoder sends track 2 between its sentinels
        await until(shell, "请输入密码")
        await keys(dev, scans, "1 2 3 4 5 6 ENTER")
        await until(shell, "请撕下")
        await keys(dev, scans, "ENTER")
        await until(shell, "授权码")
    run(shell, script)
    assert dev.host.kinds == ["signin", "sale"]
    assert dev.host.requests[1][4] == "000000012345"
    [sale] = [r for r in shell.app.journal.records() if r.get("k") == "sale"]
    assert sale["st"] == "approved" and sale["pan"] == "622202*********0017"
    assert dev.printer.received > 40000           # both copies' raster lines reached the printer
    assert dev.machine.spi.written > 100000       # and the screens the LCD
    assert idle == [True] and dev.machine.wdt.fed >= 1
    assert shell.link.active == "wifi"
    rmtree(state)


def test_a_signed_sale_on_the_device_draws_the_ink_and_prints_the_signature():
    from pos.signature import SAMPLE, decode
    dev, state = Device(), _provisioned()
    shell, _missing = _start(dev, state)
    x0, y0, w, h = shell.app.touch_area
    assert (x0, y0, w, h) == (0, 32, 320, 192)
    scans = Scans(shell.keypad)
    drawn = []

    async def script():
        await login(shell, dev, scans)
        await keys(dev, scans, "ENTER 1 1 5 0 0 0 0 ENTER")
        await until(shell, "刷卡")
        dev.swipe(";" + GOOD + "?")
        await until(shell, "请输入密码")
        await keys(dev, scans, "1 2 3 4 5 6 ENTER")
        await until(shell, "请持卡人签名")
        before = dev.machine.spi.written
        touch = dev.machine.touch()
        touch.play([[(x0 + x * w // 320, y0 + y * h // 240) for x, y in s] for s in decode(SAMPLE)])
        for _ in range(400):
            if not touch.frames:
                break
            await sleep_ms(10)
        drawn.append((shell.app.signing.strokes, dev.machine.spi.written - before))
        await keys(dev, scans, "ENTER")
        await until(shell, "请撕下")
        await keys(dev, scans, "ENTER")
        await until(shell, "授权码")
    run(shell, script)
    strokes, ink_bytes = drawn[0]
    assert strokes == 5 and ink_bytes > 2000          # each kept point's segment went to the LCD
    assert [n for n in __import__("os").listdir(state) if n.startswith("sig-")]
    assert dev.printer.received > 40000
    rmtree(state)


def test_the_parts_the_caller_made_join_the_boards_and_replace_its_own_of_the_same_name():
    from drivers.fakes.keypad import FakeKeypad
    dev, state = Device(), _provisioned()
    keypad = FakeKeypad()
    shell, missing = device.start("firmware", dev.machine, dev.network, dev.socket, root=".", board=Board,
                                  state=state, select=dev.socket, parts={"keypad": keypad, "extra": 1})
    assert missing == [] and shell.keypad is keypad and shell.parts["extra"] == 1
    assert sorted(shell.parts) == ["extra", "keypad", "lcd", "magstripe", "printer", "rtc", "scanner", "touch",
                                   "wifi"]
    rmtree(state)


def test_a_device_that_was_never_provisioned_says_so_on_its_screen():
    dev, state = Device(), tmpdir("device")
    try:
        _start(dev, state)
        assert False, "started without provisioning"
    except device.NotProvisioned:
        pass
    assert dev.machine.spi.written > 0               # the LCD was drawn: 终端未灌装
    rmtree(state)


def _run_main(fail=None, trial=False):
    """firmware/main.py run with fake bootsel, runtime.device, machine and time: (slots the
    device was started on, sleeps, resets); fail: what device.main raises."""
    import sys
    calls, sleeps, resets = [], [], []

    class Bootsel:
        @staticmethod
        def select(root=""):
            return "slot_b"

        @staticmethod
        def on_trial(root=""):
            return trial

    class Device_:
        class NotProvisioned(Exception):
            pass

        @staticmethod
        def main(slot, root=""):
            calls.append(slot)
            if fail == "not provisioned":
                raise Device_.NotProvisioned("terminal not provisioned")
            if fail is not None:
                raise fail

    class Runtime:
        device = Device_

    class Machine:
        @staticmethod
        def reset():
            resets.append(1)

    class Time:
        @staticmethod
        def sleep(s):
            sleeps.append(s)

    fakes = {"bootsel": Bootsel, "runtime": Runtime, "runtime.device": Device_, "machine": Machine, "time": Time}
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    path = list(sys.path)
    quiet = not hasattr(sys, "print_exception")       # CPython: main.py's traceback printer
    if quiet:
        sys.print_exception = lambda e: None
    try:
        with open("firmware/main.py") as f:
            # A code object, not the text: CPython's exec() of a str that raises KeyboardInterrupt
            # marks it unhandled, and the interpreter then ends by SIGINT however it was caught.
            exec(compile(f.read(), "main.py", "exec"), {"__name__": "__main__"})
    finally:
        for name in saved:
            if saved[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved[name]
        sys.path[:] = path
        if quiet:
            del sys.print_exception
    return calls, sleeps, resets


def test_main_runs_the_slot_bootsel_chose():
    assert _run_main() == (["slot_b"], [], [])


def test_a_slot_that_fails_is_reset_out_of_at_once_on_trial_and_after_10_s_otherwise():
    assert _run_main(MemoryError("boot"), trial=True) == (["slot_b"], [0], [1])
    assert _run_main(ImportError("no module named 'pos.app'")) == (["slot_b"], [10], [1])


def test_a_terminal_not_provisioned_keeps_its_screen_and_waits_at_the_repl():
    assert _run_main("not provisioned") == (["slot_b"], [], [])     # no reset: make provision next


def test_ctrl_c_at_the_terminal_stops_at_the_repl():
    try:
        _run_main(KeyboardInterrupt())
    except KeyboardInterrupt:
        return
    assert False, "KeyboardInterrupt swallowed"


def test_the_wifi_dropping_mid_sale_reverses_it_over_4g_before_the_next_sale():
    from devicekit import Board4g
    dev, state = Device(), _provisioned()
    shell, missing = device.start("firmware", dev.machine, dev.network, dev.socket, root=".", board=Board4g,
                                  state=state, select=dev.socket)
    assert missing == [] and "modem" in shell.parts
    dev.machine.rtc.datetime((2000, 1, 1, 5, 0, 0, 0, 0))     # its battery ran out: the RTC restarted
    dev.modem.cclk = "26/11/23,09:59:30+32"
    scans = Scans(shell.keypad)
    dev.host.rules["sale"] = lambda req: "broken"        # the host takes the sale and says nothing

    async def sale(amount):
        await keys(dev, scans, "ENTER 1 " + " ".join(amount) + " ENTER")
        await until(shell, "刷卡")
        dev.swipe(";" + GOOD + "?")
        await until(shell, "请输入密码")
        await keys(dev, scans, "1 2 3 4 5 6 ENTER")

    async def script():
        await login(shell, dev, scans)
        assert shell.link.active == "wifi"
        from pos import clock
        assert clock.stamp(shell.app.clock())[0] == "20261123"      # set from the network's time
        await sale("500")
        await until(shell, "处理中")
        dev.network.wlan.drop()                          # the shop's Wi-Fi goes
        dev.conns[-1].close()
        await until(shell, "交易失败")
        assert store.load(state, "reversal") is not None
        dev.host.rules.clear()
        await keys(dev, scans, "ENTER")
        await until(shell, "欢迎使用")
        await sale("700")
        await until(shell, "请撕下", 15000)
        await keys(dev, scans, "ENTER")
        await until(shell, "授权码")
    run(shell, script)
    assert dev.host.kinds[-3:] == ["sale", "reversal", "sale"], dev.host.kinds
    assert shell.link.active == "4g"
    assert store.load(state, "reversal") is None
    assert [(r["amt"], r["st"]) for r in shell.app.journal.records() if r.get("k") == "sale"] == \
        [(500, "reversed"), (700, "approved")]
    rmtree(state)


def test_a_chip_without_an_application_here_is_refused_and_a_bad_atr_is_a_read_error():
    from devicekit import BoardChip
    from drivers.fakes.icc import FakeCard
    dev, state = Device(), _provisioned()
    shell, missing = device.start("firmware", dev.machine, dev.network, dev.socket, root=".", board=BoardChip,
                                  state=state, select=dev.socket)
    assert missing == [] and "icc" in shell.parts
    scans = Scans(shell.keypad)
    bus = dev.machine.i2c

    async def script():
        await login(shell, dev, scans)
        await keys(dev, scans, "ENTER 1 1 0 0 ENTER")
        await until(shell, "刷卡")
        bus.card = FakeCard(bytes.fromhex("3B6F00008031E06B"))       # cut short: a truncated ATR
        await until(shell, "读卡失败")
        bus.card = None
        await keys(dev, scans, "ENTER")                  # the message read, the card taken out
        await until(shell, "刷卡")
        await sleep_ms(500)                               # a hand takes longer than the reader's poll
        bus.card = FakeCard(bytes.fromhex("3B6F00008031E06B010305 02E0555555555555".replace(" ", "")))
        await until(shell, "芯片应用不能受理")           # it answers 6D00 to every command
        bus.card = None
        await keys(dev, scans, "ENTER")
        await until(shell, "刷卡")
        dev.swipe(";" + GOOD + "?")
        await until(shell, "请输入密码")
        await keys(dev, scans, "1 2 3 4 5 6 ENTER")
        await until(shell, "请撕下")
    run(shell, script)
    assert dev.host.kinds == ["signin", "sale"]
    rmtree(state)
