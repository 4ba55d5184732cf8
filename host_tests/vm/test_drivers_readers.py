# The card reader drivers (drivers/magstripe.py, icc.py, nfc.py) against their fakes, byte by byte. VM-neutral.
import asyncio

from drivers.fakes.icc import FakeCard, FakeIccBus
from drivers.icc import IccCardGone, IccError, IccReader, parse_atr
from drivers.fakes.magstripe import FakeDecoderUart
from drivers.magstripe import Magstripe
from drivers.fakes.nfc import FakeCardA, FakePn532
from drivers.nfc import ACK, NfcCardGone, NfcError, Pn532, frame, parse_frame
from vmutil import raises

TRACK2 = ";6222021000000000017=30121010000000000?"
TRACK1 = "%B6222021000000000017^ZHANG/SAN^30121010000000000000000?"
TRACK3 = "+996222021000000000017=1561560000000000000003000000114000030120=000000000000=000000000000=0000000?"


class Clock:
    """Fake milliseconds: time passes only when a driver sleeps."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now

    async def sleep_ms(self, ms):
        self.now += ms
        await asyncio.sleep(0)


def run(coro):
    return asyncio.run(coro)


def polls(reader, n=10):
    """The events of n polls, Nones left out."""
    out = []
    for _ in range(n):
        event = reader.poll()
        if event is not None:
            out.append(event)
    return out


def h(text):
    return bytes(int(x, 16) for x in text.split())


# Magstripe

def test_a_swipe_gives_track_2_and_ignores_tracks_1_and_3():
    uart = FakeDecoderUart()
    uart.swipe(TRACK2, TRACK1, TRACK3)
    assert polls(Magstripe(uart)) == [("swipe", TRACK2)]


def test_a_track_2_line_split_across_reads_is_assembled():
    data = (TRACK2 + "\r\n").encode()
    uart = FakeDecoderUart()
    reader = Magstripe(uart)
    events = []
    for piece in (data[:1], data[1:9], data[9:30], data[30:-1], data[-1:]):
        uart.feed(piece)  # one piece arrives between two polls
        events.append(reader.poll())
    assert events == [None, None, None, ("swipe", TRACK2), None]


def test_tracks_1_and_3_alone_give_nothing():
    uart = FakeDecoderUart([(TRACK1 + "\r\n" + TRACK3 + "\r\n").encode()])
    assert polls(Magstripe(uart)) == []


def test_garbage_and_bad_track_2_are_card_errors():
    for line in (b"\x00\xff\xfe\x01", b"hello", b";E?", b";6222021000000000018=3012101?", b";62220210=?",
                 b";6222021000000000017=3012101", b"6222021000000000017=30121010000000000",
                 b";6222021000000000017=3012\x07101?"):
        uart = FakeDecoderUart([line + b"\r\n"])
        assert polls(Magstripe(uart)) == [("card_error", "bad_read")], line


def test_several_lines_in_one_read_give_one_event_per_poll():
    uart = FakeDecoderUart([b";E?\r\n" + (TRACK1 + "\r\n" + TRACK2 + "\r\n").encode()])
    reader = Magstripe(uart)
    assert reader.poll() == ("card_error", "bad_read")
    assert reader.poll() == ("swipe", TRACK2)
    assert reader.poll() is None


def test_an_over_long_line_is_one_card_error_and_the_next_swipe_reads():
    long_line = (";" + "1" * 300 + "?\r\n").encode()
    uart = FakeDecoderUart([long_line[:100], long_line[100:], (TRACK2 + "\r\n").encode()])
    assert polls(Magstripe(uart)) == [("card_error", "bad_read"), ("swipe", TRACK2)]


def test_lines_end_at_cr_or_lf_alone_and_empty_lines_are_nothing():
    uart = FakeDecoderUart([b"\r\n\r\n", (TRACK2 + "\n").encode(), b"\n\r", (TRACK2 + "\r").encode()])
    assert polls(Magstripe(uart)) == [("swipe", TRACK2), ("swipe", TRACK2)]


def test_no_track_data_stays_in_the_driver_after_a_line():
    uart = FakeDecoderUart()
    uart.swipe(TRACK2, TRACK1)
    reader = Magstripe(uart)
    assert polls(reader) == [("swipe", TRACK2)]
    assert reader._line == bytearray(len(reader._line))


# ICC: ATR (ISO 7816-3)

AMEX = "3B 6F 00 00 80 31 E0 6B 01 03 05 02 E0 55 55 55 55 55 55"  # T=0, TB1 TC1, 15 historical
FEITIAN = "3B 9F 95 81 31 FE 9F 00 66 46 53 05 10 00 FF 71 DF 00 00 00 00 00 EC"  # T=1, TA1 95, TCK
VISA = "3B 68 00 00 00 73 C8 40 12 00 90 00"
NDS = "3F FF 95 00 FF 91 81 71 FE 47 00 44 4E 41 53 50 31 34 32 20 52 65 76 47 43 34 63"  # inverse, T=1


def test_real_atrs_parse():
    a = parse_atr(h(AMEX))
    assert a == {"convention": "direct", "protocols": (0,), "ta1": None, "historical": h(AMEX)[4:]}
    f = parse_atr(h(FEITIAN))
    assert f["protocols"] == (1,) and f["ta1"] == 0x95 and f["historical"] == h(FEITIAN)[7:22]
    v = parse_atr(h(VISA))
    assert v["protocols"] == (0,) and v["historical"] == h("00 73 C8 40 12 00 90 00")
    n = parse_atr(h(NDS))
    assert n["convention"] == "inverse" and n["protocols"] == (1,) and n["historical"] == b"DNASP142 RevGC4"
    assert parse_atr(h("3B 00")) == {"convention": "direct", "protocols": (0,), "ta1": None, "historical": b""}


def test_every_truncation_of_an_atr_is_refused():
    for atr in (AMEX, FEITIAN, VISA, NDS):
        full = h(atr)
        for n in range(len(full)):
            assert raises(IccError, parse_atr, full[:n]), (atr, n)


def test_malformed_atrs_are_refused():
    assert raises(IccError, parse_atr, h(FEITIAN)[:-1] + b"\xed")  # TCK wrong
    assert raises(IccError, parse_atr, h(AMEX) + b"\x00")  # a byte after the end
    assert raises(IccError, parse_atr, h("3C 00"))  # TS
    assert raises(IccError, parse_atr, h("3B 6F 00 00 80 31 E0 6B 04 51 01 02 00 00 00 00 9F"))  # 13 of 15 historical
    assert raises(IccError, parse_atr, b"\x3b\x8f\x01" + bytes(31))  # longer than 33 bytes
    assert raises(IccError, parse_atr, h("3B 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80"
                                          " 80 80 80 80 80 80 80 80 80 80 80 80 80"))  # TDs without end


# ICC: the coprocessor link

SELECT_PSE = h("00 A4 04 00 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00")
FCI = h("6F 1A 84 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 A5 08 88 01 01 5F 2D 02 7A 68")


def icc(card, **options):
    clock = Clock()
    bus = FakeIccBus(card, **options)
    reader = IccReader(bus, 0x2A, detect=bus.detect, ticks=clock.ticks_ms, sleep=clock.sleep_ms)
    return clock, bus, reader


def test_power_on_is_one_frame_and_returns_the_atr():
    clock, bus, reader = icc(FakeCard(h(AMEX)))
    assert reader.present() is True
    assert run(reader.power_on()) == h(AMEX)
    assert bus.writes == [h("00 02 02 00 00")]  # LEN 2, POWER_ON, class auto, XOR


def test_the_command_frame_is_length_command_data_and_xor():
    clock, bus, reader = icc(FakeCard(h(AMEX), {h("00 B2 01 0C 00"): b"\x90\x00"}))
    run(reader.power_on())
    assert run(reader.apdu(h("00 B2 01 0C 00"))) == b"\x90\x00"
    assert bus.writes[1] == h("00 06 03 00 B2 01 0C 00 BA")


def test_no_card_mute_card_and_truncated_atr_are_icc_errors():
    clock, bus, reader = icc(None)
    assert reader.present() is False
    assert raises(IccError, run, reader.power_on())
    clock, bus, reader = icc(FakeCard(None))
    assert raises(IccError, run, reader.power_on())
    clock, bus, reader = icc(FakeCard(h(FEITIAN)[:-3]))
    assert raises(IccError, run, reader.power_on())
    assert raises(IccError, run, reader.apdu(SELECT_PSE))  # never powered


def test_61xx_is_followed_by_get_response():
    answers = {SELECT_PSE: b"\x61\x1c", h("00 C0 00 00 1C"): FCI + b"\x90\x00"}
    card = FakeCard(h(AMEX), answers)
    clock, bus, reader = icc(card)
    run(reader.power_on())
    assert run(reader.apdu(SELECT_PSE)) == FCI + b"\x90\x00"
    assert card.commands == [SELECT_PSE, h("00 C0 00 00 1C")]


def test_61xx_chained_answers_are_joined():
    answers = {SELECT_PSE: b"\x61\x10", h("00 C0 00 00 10"): FCI[:16] + b"\x61\x0c",
               h("00 C0 00 00 0C"): FCI[16:] + b"\x90\x00"}
    clock, bus, reader = icc(FakeCard(h(AMEX), answers))
    run(reader.power_on())
    assert run(reader.apdu(SELECT_PSE)) == FCI + b"\x90\x00"


def test_61xx_without_end_is_an_icc_error_not_a_loop():
    answers = {SELECT_PSE: b"\x61\x10", h("00 C0 00 00 10"): bytes(16) + b"\x61\x10"}
    card = FakeCard(h(AMEX), answers)
    clock, bus, reader = icc(card)
    run(reader.power_on())
    assert raises(IccError, run, reader.apdu(SELECT_PSE))
    assert len(card.commands) <= 9


def test_6cxx_sends_the_command_again_with_that_le():
    record = h("70 1A 61 18 4F 07 A0 00 00 03 33 01 01 50 0A 50 42 4F 43 20 44 45 42 49 54 87 01 01")
    answers = {h("00 B2 01 0C 00"): b"\x6c\x1c", h("00 B2 01 0C 1C"): record + b"\x90\x00"}
    card = FakeCard(h(AMEX), answers)
    clock, bus, reader = icc(card)
    run(reader.power_on())
    assert run(reader.apdu(h("00 B2 01 0C 00"))) == record + b"\x90\x00"
    assert card.commands == [h("00 B2 01 0C 00"), h("00 B2 01 0C 1C")]


def test_a_card_pulled_out_mid_apdu_is_card_gone():
    answers = {SELECT_PSE: b"\x61\x1c", h("00 C0 00 00 1C"): FCI + b"\x90\x00"}
    card = FakeCard(h(AMEX), answers, remove_at=2)
    clock, bus, reader = icc(card)
    run(reader.power_on())
    assert raises(IccCardGone, run, reader.apdu(SELECT_PSE))
    assert reader.present() is False
    assert raises(IccError, run, reader.apdu(SELECT_PSE))


def test_the_detect_pin_dropping_while_the_reader_works_is_card_gone():
    clock, bus, reader = icc(FakeCard(h(AMEX)), busy_reads=10 ** 6)
    bus.busy_reads = 0
    run(reader.power_on())
    bus.busy_reads = 10 ** 6
    task = reader.apdu(SELECT_PSE)
    bus.remove()
    assert raises(IccCardGone, run, task)
    assert clock.now < 100


def test_a_reader_that_stays_busy_is_an_icc_error_after_the_timeout():
    clock = Clock()
    bus = FakeIccBus(FakeCard(h(AMEX)), busy_reads=10 ** 6)
    reader = IccReader(bus, 0x2A, ticks=clock.ticks_ms, sleep=clock.sleep_ms)
    assert raises(IccError, run, reader.power_on())
    assert 1500 <= clock.now < 1600


def test_a_garbled_answer_is_read_again_and_twice_garbled_is_an_error():
    clock, bus, reader = icc(FakeCard(h(AMEX)), corrupt=1)
    assert run(reader.power_on()) == h(AMEX)
    assert len(bus.writes) == 1  # read again, not asked again
    clock, bus, reader = icc(FakeCard(h(AMEX)), corrupt=2)
    assert raises(IccError, run, reader.power_on())


def test_status_command_when_there_is_no_detect_pin():
    bus = FakeIccBus(FakeCard(h(AMEX)))
    reader = IccReader(bus, 0x2A)
    assert reader.present() is True
    assert bus.writes == [h("00 01 01 00")]
    bus.remove()
    assert reader.present() is False


def test_a_reader_missing_from_the_bus_and_bad_commands_are_icc_errors():
    bus = FakeIccBus(FakeCard(h(AMEX)))
    reader = IccReader(bus, 0x2B)
    assert raises(IccError, reader.present)
    assert raises(IccError, run, reader.power_on())
    clock, bus, reader = icc(FakeCard(h(AMEX)))
    run(reader.power_on())
    for bad in (b"\x00\xa4\x04", h("00 A4 04 00 05 01 02"), h("00 A4 04 00 00 01"), bytes(300)):
        assert raises(IccError, run, reader.apdu(bad)), bad


def test_power_off_is_sent_and_never_raises():
    clock, bus, reader = icc(FakeCard(h(AMEX)))
    run(reader.power_on())
    reader.power_off()
    assert bus.writes[-1] == h("00 01 04 05") and not bus.powered
    IccReader(FakeIccBus(None), 0x2B).power_off()


# PN532

SAM_CONFIGURATION = h("00 00 FF 05 FB D4 14 01 14 01 02 00")
RF_MAX_RETRIES = h("00 00 FF 06 FA D4 32 05 FF 01 01 F4 00")
IN_LIST_PASSIVE_TARGET = h("00 00 FF 04 FC D4 4A 01 00 E1 00")
GET_FIRMWARE_VERSION = h("00 00 FF 02 FE D4 02 2A 00")
SELECT_PPSE = h("00 A4 04 00 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00")
PPSE_FCI = h("6F 23 84 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31 A5 11 BF 0C 0E 61 0C 4F 07 A0 00 00 03 33"
             " 01 01 87 01 01 90 00")
UID = h("04 A2 24 6A 3E 5C 80")


def nfc(card=None, **options):
    clock = Clock()
    bus = FakePn532(card, **options)
    return clock, bus, Pn532(bus, 0x24, ticks=clock.ticks_ms, sleep=clock.sleep_ms)


def test_host_frames_are_preamble_length_checksums_tfi_and_postamble():
    assert bytes(frame(b"\xd4\x14\x01\x14\x01")) == SAM_CONFIGURATION
    assert bytes(frame(b"\xd4\x4a\x01\x00")) == IN_LIST_PASSIVE_TARGET
    assert bytes(frame(b"\xd4\x02")) == GET_FIRMWARE_VERSION


def test_the_first_poll_configures_the_sam_and_the_retries_then_lists_a_target():
    clock, bus, pn = nfc(FakeCardA(UID))
    assert run(pn.poll()) == UID
    assert bus.writes == [SAM_CONFIGURATION, RF_MAX_RETRIES, IN_LIST_PASSIVE_TARGET]
    assert run(pn.poll()) == UID
    assert bus.writes[3:] == [IN_LIST_PASSIVE_TARGET]


def test_no_card_in_the_field_polls_none():
    clock, bus, pn = nfc(None)
    assert run(pn.poll()) is None
    assert raises(NfcCardGone, run, pn.apdu(SELECT_PPSE))


def test_a_four_byte_uid_card_without_ats():
    clock, bus, pn = nfc(FakeCardA(h("DE AD BE EF"), sel_res=0x08, sens_res=b"\x00\x04"))
    assert run(pn.poll()) == h("DE AD BE EF")


def test_firmware_version():
    clock, bus, pn = nfc()
    assert run(pn.firmware_version()) == (0x32, 0x01, 0x06, 0x07)
    assert bus.writes == [GET_FIRMWARE_VERSION]


def test_an_apdu_is_one_in_data_exchange_frame_and_returns_the_answer():
    card = FakeCardA(UID, {SELECT_PPSE: PPSE_FCI})
    clock, bus, pn = nfc(card)
    run(pn.poll())
    assert run(pn.apdu(SELECT_PPSE)) == PPSE_FCI
    assert bus.writes[-1] == bytes(frame(b"\xd4\x40\x01" + SELECT_PPSE))
    assert bus.writes[-1][:8] == h("00 00 FF 17 E9 D4 40 01") and bus.writes[-1][-2:] == h("8F 00")
    assert card.commands == [SELECT_PPSE]


def test_bad_checksums_are_nfc_errors():
    for corrupt in ("lcs", "dcs", "error"):
        clock, bus, pn = nfc(FakeCardA(UID), corrupt=corrupt)
        assert raises(NfcError, run, pn.firmware_version()), corrupt


def test_a_missing_ack_is_an_nfc_error_after_the_ack_timeout():
    clock, bus, pn = nfc(FakeCardA(UID), no_ack=True)
    assert raises(NfcError, run, pn.poll())
    assert 100 <= clock.now < 150


def test_an_answer_that_never_comes_is_aborted_with_an_ack_and_is_an_nfc_error():
    clock, bus, pn = nfc(FakeCardA(UID), answer_reads=10 ** 6)
    assert raises(NfcError, run, pn.firmware_version())
    assert bus.writes[-1] == ACK and bus.aborted == 1
    assert 1000 <= clock.now < 1100


def test_a_card_gone_mid_exchange_is_card_gone_and_stays_gone():
    card = FakeCardA(UID, {SELECT_PPSE: PPSE_FCI}, gone_at=2)
    clock, bus, pn = nfc(card)
    run(pn.poll())
    assert run(pn.apdu(SELECT_PPSE)) == PPSE_FCI
    assert raises(NfcCardGone, run, pn.apdu(SELECT_PPSE))
    writes = len(bus.writes)
    assert raises(NfcCardGone, run, pn.apdu(SELECT_PPSE))
    assert len(bus.writes) == writes  # nothing sent for a card known gone
    assert run(pn.poll()) is None


def test_apdus_too_short_or_too_long_for_a_frame_are_refused():
    clock, bus, pn = nfc(FakeCardA(UID))
    run(pn.poll())
    assert raises(NfcError, run, pn.apdu(b"\x00\xa4"))
    assert raises(NfcError, run, pn.apdu(bytes(253)))


def test_parse_frame_refuses_every_truncation_and_bad_lengths():
    good = bytes(frame(b"\xd5\x03\x32\x01\x06\x07"))
    assert parse_frame(good, 0, len(good)) == (5, 6)
    for n in range(len(good) - 1):
        assert raises(NfcError, parse_frame, good, 0, n), n
    assert raises(NfcError, parse_frame, b"\x01\x02\xff\x02\xfe\xd5\x03\x28\x00", 0, 9)  # no start code
    assert raises(NfcError, parse_frame, h("00 00 FF FF FF 00 03 FD D5 03 32 F6 00"), 0, 13)  # extended
    assert raises(NfcError, parse_frame, ACK, 0, 6)
    assert raises(NfcError, parse_frame, h("00 00 FF 00 00 00"), 0, 6)
    assert raises(NfcError, parse_frame, h("00 00 FF 09 F7 D5 03 28 00"), 0, 9)  # LEN past the end
    assert raises(NfcError, parse_frame, bytes(40), 0, 40)


def test_the_pn532_missing_from_the_bus_is_an_nfc_error():
    clock = Clock()
    pn = Pn532(FakePn532(), 0x25, ticks=clock.ticks_ms, sleep=clock.sleep_ms)
    assert raises(NfcError, run, pn.poll())
