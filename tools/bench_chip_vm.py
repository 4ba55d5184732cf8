# Runs on the MicroPython unix port for `make bench` (tools/bench.py drives it on the 32-bit frozen
# VM, from the repository's root): the chip kernel's speed, each figure the median of RUNS runs.
#   micropython bench_chip_vm.py sale    chip_terminal_ms: card "chip" inserted for a 123.45 sale,
#                                        PIN 123456, both slips, up to the result screen
#   micropython bench_chip_vm.py tap     tap_card_step_ms: card "tap" tapped for a 123.45 sale, up
#                                        to the beep (PPSE, SELECT, GPO, READ RECORDs)
#   micropython bench_chip_vm.py dda     dda_ms: pos.emv.oda's issuer key, ICC key and DDA checks
#                                        of card "chip" (its signature made before the clock starts)
# The terminal is flowkit's (host_tests/vm/flowkit.py), driven as test_flow_chip.py drives it: the
# App, the virtual card (drivers/fakes/chipcard.py) and the scripted host answering at once. Each
# card and host answer is timed and that time taken off, so what is left is the firmware's own
# time, its flash writes included; the slips are kept as lines (rendering them is
# printer_bytes_per_s's, the screens lcd_full_screen_ms's). Each run is a fresh terminal on a fresh
# flash, signed in, at 请插卡或刷卡 for the amount, a collection just before the clock starts.
import gc
import sys
import time

from flowkit import EMV_CARDS, Terminal, chip_card, give_ca_keys

RUNS = 7
AMOUNT = "12345"


class TimedTerminal(Terminal):
    """flowkit's Terminal that adds up the time of the card's and the host's answers (outside_us)
    and notes when the first beep came (beep_at: (ticks_us, outside_us then))."""

    def __init__(self):
        self.outside_us = 0
        self.beep_at = None
        Terminal.__init__(self)

    def exchange(self, e):
        t0 = time.ticks_us()
        answer = Terminal.exchange(self, e)
        self.outside_us += time.ticks_diff(time.ticks_us(), t0)
        return answer

    def apdu(self, e):
        t0 = time.ticks_us()
        answer = Terminal.apdu(self, e)
        self.outside_us += time.ticks_diff(time.ticks_us(), t0)
        return answer

    def beep(self, e):
        if self.beep_at is None:
            self.beep_at = (time.ticks_us(), self.outside_us)
        return Terminal.beep(self, e)


def _at_card_prompt():
    term = TimedTerminal()
    term.login()
    give_ca_keys(term)
    term.menu("消费")
    term.type(AMOUNT)
    term.keys("ENTER")
    gc.collect()
    term.outside_us = 0
    return term


def chip_sale():
    """µs of the terminal's own time from the card inserted to the result screen."""
    card = chip_card("chip")
    term = _at_card_prompt()
    try:
        t0 = time.ticks_us()
        term.insert(card)
        term.pin("123456")
        term.tear_off()
        spent = time.ticks_diff(time.ticks_us(), t0) - term.outside_us
        assert "交易成功" in term.screen and len(term.slips) == 2, term.screen
        assert term.last_request("sale")[22] == "051"
        return spent
    finally:
        term.close()


def tap_step():
    """µs of the terminal's own time from the tap to the beep."""
    card = chip_card("tap")
    term = _at_card_prompt()
    try:
        t0 = time.ticks_us()
        term.tap(card)
        beep_at, outside = term.beep_at
        term.field = None
        term.tear_off()
        assert "交易成功" in term.screen, term.screen
        assert term.last_request("sale")[22] == "072"
        return time.ticks_diff(beep_at, t0) - outside
    finally:
        term.close()


def _with_card(step, card):
    """A kernel step run to its end with each Apdu effect answered by the card: its result."""
    try:
        effect = step.send(None)
        while True:
            effect = step.send(card(effect.command))
    except StopIteration as e:
        return e.value


def dda():
    """µs of issuer key recovery, ICC key recovery and DDA verification of card "chip"."""
    import json
    from binascii import unhexlify
    from pos.emv import kernel, oda, tlv
    from pos.screen import Screen
    card = chip_card("chip")
    s = kernel.Session("icc", Screen("", []), int(AMOUNT), "00", "20261123", "100000", 1, "12345678")
    [(aid, _label, _priority)] = _with_card(kernel.candidates(s), card)
    _with_card(kernel.initiate(s, aid), card)
    _with_card(kernel.read_records(s), card)
    with open(EMV_CARDS) as f:
        ca = json.load(f)["ca"]
    ddol_data = tlv.build_dol(s.t.get(0x9F49, b"\x9f\x37\x04"), s.values())
    sdad = tlv.find(card(kernel.apdu(0x00, 0x88, 0x00, 0x00, ddol_data))[:-2], 0x9F4B)
    static = bytes(s.oda_data) + (s.t[0x82] if 0x9F4A in s.t else b"")
    ca_modulus, ca_exponent = unhexlify(ca["modulus"]), int(ca["exponent"], 16)
    t, pan, today = s.t, s.pan, "261123"
    gc.collect()
    t0 = time.ticks_us()
    issuer = oda.issuer_key(ca_modulus, ca_exponent, t[0x90], t.get(0x92, b""), t.get(0x9F32, b"\x03"), pan, today)
    icc = oda.icc_key(issuer, t[0x9F46], t.get(0x9F48, b""), t.get(0x9F47, b"\x03"), static, pan, today)
    oda.verify_dda(icc, sdad, ddol_data)
    return time.ticks_diff(time.ticks_us(), t0)


BENCHES = {"sale": ("chip_terminal_ms", chip_sale), "tap": ("tap_card_step_ms", tap_step),
           "dda": ("dda_ms", dda)}


def main():
    for what in sys.argv[1:]:
        name, bench = BENCHES[what]
        runs = sorted(bench() / 1000 for _ in range(RUNS))
        print("%s: %.1f" % (name, runs[RUNS // 2]))
        print("%s_runs: %s" % (name, " ".join("%.1f" % ms for ms in runs)))


main()
