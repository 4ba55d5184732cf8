# The small drivers (buzzer, battery, rtc, the compat shims) and the LCD's bus. VM-neutral.
import asyncio

# lcd first: compiling it from source needs the largest free blocks of the 110 KB VM heap
from drivers.lcd import ColorLcd, MonoLcd, SpiBus
from drivers.fakes.lcd import FakeBus
from drivers.battery import Battery
from drivers.fakes.battery import FakeAdc
from drivers.buzzer import ALARM, Buzzer
from drivers.fakes.buzzer import FakeBuzzer
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms
from drivers.rtc import Clock, ClockError, parse_cclk, weekday
from drivers.fakes.rtc import FakeRtc
from pos.clock import civil, seconds
from vmutil import raises

MONDAY_8AM = seconds(2026, 11, 23, 8, 0, 0)        # local time, as the RTC keeps it


# --- compat ---------------------------------------------------------------------------

def test_compat_gives_an_awaitable_sleep_and_ticks():
    async def nap():
        t0 = ticks_ms()
        await sleep_ms(20)
        return ticks_diff(ticks_ms(), t0)

    assert 15 <= asyncio.run(nap()) < 1000
    assert const(7) == 7
    assert ticks_diff(1000, 400) == 600 and ticks_diff(400, 1000) == -600


# --- buzzer -------------------------------------------------------------------------------

class FakePwm:
    def __init__(self):
        self.log = []
        self.hz = 0
        self.duty = None

    def freq(self, hz):
        self.hz = hz
        self.log.append(("freq", hz))

    def duty_u16(self, duty):
        self.duty = duty
        self.log.append(("duty", duty))


def test_a_beep_sounds_at_once_and_stops_by_itself():
    pwm = FakePwm()
    buzzer = Buzzer(pwm)

    async def main():
        buzzer.beep()
        sounding = (pwm.hz, pwm.duty)
        await sleep_ms(80)
        return sounding

    assert asyncio.run(main()) == (2700, 32768)
    assert pwm.duty == 0
    assert pwm.log == [("duty", 0), ("freq", 2700), ("duty", 32768), ("duty", 0)]


def test_a_new_tone_cuts_the_alarm_off():
    pwm = FakePwm()
    buzzer = Buzzer(pwm)

    async def main():
        buzzer.alarm()
        await sleep_ms(20)
        buzzer.beep(20, 4000)
        await sleep_ms(250)

    asyncio.run(main())
    assert pwm.duty == 0
    assert pwm.log[-3:] == [("freq", 4000), ("duty", 32768), ("duty", 0)]
    assert len(ALARM) == 9 and sum(ms for _, ms in ALARM) == 1200


def test_the_fake_buzzer_records_the_tones():
    fake = FakeBuzzer()
    fake.beep()
    fake.alarm()
    assert fake.played == [("beep", 30, 2700), ("alarm",)]


# --- battery ---------------------------------------------------------------------------

def battery(adc):
    return Battery(adc, 2.0, 3300, 4150)


def test_battery_millivolts_are_the_pin_voltage_times_the_divider():
    assert battery(FakeAdc(1900000)).millivolts() == 3800
    assert battery(FakeAdc(1900000)).percent() == 58


def test_battery_percent_is_clamped():
    assert battery(FakeAdc(1500000)).percent() == 0
    assert battery(FakeAdc(1650000)).percent() == 0
    assert battery(FakeAdc(2075000)).percent() == 100
    assert battery(FakeAdc(2200000)).percent() == 100


def test_battery_averages_a_few_samples():
    adc = FakeAdc(0, [1800000, 2000000] * 4)
    assert battery(adc).millivolts() == 3800
    assert adc.readings == []


class U16Adc:
    def __init__(self, raw):
        self.raw = raw

    def read_u16(self):
        return self.raw


