# The payment-code scanner (drivers/scanner.py) against its fakes, byte by byte, and through its
# SC16IS7xx bridge as the boards wire it. VM-neutral.
import gc

from drivers.fakes.board import Board, FakeMachine
from drivers.fakes.scanner import FakeI2cUart, FakeScanEngine
from drivers.scanner import I2cUart, Scanner
from runtime import board as builder
from vmutil import raises

PAY_CODE = "284719305126478830"            # an 18-digit 付款码
URL = "https://qr.alipay.com/bax0" + "8" * 300   # a QR payload longer than the bridge's FIFO
ANSWER = b"\x02\x00\x00\x01\x00\x33\x31"   # the GM65's answer to a zone bit write


def polls(scanner, n=10):
    """The events of n polls, Nones left out."""
    out = []
    for _ in range(n):
        event = scanner.poll()
        if event is not None:
            out.append(event)
    return out


def test_a_code_ended_by_cr_is_one_scan():
    engine = FakeScanEngine()
    engine.present(PAY_CODE)
    assert polls(Scanner(engine)) == [("scan", PAY_CODE)]


def test_cr_lf_and_lf_alone_end_a_code_and_the_lf_after_cr_is_no_empty_line():
    engine = FakeScanEngine()
    engine.present(PAY_CODE, b"\r\n")
    engine.present("6901234567892", b"\n")
    assert polls(Scanner(engine)) == [("scan", PAY_CODE), ("scan", "6901234567892")]


def test_a_code_split_across_reads_is_assembled():
    data = (PAY_CODE + "\r\n").encode()
    engine = FakeScanEngine()
    scanner = Scanner(engine)
    events = []
    for piece in (data[:1], data[1:7], data[7:18], data[18:19], data[19:]):
        engine.feed(piece)  # one piece arrives between two polls
        events.append(scanner.poll())
    assert events == [None, None, None, ("scan", PAY_CODE), None]


def test_a_long_qr_payload_in_small_chunks_is_one_scan():
    engine = FakeScanEngine()
    engine.present(URL, b"\r\n", chunks=7)
    assert polls(Scanner(engine), 100) == [("scan", URL)]


def test_two_codes_in_one_read_give_one_event_per_poll():
    engine = FakeScanEngine([(PAY_CODE + "\r" + URL + "\r").encode()])
    scanner = Scanner(engine)
    assert scanner.poll() == ("scan", PAY_CODE)
    assert scanner.poll() == ("scan", URL)
    assert scanner.poll() is None


def test_an_overlong_line_is_one_error_and_the_next_code_reads():
    long_line = b"9" * 1000 + b"\r\n"
    engine = FakeScanEngine([long_line[:300], long_line[300:700], long_line[700:], (PAY_CODE + "\r").encode()])
    assert polls(Scanner(engine, max_len=64)) == [("scan_error", "too_long"), ("scan", PAY_CODE)]


def test_a_line_of_exactly_max_len_is_a_scan_and_one_more_byte_is_too_long():
    engine = FakeScanEngine([b"1" * 32 + b"\r", b"2" * 33 + b"\r"])
    assert polls(Scanner(engine, max_len=32)) == [("scan", "1" * 32), ("scan_error", "too_long")]


def test_a_sender_that_never_ends_its_line_is_reported_once():
    engine = FakeScanEngine([b"7" * 100] * 50)
    scanner = Scanner(engine, max_len=64)
    assert polls(scanner, 60) == [("scan_error", "too_long")]
    engine.present(PAY_CODE)
    assert polls(scanner) == []              # still the same endless line: dropped to its end
    engine.present(PAY_CODE)
    assert polls(scanner) == [("scan", PAY_CODE)]


def test_control_bytes_and_bad_utf8_are_not_text():
    for line in (b"\x00\xff\xfe\x01", b"2847\x071930", b"\x1b[2J", b"abc\x7f", b"\xc3", b"\xc3\x28",
                 b"\xe4\xb8", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff",
                 b"\x80abc", b"\t" + PAY_CODE.encode()):
        engine = FakeScanEngine([line + b"\r"])
        assert polls(Scanner(engine)) == [("scan_error", "not_text")], line


def test_utf8_text_is_a_scan():
    text = "付款码 https://例子.cn/?a=1&b=€ 𝄞"
    engine = FakeScanEngine()
    engine.present(text)
    assert polls(Scanner(engine)) == [("scan", text)]


def test_empty_lines_are_errors_and_cr_lf_pairs_count_once():
    engine = FakeScanEngine([b"\r", b"\r\n", b"\n", b"\r\r"])
    assert polls(Scanner(engine)) == [("scan_error", "empty")] * 5


def test_no_code_stays_in_the_driver_after_a_line():
    engine = FakeScanEngine()
    engine.present(PAY_CODE)
    scanner = Scanner(engine)
    assert polls(scanner) == [("scan", PAY_CODE)]
    assert scanner._line == bytearray(len(scanner._line))
    engine.feed(b"1" * 600 + b"\r")
    assert polls(scanner) == [("scan_error", "too_long")]
    assert scanner._line == bytearray(len(scanner._line))


def test_the_trigger_pin_is_released_at_start_and_low_while_reading():
    levels = []
    scanner = Scanner(FakeScanEngine(), trigger=levels.append)
    scanner.trigger(True)
    scanner.trigger(False)
    assert levels == [1, 0, 1]


