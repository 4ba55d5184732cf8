"""The terminal against a strict CUP host written from docs/protocol.md alone
(strict_host.py), which matches a reversal to its sale by PAN and amount, as
an independent CUP host does, instead of by the acquirer's (terminal, batch,
trace). The terminal of test_acquirer.py (the acquirer's pyiso8583 spec, its
own DES and MAC) checks the host first; then the simulator runs against it."""

import datetime
import os
import re

import pytest

from strict_host import ProfileError, StrictHost, cup_mac, decode
from test_acquirer import CARDS, MID, TID, TMK, Terminal
from test_e2e import LOGIN, SALE
from tools.acquirer import crypto
from tools.acquirer.testing import ROOT
from tools.sim import scenario

GOOD = CARDS["good"]
SIM_START = datetime.datetime(2026, 11, 23, 10, 0, 0)   # the simulated clock's (docs/scenarios.md)


@pytest.fixture
def host():
    host = StrictHost(TID, MID, TMK, clock=lambda: SIM_START)
    host.port = host.start()
    yield host
    host.stop()


def worked_example():
    """The sale request of protocol section 12, from its hex dump: (payload, body)."""
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
        section = f.read().split("## 12.")[1]
    dump = re.findall(r"^[0-9A-F]{4}  ((?:[0-9A-F]{2} ?)+)$", section, re.M)
    frame = bytes.fromhex("".join(dump))
    assert int.from_bytes(frame[:2], "big") == len(frame) - 2
    return frame[2:], frame[13:]


# -- the strict host on its own ---------------------------------------------

def test_the_strict_spec_reads_the_worked_example_of_the_protocol():
    payload, body = worked_example()
    assert payload[:11] == bytes.fromhex("6000030000603100000000")
    fields = decode(body)
    assert sorted(fields) == [0, 2, 3, 4, 11, 14, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64]
    assert fields[0] == "0200" and fields[2] == "6222021000000000017"
    assert fields[4] == "000000012345" and fields[22] == "021"
    assert fields[35] == "6222021000000000017=30121010000000000"
    assert fields[60] == "2200000100060" and fields[64] == b"1234ABCD"
    garbled = bytearray(body)
    garbled[0x2D - 13] = 0x2A       # field 11 (frame offset 002B) ends in the nibble A
    with pytest.raises(ProfileError):
        decode(bytes(garbled))


def test_the_strict_mac_is_the_acquirers():
    key = bytes.fromhex("0123456789ABCDEF")
    for n in (0, 1, 8, 13, 64, 200):
        data = bytes(range(n))
        assert cup_mac(key, data) == crypto.cup_mac(key, data)


def test_the_strict_host_refuses_a_reversal_without_the_sales_pan_and_amount(host):
    terminal = Terminal(host.port)
    assert terminal.sign_in()[39] == "00"          # Terminal checks both check values
    sale_fields, sale = terminal.sale(GOOD, 500)
    assert sale[39] == "00" and sale.mac_ok(terminal.mak) and sale[2] == GOOD["pan"]
    right = terminal.reversal_fields(sale_fields)
    without_pan = {n: v for n, v in right.items() if n != 2}
    other_pan = {**right, 2: CARDS["credit"]["pan"]}
    other_amount = {**right, 4: "%012d" % 501}
    for fields in (without_pan, other_pan, other_amount):
        answer = terminal.send_payload(terminal.build(fields))
        assert answer[0] == "0410" and answer[39] == "25" and answer.mac_ok(terminal.mak)
    assert not host.sales[0]["reversed"]
    payload = terminal.build(right)
    answer = terminal.send_payload(payload)
    assert answer[39] == "00" and answer.mac_ok(terminal.mak) and host.sales[0]["reversed"]
    assert terminal.send_payload(payload).payload == answer.payload
    terminal.close()
    assert [a[39] for _, a in host.exchanges] == ["00", "00", "25", "25", "25", "00", "00"]
    assert host.errors == []


# -- the simulated terminal against it ---------------------------------------

def test_a_lost_answer_is_reversed_with_the_pan_and_the_next_sale_goes_through(host, tmp_path):
    # A host that withholds an answer: the steps wait 0.3 real seconds for one, not 10 (the host
    # answers the others at once).
    runner = scenario.Runner(host_addr=("127.0.0.1", host.port), state_dir=str(tmp_path / "flash"),
                             answer_wait=0.3)
    try:
        runner.run(scenario.parse(LOGIN))
        host.withhold_next_sale()
        runner.run(scenario.parse(SALE.format(amount=500, card="good") + """
advance 61
expect screen 交易失败
expect screen 超时
keys ENTER
expect screen 欢迎使用
""" + SALE.format(amount=700, card="good") + "expect screen 交易成功\n"))
    finally:
        runner.close()
    assert [(request[0], answer and answer[39]) for request, answer in host.exchanges] == [
        ("0800", "00"), ("0200", None), ("0400", "00"), ("0200", "00")]
    lost, reversal = host.exchanges[1][0], host.exchanges[2][0]
    assert reversal[2] == GOOD["pan"] and reversal[39] == "98"
    assert reversal[4] == lost[4] == "%012d" % 500
    assert reversal[11] == lost[11] and reversal[60] == lost[60] and reversal[3] == lost[3]
    assert not set(reversal) & {26, 35, 36, 52, 53}
    assert [(s["amount"], s["reversed"]) for s in host.sales] == [
        ("%012d" % 500, True), ("%012d" % 700, False)]
    assert host.errors == []