def test_battery_scales_read_u16_without_read_uv():
    assert battery(U16Adc(65535)).millivolts() == 6600
    assert battery(U16Adc(37730)).millivolts() == 3799
    assert Battery(U16Adc(65535), 1.0, 3000, 3300, full_scale_mv=3100).millivolts() == 3100
    assert raises(ValueError, Battery, U16Adc(0), 2.0, 4000, 3000)


# --- rtc -------------------------------------------------------------------------------------

def test_now_is_the_rtc_datetime_as_seconds_and_set_writes_it_back_with_the_weekday():
    rtc = FakeRtc(MONDAY_8AM)
    clock = Clock(rtc, "modem")
    assert clock.now() == MONDAY_8AM
    assert rtc.datetime() == (2026, 11, 23, 0, 8, 0, 0, 0)
    clock.set(MONDAY_8AM + 86400 * 6 + 3723)
    assert rtc.datetime() == (2026, 11, 29, 6, 9, 2, 3, 0)
    assert clock.now() == MONDAY_8AM + 86400 * 6 + 3723
    assert weekday(0) == 3                               # 1970-01-01, a Thursday


def test_a_cclk_answer_is_converted_to_china_time_whatever_its_zone():
    assert civil(parse_cclk('+CCLK: "26/11/23,14:05:09+32"')) == (2026, 11, 23, 14, 5, 9)
    assert civil(parse_cclk('+CCLK: "26/11/23,06:05:09+00"')) == (2026, 11, 23, 14, 5, 9)
    assert civil(parse_cclk(b'+CCLK: "26/11/23,07:05:09+4"')) == (2026, 11, 23, 14, 5, 9)
    assert civil(parse_cclk('+CCLK: "26/11/22,22:05:09-32"')) == (2026, 11, 23, 14, 5, 9)
    assert civil(parse_cclk('+CCLK: "26/12/31,20:00:00+00"')) == (2027, 1, 1, 4, 0, 0)
    assert civil(parse_cclk('+CCLK: "26/11/23,14:05:09"')) == (2026, 11, 23, 22, 5, 9)


def test_a_bad_cclk_answer_is_a_clock_error():
    for answer in ('+CCLK: "80/01/06,00:01:02+00"',        # a modem without network time
                   '+CCLK: "04/01/01,00:00:00+00"',
                   '+CCLK: "26/13/01,00:00:00+32"', '+CCLK: "26/02/30,00:00:00+32"',
                   '+CCLK: "26/11/23,24:00:00+32"', '+CCLK: "26/11/23,14:05:09+99"',
                   '+CCLK: "26-11-23,14:05:09+32"', '+CCLK: "2a/11/23,14:05:09+32"',
                   '+CCLK: 26/11/23,14:05:09+32', "OK", "", "+CCLK: \"" + "9" * 80 + "\""):
        assert raises(ClockError, parse_cclk, answer), answer


class FakeModem:
    def __init__(self, lines):
        self.lines = lines
        self.sent = []

    async def command(self, cmd, timeout_ms=1000, expect=("OK",)):
        self.sent.append(cmd)
        return self.lines


class FakeNtp:
    def __init__(self, secs):
        self.secs = secs

    def time(self):
        import time
        return self.secs - (946684800 if time.gmtime(0)[0] == 2000 else 0)


def test_sync_takes_the_time_from_a_modem_an_answer_or_ntp():
    clock = Clock(FakeRtc(0), "modem")
    modem = FakeModem(['+CCLK: "26/11/23,14:05:09+32"', "OK"])
    assert civil(asyncio.run(clock.sync(modem))) == (2026, 11, 23, 14, 5, 9)
    assert modem.sent == ["AT+CCLK?"] and civil(clock.now()) == (2026, 11, 23, 14, 5, 9)
    asyncio.run(clock.sync('+CCLK: "26/11/24,00:00:00+32"'))
    assert civil(clock.now()) == (2026, 11, 24, 0, 0, 0)
    utc = seconds(2026, 11, 23, 6, 5, 9)
    asyncio.run(clock.sync(utc))
    assert civil(clock.now()) == (2026, 11, 23, 14, 5, 9)
    asyncio.run(Clock(FakeRtc(0), "ntp").sync(FakeNtp(utc)))
    clock = Clock(FakeRtc(0), "ntp")
    asyncio.run(clock.sync(FakeNtp(utc + 60)))
    assert civil(clock.now()) == (2026, 11, 23, 14, 6, 9)


