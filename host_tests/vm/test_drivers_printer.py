# The printer driver (drivers/printer.py) against its fake module, byte by byte. VM-neutral.
import asyncio

from drivers.fakes.printer import FakePrinter
from drivers.printer import (Printer, PrinterError, parse_error_status, parse_offline_status, parse_paper_status,
                             parse_printer_status)
from pos import escpos, receipt
from pos.font import Font
from vmutil import font_path, raises

ASK_PAPER = b"\x10\x04\x04"
ASK_ERRORS = b"\x10\x04\x03"
CHECK = ASK_PAPER + ASK_ERRORS
INIT = b"\x1b@"
HEAT = {1: b"\x1b7\x07\x3c\x02", 2: b"\x1b7\x07\x50\x02", 3: b"\x1b7\x07\x78\x02"}
RATE = 6000

TXN = {"type_name": "消费 SALE", "pan_masked": "622202*********0017", "entry": "S",
       "expiry": None, "issuer": "工商银行", "acquirer": "银联商务", "batch": "000001",
       "trace": "000123", "auth": "654321", "ref": "141509123456",
       "datetime": "2026/11/23 14:05:09", "amount_fen": 12345, "operator": "01", "remark": ""}
TERMINAL = {"merchant_name": "测试商户", "merchant_id": "898310058120001", "terminal_id": "10000001"}

_FONT = []


def font():
    if not _FONT:
        _FONT.append(Font(font_path()))
    return _FONT[0]


def slip():
    return list(receipt.slip_lines(TXN, TERMINAL, 0))


def short_slip():
    """Ten lines: DOUBLE, CENTER, BOLD, empty, and the cut on the last."""
    return slip()[:10]


class Clock:
    """Fake milliseconds: time passes only when the driver sleeps."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now

    async def sleep_ms(self, ms):
        self.now += ms
        await asyncio.sleep(0)


def rig(**fake_options):
    clock = Clock()
    fake = FakePrinter(ticks=clock.ticks_ms, **fake_options)
    printer = Printer(fake, RATE, 384, ticks=clock.ticks_ms, sleep=clock.sleep_ms)
    return clock, fake, printer


def run(coro):
    return asyncio.run(coro)


def job_parts(lines, density=2, checks=True):
    """The parts a whole job must be: checks before, every 4 lines and at the end."""
    if checks:
        yield CHECK
    yield INIT
    yield HEAT[density]
    n = 0
    for chunk in escpos.render_slip(lines, font()):
        yield chunk
        n += 1
        if checks and (n % 4 == 0 or n == len(lines)):
            yield CHECK


def is_query(piece):
    return len(piece) == 3 and bytes(piece) in (ASK_PAPER, ASK_ERRORS)


def _next(it):
    try:
        while True:
            piece = memoryview(next(it))
            if len(piece):
                return piece
    except StopIteration:
        return None


class Stream:
    """A fake's sink: compares what is written, write by write, with the parts a job must be,
    without holding either (a slip is 27 KB). skip_queries: status queries are not compared."""

    def __init__(self, parts, skip_queries=False):
        self.parts = iter(parts)
        self.want = _next(self.parts)
        self.skip_queries = skip_queries
        self.ok = True
        self.sent = 0  # bytes other than status queries

    def __call__(self, piece):
        query = is_query(piece)
        if not query:
            self.sent += len(piece)
        if self.skip_queries and query:
            return
        while len(piece) and self.ok:
            want = self.want
            if want is None:
                self.ok = False
                return
            n = len(piece) if len(piece) < len(want) else len(want)
            if bytes(piece[:n]) != bytes(want[:n]):
                self.ok = False
                return
            piece = piece[n:]
            self.want = want[n:] if n < len(want) else _next(self.parts)

    def done(self):
        return self.ok and self.want is None


def test_a_slip_is_checks_init_density_then_the_escpos_lines_with_checks_every_four_lines():
    lines = short_slip()
    stream = Stream(job_parts(lines))
    clock, fake, printer = rig(sink=stream)
    assert run(printer.print_lines(lines, font())) == "OK"
    assert stream.done()
    assert fake.data.startswith(CHECK + INIT + HEAT[2] + b"\x1dv0\x00\x30\x00\x20\x00")
    assert fake.received > len(fake.data)  # more than the fake recorded: the sink saw it all


def test_a_whole_merchant_copy_is_exactly_the_escpos_bytes_between_the_checks():
    lines = slip()
    stream = Stream(job_parts(lines))
    clock, fake, printer = rig(sink=stream)
    assert run(printer.print_lines(lines, font())) == "OK"
    assert stream.done()
    assert fake.received > 20000


def test_density_one_to_three_is_esc_7_heating_time_and_out_of_range_is_clamped():
    for density, expected in ((1, HEAT[1]), (2, HEAT[2]), (3, HEAT[3]), (0, HEAT[1]), (9, HEAT[3])):
        clock, fake, printer = rig()
        assert run(printer.print_lines([("A", 0)], font(), density)) == "OK"
        assert fake.data[6:13] == INIT + expected


class Pacing:
    """A fake's sink checking each write against the one before: n bytes written at t, the next
    write not before t + n / bytes_per_s. Summed over consecutive writes, that is exactly "no
    window between two writes carries more than bytes_per_s", for every window."""

    def __init__(self, clock):
        self.clock = clock
        self.last = None  # (time, bytes) of the previous write
        self.first_time = None
        self.total = 0
        self.largest = 0
        self.too_early = []

    def __call__(self, piece):
        now = self.clock.now
        if self.last is not None and self.last[1] * 1000 > RATE * (now - self.last[0]):
            self.too_early.append((self.total, now))
        if self.first_time is None:
            self.first_time = now
        self.last = (now, len(piece))
        self.total += len(piece)
        self.largest = max(self.largest, len(piece))


