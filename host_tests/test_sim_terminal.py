"""The simulator's terminal is the device's runtime: the shell of firmware/runtime/shell.py over
the parts' fakes carries out every effect, the printer driver prints the slips the scenarios read,
and a reset boots the device again. The acquirer runs as a process on 127.0.0.1."""
import pytest

from pos.engine import Connect, Disconnect, Exchange, Print
from runtime import shell as runtime_shell
from runtime.link import Link
from test_e2e import LOGIN, SALE
from tools.sim import scenario
from tools.sim.terminal import LINE_BYTES, SimTerminal

SALE = SALE.format(amount=2500, card="good")


@pytest.fixture
def runner(tmp_path):
    r = scenario.Runner(state_dir=str(tmp_path / "flash"))
    try:
        yield r
    finally:
        r.close()


def test_the_simulated_terminal_is_the_runtimes_shell_carrying_out_every_effect(runner, monkeypatch):
    carried = []

    def carry_out(shell, effect):
        carried.append((type(shell), type(effect)))
        return real(shell, effect)
    real = runtime_shell.carry_out
    monkeypatch.setattr(runtime_shell, "carry_out", carry_out)
    runner.run(scenario.parse(LOGIN + SALE + "expect receipts 2\n"))
    term = runner.terminal
    assert type(term.shell) is runtime_shell.Shell and type(term.shell.link) is Link
    assert {shell for shell, _ in carried} == {runtime_shell.Shell}
    assert {Connect, Exchange, Disconnect, Print} <= {effect for _, effect in carried}
    assert sorted(term.shell.parts) == ["icc", "keypad", "lcd", "magstripe", "nfc", "printer", "rtc", "scanner", "touch",
                                        "wifi"]
    assert term.shell.link.active == "wifi"


def test_the_chip_slot_and_the_field_are_the_readers_drivers_over_their_chips_fakes_on_one_bus(runner, monkeypatch):
    from drivers.icc import IccReader
    from drivers.nfc import Pn532
    from pos.engine import Apdu
    carried = []

    def carry_out(shell, effect):
        carried.append(effect)
        return real(shell, effect)
    real = runtime_shell.carry_out
    monkeypatch.setattr(runtime_shell, "carry_out", carry_out)
    runner.run(scenario.parse(LOGIN + "keys ENTER 1\ntype 300\nkeys ENTER\ninsert chip\npin 123456\n"
                              "expect screen 交易成功\n"))
    term = runner.terminal
    parts = term.shell.parts
    assert type(parts["icc"]) is IccReader and type(parts["nfc"]) is Pn532 and term.app.readers == ("icc", "nfc")
    bus = term.machine.I2C()
    assert bus.device(0x2A) is term.slot and bus.device(0x24) is term.field
    with pytest.raises(OSError):
        bus.writeto(0x50, b"\x00")                         # nobody else on the bus
    assert {e.reader for e in carried if isinstance(e, Apdu)} == {"icc"}
    assert term.slot.power_ons == 1 and term.slot.card.answers.cid == 0x40     # the card gave its TC


def test_a_tapped_card_waits_on_the_field_until_the_terminal_reads_it_then_leaves(runner):
    runner.run(scenario.parse("power-on\nexpect screen 操作员号\ntap tap\n"))
    term = runner.terminal
    assert term.field.card is not None and term.field.card.commands == []     # the login screen takes no card
    runner.run(scenario.parse(LOGIN.replace("power-on", "") + "expect screen 请输入金额\n"))
    assert term.field.card.commands == []                    # the idle screen took it: 消费, its amount first
    runner.run(scenario.parse("type 500\nkeys ENTER\nexpect screen 交易成功\nexpect receipts 2\n"))
    assert term.field.card is None                           # read, then taken away
    runner.run(scenario.parse("keys ENTER\nexpect screen 欢迎使用\nadvance 3\nexpect no-screen 请输入金额\n"))


def test_a_copy_cut_short_by_the_paper_keeps_its_whole_lines_and_prints_again_whole(runner):
    runner.run(scenario.parse(LOGIN + "paper low 5\n" + SALE + "expect screen 缺纸\n"))
    text, data, complete = runner.printer.jobs[-1]
    assert not complete and 0 < len(text.splitlines()) <= 5 and len(data) <= 5 * LINE_BYTES
    assert data.endswith(b"\x1bJ\x06")                   # ends with a whole line: it renders
    from tools.sim.render import escpos_to_rows
    assert escpos_to_rows(data)
    runner.run(scenario.parse("paper in\nexpect receipts 2\n"))
    first = runner.printer.jobs[-2][0]
    assert first.startswith(text) and len(first.splitlines()) > 20


def test_power_loss_drops_the_shell_and_power_on_boots_a_new_one_on_the_same_flash(runner):
    runner.run(scenario.parse(LOGIN))
    before = runner.terminal.shell
    runner.run(scenario.parse("kill\n"))
    assert not runner.terminal.on and runner.terminal.screen is None
    with pytest.raises(scenario.ExpectationFailed):
        runner.run(scenario.parse("keys ENTER\n"))
    runner.run(scenario.parse(LOGIN))
    assert runner.terminal.shell is not before and runner.terminal.app.dir == before.app.dir


def test_the_headless_clock_moves_only_when_advanced_and_the_app_sees_each_second(tmp_path):
    from tools.sim.clock import SimClock
    clock = SimClock(scenario.START)
    term = SimTerminal(str(tmp_path / "flash"), ("127.0.0.1", 9), clock)
    try:
        term.power_on()
        term.settle()
        app = term.app
        seen = []
        tick = app.tick
        app.tick = lambda: (seen.append(app.clock()), tick())
        term.settle()
        assert app.clock() == scenario.START and seen == []
        for _ in range(3):
            clock.advance(1)
            term.settle()
        assert seen == [scenario.START + 1, scenario.START + 2, scenario.START + 3]
    finally:
        term.close()
