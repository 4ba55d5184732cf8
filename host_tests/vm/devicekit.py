# A whole device on the host: the fake board (drivers/fakes/board.py: `machine`, `network`, the
# test handheld's parts) and a fake `socket` module under the real drivers, board builder, runtime
# and App. The Wi-Fi reaches the flow tests' scripted host through the fake socket module, or a
# real host through the port's own sockets (Device(net=socket)). VM-neutral.
from drivers.fakes.board import Board, FakeMachine, FakeNetwork
from drivers.fakes.rtc import FakeRtc
from drivers.fakes.wifi import FakeSocketModule, FakeWlan
import asyncio

from drivers.compat import sleep_ms
from vmutil import START


class Board4g(Board):
    """The handheld with its 4G modem beside the Wi-Fi."""
    PARTS = dict(Board.PARTS)
    PARTS["modem"] = {"driver": "modem.Modem", "uart": 2, "baudrate": 115200, "tx": 47, "rx": 48,
                      "pwrkey": None, "family": "sim7600"}
    PARTS["rtc"] = {"driver": "rtc.Clock", "source": "modem"}


class BoardChip(Board):
    """The handheld with its contact IC reader on the I2C bus (no detect pin: the reader's STATUS)."""
    PARTS = dict(Board.PARTS)
    PARTS["i2c"] = {"bus": 0, "sda": 38, "scl": 39, "freq": 400000}
    PARTS["icc"] = {"driver": "icc.IccReader", "i2c": "i2c", "addr": 0x2A}


class HostConn:
    """One TCP connection to the scripted host: frames in, answers out."""

    def __init__(self, host):
        self.host = host
        self.inbox = b""
        self.outbox = b""
        self.closed = False

    def send(self, data):
        self.inbox += data
        while len(self.inbox) >= 2:
            n = 2 + (self.inbox[0] << 8 | self.inbox[1])
            if len(self.inbox) < n:
                return
            frame, self.inbox = self.inbox[:n], self.inbox[n:]
            answer = self.host.answer(frame)
            if type(answer) is bytes:
                self.outbox += answer

    def recv(self):
        if self.closed:
            return b""
        if not self.outbox:
            return None
        data, self.outbox = self.outbox, b""
        return data

    def close(self):
        self.closed = True


class Device:
    """machine, network and socket fakes, and the scripted host they lead to (over Wi-Fi, and
    over the 4G modem behind UART 2); with net (the port's socket module), the Wi-Fi's sockets
    are real ones and there is no scripted host and no modem."""

    def __init__(self, host=None, net=None):
        self.machine = FakeMachine(FakeRtc(START - 8 * 3600))
        self.network = FakeNetwork(FakeWlan({"shop": "secret"}))     # one shop network, "shop" / "secret"
        self.conns = []                 # every connection to the host, the last one last
        if net is not None:
            self.host = None
            self.socket = net
            return
        from drivers.fakes.modem import FakeModem
        from flowkit import Host
        self.host = host or Host()
        self.socket = FakeSocketModule(peer=self._connect)
        self.modem = FakeModem(peer=self._connect)
        self.machine.uarts[2] = self.modem

    def _connect(self, addr, port):
        conn = HostConn(self.host)
        self.conns.append(conn)
        return conn

    @property
    def printer(self):
        return self.machine.uarts[1]

    def swipe(self, track2):
        self.machine.uarts[0].swipe(track2)


async def until(shell, text, ms=8000):
    """Wait for text on the App's screen; AssertionError with the screen after ms."""
    waited = 0
    while True:
        screen = shell.app.screen
        if screen is not None and text in screen.text():
            return
        if waited > ms:
            raise AssertionError("no %r on the screen:\n%s" % (text, screen.text() if screen else None))
        await sleep_ms(10)
        waited += 10


class Scans:
    """Counts the shell's keypad scans, so a key is held for scans, not for a guess of milliseconds
    (a full redraw in CPython's pixel path takes longer than a finger on the key)."""

    def __init__(self, keypad):
        self.n = 0
        self.scan = keypad.scan
        keypad.scan = self

    def __call__(self, now):
        self.n += 1
        return self.scan(now)

    async def wait(self, scans):
        end = self.n + scans
        while self.n < end:
            await sleep_ms(5)


async def keys(dev, scans, names):
    """Each key pressed on the matrix for 4 scans and let go for 4 (past the debounce)."""
    for k in names.split():
        dev.machine.matrix.pressed = k
        await scans.wait(4)          # past the 20 ms debounce at one scan every 10 ms
        dev.machine.matrix.pressed = None
        await scans.wait(4)


async def login(shell, dev, scans):
    """Operator 01 / 0000 at the login screen, up to the idle screen."""
    await until(shell, "操作员号")
    await keys(dev, scans, "0 1 ENTER 0 0 0 0 ENTER")
    await until(shell, "欢迎使用")


def run(shell, script):
    """The shell's loop and script() (a coroutine function) together, until script returns. A
    MemoryError the shell recovered from ends the run at once and is raised: a clean run has none."""
    failed = []

    async def steps():
        try:
            await script()
        except Exception as e:      # kept for the caller, not left to the loop's handler
            failed.append(e)

    async def both():
        task = asyncio.create_task(shell.run())
        script_task = asyncio.create_task(steps())
        try:
            while not script_task.done():
                if shell.memory_errors:
                    script_task.cancel()
                    break
                await sleep_ms(10)
        finally:
            shell.stop()
            await task
    asyncio.run(both())
    if shell.memory_errors:
        raise MemoryError("the shell recovered from %d MemoryError" % shell.memory_errors)
    if failed:
        raise failed[0]