def test_no_window_of_writes_carries_more_than_bytes_per_s_and_the_slip_goes_near_that_rate():
    clock = Clock()
    pacing = Pacing(clock)
    fake = FakePrinter(ticks=clock.ticks_ms, sink=pacing)
    printer = Printer(fake, RATE, 384, ticks=clock.ticks_ms, sleep=clock.sleep_ms)
    assert run(printer.print_lines(slip(), font())) == "OK"
    assert pacing.too_early == []
    assert pacing.largest <= 128
    assert pacing.total == fake.received > 20000
    assert pacing.total * 1000 >= 0.95 * RATE * (pacing.last[0] - pacing.first_time)


def test_paper_out_before_the_job_prints_nothing_and_answers_at_once():
    clock, fake, printer = rig(paper_bytes=0)
    assert run(printer.print_lines(slip(), font())) == "PAPER_OUT"
    assert fake.data == ASK_PAPER
    assert clock.now < 50


def test_paper_out_forever_every_job_returns_paper_out_and_sends_nothing_but_the_question():
    clock, fake, printer = rig(paper_bytes=0)
    for _ in range(3):
        assert run(printer.print_lines(slip(), font())) == "PAPER_OUT"
    assert fake.data == ASK_PAPER * len(fake.times)
    assert run(printer.status())["paper"] == "out"


def test_paper_running_out_mid_slip_stops_within_four_lines_and_the_copy_prints_whole_once_loaded():
    lines = slip()
    stream = Stream(job_parts(lines, checks=False), skip_queries=True)
    clock, fake, printer = rig(sink=stream, paper_bytes=6000)
    assert run(printer.print_lines(lines, font())) == "PAPER_OUT"
    assert stream.ok and not stream.done()  # a beginning of the slip, never its end
    assert 6000 <= stream.sent <= 6000 + 4 * 1553
    assert run(printer.status())["paper"] == "out"
    fake.load_paper()
    assert run(printer.status())["paper"] != "out"
    fake.sink = stream = Stream(job_parts(lines))
    assert run(printer.print_lines(lines, font())) == "OK"
    assert stream.done()


def test_a_printer_that_never_answers_is_a_printer_error_after_the_timeout():
    clock, fake, printer = rig(mute=True)
    assert run(printer.print_lines(slip(), font())) == "PRINTER_ERROR"
    assert fake.data == ASK_PAPER
    assert 500 <= clock.now < 600
    assert run(printer.status()) == {"paper": None, "error": "no_answer", "online": False}


def test_a_printer_that_falls_silent_mid_slip_is_a_printer_error():
    lines = slip()
    stream = Stream(job_parts(lines, checks=False), skip_queries=True)

    def mute_after_3000(piece):
        stream(piece)
        fake.mute = fake.received > 3000

    clock, fake, printer = rig(sink=mute_after_3000)
    assert run(printer.print_lines(lines, font())) == "PRINTER_ERROR"
    assert stream.ok and not stream.done()