def test_a_failed_sync_leaves_the_clock_alone():
    clock = Clock(FakeRtc(MONDAY_8AM), "modem")
    for source in (FakeModem(["OK"]), FakeModem(['+CCLK: "80/01/06,00:01:02+00"', "OK"]),
                   seconds(2001, 1, 1), "garbage", object()):
        try:
            asyncio.run(clock.sync(source))
            assert False, source
        except ClockError:
            pass
        assert clock.now() == MONDAY_8AM


def test_the_fake_rtc_moves_on_when_told():
    rtc = FakeRtc(MONDAY_8AM)
    rtc.advance(61)
    assert Clock(rtc, "ntp").now() == MONDAY_8AM + 61


# --- the LCD's bus and backlight ----------------------------------------------------------

class Recorder:
    def __init__(self):
        self.log = []

    def pin(self, name):
        def set_level(level):
            self.log.append((name, level))
        return set_level

    def write(self, buf):
        self.log.append(("spi", bytes(buf)))


def test_spi_bus_sends_the_command_with_dc_low_and_data_with_dc_high_inside_cs():
    rec = Recorder()
    bus = SpiBus(rec, rec.pin("dc"), rec.pin("cs"))
    rec.log = []
    bus.write_cmd(0x2A, b"\x00\x01\x00\x3f")
    bus.write_cmd(0x2C)
    bus.write_data(b"\xff\xff")
    assert rec.log == [("cs", 0), ("dc", 0), ("spi", b"\x2a"), ("dc", 1), ("spi", b"\x00\x01\x00\x3f"), ("cs", 1),
                       ("cs", 0), ("dc", 0), ("spi", b"\x2c"), ("cs", 1),
                       ("cs", 0), ("dc", 1), ("spi", b"\xff\xff"), ("cs", 1)]


def test_spi_bus_pulses_reset_and_works_with_cs_tied_low():
    rec = Recorder()
    bus = SpiBus(rec, rec.pin("dc"), None, rec.pin("rst"))
    bus.reset()
    bus.write_data(b"\x01")
    assert rec.log == [("rst", 0), ("rst", 1), ("dc", 1), ("spi", b"\x01")]
    SpiBus(rec, rec.pin("dc")).reset()


def test_backlight_drives_its_pin_and_an_oled_without_one_switches_the_display():
    rec = Recorder()
    ColorLcd(FakeBus(), backlight=rec.pin("bl")).backlight(False)
    MonoLcd(FakeBus(), backlight=rec.pin("bl")).backlight(True)
    assert rec.log == [("bl", 0), ("bl", 1)]
    oled = MonoLcd(FakeBus(), controller="ssd1306")
    oled.backlight(False)
    oled.backlight(True)
    assert oled._bus.records == [("cmd", b"\xae"), ("cmd", b"\xaf")]
    bus = FakeBus()
    MonoLcd(bus).backlight(False)
    ColorLcd(bus).backlight(False)
    assert bus.records == []


def test_a_counting_bus_keeps_nothing_and_counts_the_bytes_and_commands():
    kept, counted = FakeBus(), FakeBus(keep=False)
    for bus in (kept, counted):
        bus.write_cmd(0x2A, b"\x00\x00\x00\x07")
        bus.write_cmd(0x2C)
        bus.write_data(bytes(16))
        bus.delay_ms(5)
    assert counted.records == [] and (counted.nbytes, counted.ncmds) == (22, 2)
    assert kept.records == [("cmd", b"\x2a"), ("data", b"\x00\x00\x00\x07"), ("cmd", b"\x2c"),
                            ("data", bytes(16)), ("delay", 5)]
    assert (kept.nbytes, kept.ncmds) == (22, 2)
