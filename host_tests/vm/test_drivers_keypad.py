# The key matrix driver (drivers/keypad.py) on a simulated matrix. VM-neutral.
import gc
import sys

from drivers.compat import ticks_diff
from drivers.keypad import Keypad
from drivers.fakes.keypad import FakeKeypad
from vmutil import raises

ON_MICROPYTHON = sys.implementation.name == "micropython"
KEYS = ("1", "2", "3", "CANCEL", "F1",
        "4", "5", "6", "CLEAR", "F2",
        "7", "8", "9", "ENTER", "F3",
        "UP", "0", "DOWN", "FEED", "F4")       # the boards' layout


class Matrix:
    """A 4 x 5 key matrix. Rows are driven (0 while scanned), columns pulled up.
    Without diodes a column reads 0 when any path of closed keys joins it to
    the driven row, so three keys at three corners of a rectangle close the fourth."""

    def __init__(self, diodes=False):
        self.diodes = diodes
        self.level = [1] * 4
        self.closed = set()
        self.reads = None                # a list: the row levels at every column read
        self.rows = [self._drive(r) for r in range(4)]
        self.cols = [self._read(c) for c in range(5)]

    def _drive(self, r):
        def drive(level):
            self.level[r] = level
        return drive

    def _read(self, c):
        def read():
            if self.reads is not None:
                self.reads.append(tuple(self.level))
            return 0 if c in self._joined() else 1
        return read

    def _joined(self):
        rows = set(r for r in range(4) if self.level[r] == 0)
        cols = set()
        grew = True
        while grew:
            grew = False
            for r, c in self.closed:
                if r in rows and c not in cols:
                    cols.add(c)
                    grew = True
                elif c in cols and r not in rows and not self.diodes:
                    rows.add(r)
                    grew = True
        return cols

    def press(self, key):
        i = KEYS.index(key)
        self.closed.add((i // 5, i % 5))

    def release(self, key):
        i = KEYS.index(key)
        self.closed.discard((i // 5, i % 5))


def keypad(diodes=False):
    m = Matrix(diodes)
    return m, Keypad(m.rows, m.cols, KEYS)


def run(kp, start, stop, step=10):
    """{time: keys} of the scans from start to stop ms that reported keys."""
    out = {}
    for t in range(start, stop, step):
        keys = kp.scan(t)
        if keys:
            out[t] = list(keys)
    return out


def test_a_press_is_reported_once_when_it_has_been_steady_for_the_debounce_time():
    m, kp = keypad()
    m.press("5")
    assert run(kp, 0, 1000) == {20: ["5"]}


def test_contact_chatter_is_one_press():
    m, kp = keypad()
    for t in range(0, 60, 10):
        if t // 10 % 2:
            m.release("7")
        else:
            m.press("7")
        assert not kp.scan(t)
    m.press("7")
    assert run(kp, 60, 500) == {80: ["7"]}


def test_a_glitch_during_a_hold_is_no_new_press_and_a_real_release_is():
    m, kp = keypad()
    m.press("ENTER")
    assert run(kp, 0, 100) == {20: ["ENTER"]}
    m.release("ENTER")
    assert run(kp, 100, 110) == {}
    m.press("ENTER")
    assert run(kp, 110, 300) == {}
    m.release("ENTER")
    assert run(kp, 300, 400) == {}
    m.press("ENTER")
    assert run(kp, 400, 500) == {420: ["ENTER"]}


def test_keys_are_named_row_by_row():
    m, kp = keypad()
    for key in ("1", "F1", "CLEAR", "ENTER", "UP", "F4"):
        m.press(key)
        assert run(kp, 0, 30) == {20: [key]}, key
        m.release(key)
        run(kp, 30, 100)


def test_the_scan_drives_one_row_at_a_time_and_leaves_them_idle():
    m, kp = keypad()
    m.reads = []
    kp.scan(0)
    assert len(m.reads) == 20
    for levels in m.reads:
        assert sorted(levels) == [0, 1, 1, 1]
    assert [levels.index(0) for levels in m.reads] == [r for r in range(4) for _ in range(5)]
    assert m.level == [1, 1, 1, 1]


def test_up_down_and_clear_repeat_while_held():
    for key in ("UP", "DOWN", "CLEAR"):
        m, kp = keypad()
        m.press(key)
        assert sorted(run(kp, 0, 1000)) == [20, 620, 770, 920], key


def test_other_keys_do_not_repeat():
    m, kp = keypad()
    m.press("5")
    assert sorted(run(kp, 0, 3000)) == [20]


def test_the_repeat_stops_at_the_release():
    m, kp = keypad()
    m.press("DOWN")
    assert sorted(run(kp, 0, 700)) == [20, 620]
    m.release("DOWN")
    assert run(kp, 700, 2000) == {}


def test_two_keys_together_are_both_reported():
    m, kp = keypad()
    m.press("1")
    m.press("9")
    assert run(kp, 0, 100) == {20: ["1", "9"]}


def test_three_keys_in_one_row_or_one_column_are_all_reported():
    for keys in (("4", "5", "6"), ("1", "4", "7")):
        m, kp = keypad()
        for key in keys:
            m.press(key)
        assert run(kp, 0, 100) == {20: list(keys)}


def test_three_keys_at_three_corners_report_nothing_new_and_never_the_ghost():
    m, kp = keypad()
    m.press("1")
    assert run(kp, 0, 100) == {20: ["1"]}
    m.press("2")
    m.press("4")                                # 1, 2 and 4 close 5 as well
    assert run(kp, 100, 1000) == {}
    m.release("4")
    assert run(kp, 1000, 1100) == {1020: ["2"]}


def test_the_same_three_keys_with_diodes_are_reported():
    m, kp = keypad(diodes=True)
    for key in ("1", "2", "4"):
        m.press(key)
    assert run(kp, 0, 100) == {20: ["1", "2", "4"]}


def _drive_nowhere(level):
    pass


def _open_column():
    return 1


def test_an_idle_scan_allocates_nothing():
    kp = Keypad([_drive_nowhere] * 4, [_open_column] * 5, KEYS)
    if not ON_MICROPYTHON:
        return
    gc.collect()
    before = gc.mem_alloc()
    for t in range(0, 1000, 10):
        kp.scan(t)
    assert gc.mem_alloc() - before == 0


def test_the_timing_holds_across_the_tick_wrap():
    period = 1 << 30
    if ticks_diff(5, period - 5) != 10:
        return                             # this port's ticks do not wrap at 2**30 (only the ESP32's do)
    m, kp = keypad()
    m.press("UP")
    start = period - 100
    seen = []
    for t in range(start, start + 1000, 10):
        if kp.scan(t % period):
            seen.append(t - start)
    assert seen == [20, 620, 770, 920]


def test_every_crossing_needs_a_name():
    m = Matrix()
    assert raises(ValueError, Keypad, m.rows, m.cols, KEYS[:19])


def test_the_fake_keypad_reports_a_tap_between_scans_once():
    kp = FakeKeypad()
    kp.press("5")
    kp.release("5")
    assert kp.waiting
    assert list(kp.scan(0)) == ["5"]
    assert not kp.waiting
    assert not kp.scan(10)


def test_the_fake_keypad_repeats_a_held_down_key_only():
    kp = FakeKeypad()
    kp.press("DOWN")
    kp.press("8")
    assert sorted(run(kp, 0, 1000)) == [0, 600, 750, 900]
    assert run(kp, 0, 10) == {}
    kp.release("DOWN")
    assert run(kp, 1000, 2000) == {}