def test_an_overheated_head_is_waited_for_and_the_slip_carries_on_whole():
    lines = slip()
    stream = Stream(job_parts(lines, checks=False), skip_queries=True)
    asked_while_hot = []
    sent_after_asking = []

    def watch(piece):
        stream(piece)
        if fake.hot_since is not None and clock.now < fake.hot_since + 3000:
            if is_query(piece):
                if piece[2] == 3:
                    asked_while_hot.append(clock.now)
            elif asked_while_hot:
                sent_after_asking.append(clock.now)

    clock, fake, printer = rig(sink=watch, overheat_at=4000, overheat_ms=3000)
    assert run(printer.print_lines(lines, font())) == "OK"
    assert stream.done()
    assert len(asked_while_hot) >= 5  # polled until it cooled
    assert sent_after_asking == []  # nothing sent once the heat was seen
    assert clock.now >= 3000


def test_a_head_that_never_cools_is_a_printer_error_after_the_limit():
    lines = slip()
    stream = Stream(job_parts(lines, checks=False), skip_queries=True)
    clock, fake, printer = rig(sink=stream, overheat_at=2000, overheat_ms=10 ** 8)
    assert run(printer.print_lines(lines, font())) == "PRINTER_ERROR"
    assert 30000 <= clock.now < 33000
    assert stream.ok and not stream.done()


def test_a_byte_that_is_not_a_status_is_a_printer_error_not_a_crash():
    clock, fake, printer = rig(answer=0xFF)
    assert run(printer.print_lines(slip(), font())) == "PRINTER_ERROR"
    assert run(printer.status()) == {"paper": None, "error": "bad_answer", "online": False}


def test_stale_bytes_waiting_on_the_line_are_not_taken_for_the_answer():
    lines = short_slip()
    stream = Stream(job_parts(lines))
    clock, fake, printer = rig(sink=stream)
    fake.inject(b"\x72\x72\xff")
    assert run(printer.print_lines(lines, font())) == "OK"
    assert stream.done()


def test_status_reports_paper_error_and_online():
    clock, fake, printer = rig()
    assert run(printer.status()) == {"paper": "ok", "error": None, "online": True}
    assert fake.data == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"
    clock, fake, printer = rig(paper_bytes=0)
    assert run(printer.status()) == {"paper": "out", "error": None, "online": False}
    clock, fake, printer = rig(near_end_bytes=0)
    assert run(printer.status()) == {"paper": "near_end", "error": None, "online": True}
    clock, fake, printer = rig(cover_open=True)
    assert run(printer.status()) == {"paper": "ok", "error": "cover_open", "online": False}
    clock, fake, printer = rig(overheat_at=0, overheat_ms=1000)
    fake.write(b"x")
    assert run(printer.status())["error"] == "overheat"


def test_paper_near_end_prints():
    clock, fake, printer = rig(near_end_bytes=0)
    assert run(printer.print_lines(short_slip(), font())) == "OK"


def test_status_parsers_read_the_bits_and_refuse_bytes_without_the_fixed_bits():
    assert parse_printer_status(0x12) is True
    assert parse_printer_status(0x1A) is False
    assert parse_offline_status(0x12) is None
    assert parse_offline_status(0x16) == "cover_open"
    assert parse_offline_status(0x32) == "paper_end_stop"
    assert parse_offline_status(0x52) == "error"
    assert parse_error_status(0x12) is None
    assert parse_error_status(0x52) == "overheat"
    assert parse_error_status(0x1A) == "cutter"
    assert parse_error_status(0x16) == "mechanical"
    assert parse_error_status(0x32) == "unrecoverable"
    assert parse_error_status(0x72) == "unrecoverable"
    assert parse_paper_status(0x12) == "ok"
    assert parse_paper_status(0x1E) == "near_end"
    assert parse_paper_status(0x72) == "out"
    assert parse_paper_status(b"\x12") == "ok"
    for parse in (parse_printer_status, parse_offline_status, parse_error_status, parse_paper_status):
        for bad in (0x00, 0xFF, 0x13, 0x92, 0x02, 0x10, 256, -1, b"", b"\x12\x12"):
            assert raises(PrinterError, parse, bad), (parse, bad)


def test_the_fake_answers_a_dle_eot_split_across_writes_as_a_module_does():
    fake = FakePrinter(ticks=Clock().ticks_ms)
    fake.write(b"\x00\x10")
    fake.write(b"\x04")
    assert fake.read() is None
    fake.write(b"\x04\x10\x04\x03")
    assert fake.read() == b"\x12\x12"
    assert fake.read() is None