def test_without_a_pin_the_trigger_is_the_command_and_its_answer_is_no_code():
    engine = FakeScanEngine()
    scanner = Scanner(engine)
    scanner.trigger(True)
    scanner.trigger(False)                   # a command-mode read ends by itself
    assert engine.written == [b"\x7e\x00\x08\x01\x00\x02\x01\xab\xcd"]
    engine.present(PAY_CODE)
    assert polls(scanner) == [("scan", PAY_CODE)]
    engine.feed(ANSWER)                      # no command in flight: not skipped
    engine.present(PAY_CODE)
    assert polls(scanner) == [("scan_error", "not_text")]


def test_an_answer_split_across_reads_is_skipped():
    engine = FakeScanEngine()
    engine.answer = False
    scanner = Scanner(engine)
    scanner.trigger(True)
    engine.feed(ANSWER[:3])
    engine.feed(ANSWER[3:] + PAY_CODE.encode())
    engine.feed(b"\r")
    assert polls(scanner) == [("scan", PAY_CODE)]


def test_an_idle_poll_allocates_nothing():
    bridge = FakeI2cUart()
    for scanner in (Scanner(FakeScanEngine()), Scanner(I2cUart(bridge, 0x48))):
        if not hasattr(gc, "mem_alloc"):
            return  # CPython: nothing to measure
        poll = scanner.poll
        poll()
        gc.collect()
        before = gc.mem_alloc()
        for _ in range(100):
            poll()
        assert gc.mem_alloc() - before == 0


# The SC16IS7xx bridge

def test_the_bridge_is_set_to_8n1_at_the_baud_rate_from_its_crystal():
    bridge = FakeI2cUart()
    I2cUart(bridge, 0x48, 9600, 14745600)
    assert bridge.divisor == 96 and bridge.regs[0x03] == 0x03 and bridge.regs[0x02] == 0x07
    I2cUart(bridge, 0x48, 115200, 1843200)
    assert bridge.divisor == 1


def test_codes_come_through_the_bridge_whole_and_commands_go_out():
    bridge = FakeI2cUart()
    scanner = Scanner(I2cUart(bridge, 0x48))
    bridge.engine.present(PAY_CODE)
    bridge.engine.present(URL, b"\r\n")
    assert polls(scanner, 20) == [("scan", PAY_CODE), ("scan", URL)]
    scanner.trigger(True)
    assert bridge.engine.written == [b"\x7e\x00\x08\x01\x00\x02\x01\xab\xcd"]
    bridge.engine.present(PAY_CODE)
    assert polls(scanner) == [("scan", PAY_CODE)]


def test_no_bridge_at_the_address_is_an_oserror():
    class Silent:
        def writeto_mem(self, addr, mem, buf):
            raise OSError(19)

    class NotABridge:
        def writeto_mem(self, addr, mem, buf):
            pass

        def readfrom_mem_into(self, addr, mem, buf):
            buf[0] = 0xFF
    assert raises(OSError, I2cUart, Silent(), 0x48)
    assert raises(OSError, I2cUart, NotABridge(), 0x48)


# The board builder

# The handheld's scan engine as boards/esp32s3_handheld.py wires it (behind its I2C bridge).
SCANNER = {"driver": "scanner.Scanner", "i2c": "i2c", "addr": 0x48, "baudrate": 9600, "trigger": 35}


def test_the_builder_makes_the_scanner_behind_its_bridge_with_its_trigger_pin():
    machine = FakeMachine()
    pins = {}
    made = machine.Pin

    class Pin(made):
        def __init__(self, n, mode=None, pull=None):
            made.__init__(self, n, mode, pull)
            pins[n] = self
    machine.Pin = Pin

    class Handheld(Board):
        PARTS = {"i2c": Board.PARTS["i2c"], "scanner": SCANNER}
    parts, missing = builder.build(Handheld, machine)
    assert missing == [] and sorted(parts) == ["scanner"] and machine.I2C().scanner is None
    scanner = parts["scanner"]()         # built late: when a flow waits for a code (runtime.board.LATER)
    machine.scanner().present(PAY_CODE)
    assert polls(scanner) == [("scan", PAY_CODE)]
    trig = pins[SCANNER["trigger"]]
    assert trig.level == 1
    scanner.trigger(True)
    assert trig.level == 0
    scanner.trigger(False)
    assert trig.level == 1 and machine.scanner().written == []


def test_the_builder_makes_the_scanner_on_a_machine_uart_and_leaves_out_an_absent_bridge():
    machine = FakeMachine()
    machine.uarts[2] = FakeScanEngine()

    class OnUart(Board):
        PARTS = {"scanner": {"driver": "scanner.Scanner", "uart": 2, "baudrate": 9600, "tx": 1, "rx": 2,
                             "max_len": 40}}
    parts, missing = builder.build(OnUart, machine)
    machine.uarts[2].present("1" * 41)
    assert missing == [] and polls(parts["scanner"]()) == [("scan_error", "too_long")]

    class Elsewhere(Board):
        PARTS = {"i2c": Board.PARTS["i2c"],
                 "scanner": {"driver": "scanner.Scanner", "i2c": "i2c", "addr": 0x4C, "baudrate": 9600}}
    parts, missing = builder.build(Elsewhere, FakeMachine())
    assert missing == [] and raises(OSError, parts["scanner"])    # the shell then leaves the code to the keys
