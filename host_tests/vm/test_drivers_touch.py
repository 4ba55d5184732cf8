# The touch panel's driver (drivers/touch.py) against the fake FT6336U, and the board builder
# making it. VM-neutral.
import gc

from drivers.fakes.board import Board, FakeMachine
from drivers.fakes.touch import FakeFt6336
from drivers.touch import Ft6336, TouchError
from runtime.board import build
from vmutil import raises


def polls(touch, n):
    return [touch.read() for _ in range(n)]


def test_untouched_reads_none():
    chip = FakeFt6336()
    touch = Ft6336(chip)
    assert polls(touch, 3) == [None, None, None]


def test_press_move_and_lift_give_the_points_then_none():
    chip = FakeFt6336()
    touch = Ft6336(chip)
    chip.press(10, 20)
    assert touch.read() == (10, 20)
    chip.move(300, 230)
    assert touch.read() == (300, 230)
    chip.lift()
    assert touch.read() is None


def test_the_first_point_is_read_from_td_status_on_and_coordinates_are_12_bits():
    chip = FakeFt6336(width=4000, height=4000)
    touch = Ft6336(chip, width=4000, height=4000)
    chip.press(0x9AB, 0x3CD)
    assert chip.regs[2:7] == bytearray((1, 0x09, 0xAB, 0x03, 0xCD))
    assert touch.read() == (0x9AB, 0x3CD)


def test_no_event_and_bad_counts_read_none():
    chip = FakeFt6336()
    touch = Ft6336(chip)
    chip.press(5, 5)
    chip.regs[0x03] |= 0xC0  # event: none
    assert touch.read() is None
    chip.press(5, 5)
    chip.regs[0x02] = 0x0F  # more points than the chip tracks: a garbled read
    assert touch.read() is None


def test_the_panel_axes_are_turned_into_the_lcds():
    # A 240x320 portrait glass under a 320x240 landscape picture: x = 319 - glass y, y = glass x.
    chip = FakeFt6336()
    chip.regs[0x02:0x07] = bytearray((1, 0x80, 10, 0x00, 30))  # glass (10, 30)
    assert Ft6336(chip, swap_xy=True, invert_x=True).read() == (289, 10)
    assert Ft6336(chip, swap_xy=True).read() == (30, 10)
    assert Ft6336(chip, invert_y=True).read() == (10, 209)
    assert Ft6336(chip, invert_x=True, invert_y=True).read() == (309, 209)


def test_the_fake_turns_lcd_points_the_way_the_driver_turns_them_back():
    for swap in (False, True):
        for ix in (False, True):
            for iy in (False, True):
                chip = FakeFt6336(swap_xy=swap, invert_x=ix, invert_y=iy)
                touch = Ft6336(chip, swap_xy=swap, invert_x=ix, invert_y=iy)
                for x, y in ((0, 0), (319, 239), (17, 200)):
                    chip.move(x, y)
                    assert touch.read() == (x, y), (swap, ix, iy, x, y)


def test_a_point_past_the_edge_is_kept_on_the_screen():
    chip = FakeFt6336()
    chip.regs[0x02:0x07] = bytearray((1, 0x81, 0x90, 0x01, 0x00))  # (400, 256) on a 320x240 panel
    assert Ft6336(chip).read() == (319, 239)


def test_an_absent_chip_or_another_chip_is_a_clear_error_at_construction():
    chip = FakeFt6336()
    chip.gone = True
    assert raises(TouchError, Ft6336, chip)
    assert raises(OSError, Ft6336, chip)  # what the board builder catches: the part is missing
    assert raises(TouchError, Ft6336, FakeFt6336(chip_id=0x58))
    assert raises(TouchError, Ft6336, FakeFt6336(addr=0x39))
    try:
        Ft6336(FakeFt6336(chip_id=0x58))
    except TouchError as e:
        assert "0x58" in str(e) and "FT6x36" in str(e)


def test_construction_sets_the_int_pin_to_stay_low_while_touched():
    chip = FakeFt6336()
    assert chip.regs[0xA4] == 1
    Ft6336(chip)
    assert chip.regs[0xA4] == 0


def test_a_chip_that_stops_answering_is_a_touch_error():
    chip = FakeFt6336()
    touch = Ft6336(chip)
    chip.gone = True
    assert raises(TouchError, touch.read)


def test_with_an_irq_pin_the_chip_is_read_only_while_touched():
    chip = FakeFt6336()
    touch = Ft6336(chip, irq=chip.irq)
    assert polls(touch, 5) == [None] * 5 and chip.reads == 0
    chip.press(50, 60)
    assert touch.read() == (50, 60) and chip.reads == 1
    chip.lift()
    assert touch.read() is None and chip.reads == 1


def test_played_strokes_come_one_point_a_poll_with_a_none_at_each_lift():
    strokes = (((10, 10), (14, 12), (20, 15)), ((100, 100),))
    want = [(10, 10), (14, 12), (20, 15), None, (100, 100), None, None]
    for irq in (False, True):
        chip = FakeFt6336()
        chip.play(strokes)
        touch = Ft6336(chip, irq=chip.irq if irq else None)
        assert polls(touch, 7) == want, irq
        assert chip.frames == []


def test_reads_allocate_nothing_untouched_or_held_still():
    chip = FakeFt6336()
    touch = Ft6336(chip)
    if not hasattr(gc, "mem_alloc"):
        return  # CPython: nothing to measure
    read = touch.read
    for _ in range(3):
        read()
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(50):
        read()
    untouched = gc.mem_alloc() - before
    chip.press(30, 40)
    point = read()
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(50):
        assert read() is point
    held = gc.mem_alloc() - before
    assert untouched == 0 and held == 0, (untouched, held)


class Panel(Board):
    """The test handheld's touch panel alone, on its I2C bus, its INT pin (Board's) wired."""
    PARTS = {name: Board.PARTS[name] for name in ("i2c", "touch")}


def test_the_board_builder_makes_the_touch_panel_on_the_i2c_bus():
    machine = FakeMachine()
    parts, missing = build(Panel, machine)
    assert missing == [] and "touch" in parts
    chip = machine.touch()
    chip.play((((40, 50), (44, 53)),))
    assert polls(parts["touch"], 4) == [(40, 50), (44, 53), None, None]
    assert chip.reads == 2  # the INT pin said when to read


def test_a_board_whose_touch_chip_does_not_answer_starts_without_it():
    class Elsewhere(Board):
        PARTS = dict(Panel.PARTS)
        PARTS["touch"] = dict(Board.PARTS["touch"])
        PARTS["touch"]["addr"] = 0x39
    parts, missing = build(Elsewhere, FakeMachine())
    assert "touch" not in parts and [name for name, _ in missing] == ["touch"]
    assert "0x39" in missing[0][1]
