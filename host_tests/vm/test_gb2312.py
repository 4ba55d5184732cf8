# The 区位码 table file and its reader (pos/gb2312.py). VM-neutral.
# Expected characters were taken from CPython's gb2312 codec when the test
# was written; host_tests/test_gbgen.py checks the whole file against it.
import gc
import io
import sys

from pos.gb2312 import MAGIC, Gb2312Error, Gb2312Table
from vmutil import raises, table_path

ON_MICROPYTHON = sys.implementation.name == "micropython"
SIZE = 17680


_TABLE = []


def table():
    if not _TABLE:
        _TABLE.append(Gb2312Table(table_path()))
    return _TABLE[0]


def table_bytes(entries=None, head=MAGIC + b"\x01\x5e\x5e\x00", size=SIZE):
    """A table file in memory: {quwei: code point} set, every other position 0."""
    data = bytearray(size)
    data[:len(head)] = head
    for quwei, cp in (entries or {}).items():
        i = 8 + 2 * ((int(quwei[:2]) - 1) * 94 + int(quwei[2:]) - 1)
        data[i] = cp >> 8
        data[i + 1] = cp & 0xFF
    return bytes(data)


def test_the_table_file_is_17680_bytes():
    with open(table_path(), "rb") as f:
        assert f.seek(0, 2) == SIZE


def test_the_merchant_name_characters_are_found():
    assert table().char("1866") == "测"
    assert table().char("4252") == "试"
    assert table().char("4144") == "商"
    assert table().char("2707") == "户"
    assert [ord(table().char(q)) for q in ("1866", "4252", "4144", "2707")] == [0x6D4B, 0x8BD5, 0x5546, 0x6237]


def test_the_first_and_last_hanzi_are_at_1601_and_8794():
    assert table().char("1601") == "\u554a"  # 啊
    assert table().char("8794") == "\u9f44"  # 齄


def test_symbols_of_areas_1_to_9_are_found():
    assert table().char("0101") == "\u3000"  # ideographic space
    assert table().char("0333") == "\uff21"  # fullwidth A
    assert table().char("0601") == "\u0391"  # Greek capital alpha, two UTF-8 bytes
    assert table().char("0801") == "\u0101"  # ā


def test_unassigned_positions_give_none():
    for quwei in ("1001", "1594", "5590", "5594", "8801", "9494", "0201", "0657", "0980"):
        assert table().char(quwei) is None, quwei


def test_malformed_codes_give_none():
    for quwei in ("0000", "0001", "0100", "1600", "1695", "9501", "9999",
                  "", "160", "16011", "16a1", " 601", "+601", "-601", "1_01",
                  "\uff11\uff16\uff10\uff11", 1601, None, b"1601"):
        assert table().char(quwei) is None, quwei


def warmed_table():
    """table() after a lookup of every digit: MicroPython interns "0".."9" once (the keypad's key names are)."""
    t = table()
    for quwei in ("0123", "4567", "8901"):
        t.char(quwei)
    return t


def test_lookups_allocate_only_their_result():
    t = warmed_table()
    if not ON_MICROPYTHON:
        return
    gc.collect()
    before = gc.mem_alloc()
    for i in range(100):
        t.char("1001")
        t.char("9501")
    assert gc.mem_alloc() - before == 0
    # A str is one object block and one data block.
    block = 32 if sys.maxsize > 1 << 32 else 16
    gc.collect()
    before = gc.mem_alloc()
    t.char("1866")
    assert gc.mem_alloc() - before <= 2 * block


def test_looked_up_characters_are_freed_not_interned():
    t = warmed_table()
    if not ON_MICROPYTHON:
        return
    codes = ["50%02d" % position for position in range(1, 95)]
    gc.collect()
    before = gc.mem_alloc()
    for quwei in codes:
        assert t.char(quwei) is not None
    gc.collect()
    # chr() would intern each character as a qstr, which stays on the heap forever.
    assert gc.mem_alloc() - before == 0


def test_an_injected_file_is_read():
    t = Gb2312Table(io.BytesIO(table_bytes({"1601": 0x554A, "0601": 0x0391})))
    assert t.char("1601") == "\u554a"
    assert t.char("0601") == "\u0391"
    assert t.char("1602") is None


def test_a_file_that_is_not_a_table_raises():
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(b""))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(b"GBQW"))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(head=b"PF16\x01\x5e\x5e\x00")))


def test_another_version_or_shape_raises():
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(head=MAGIC + b"\x02\x5e\x5e\x00")))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(head=MAGIC + b"\x01\x5f\x5e\x00")))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(head=MAGIC + b"\x01\x5e\x5d\x00")))


def test_a_truncated_or_overlong_file_raises():
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(size=SIZE - 1)))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(size=SIZE + 1)))
    assert raises(Gb2312Error, Gb2312Table, io.BytesIO(table_bytes(size=8)))


def test_an_entry_no_gb2312_character_can_have_raises():
    t = Gb2312Table(io.BytesIO(table_bytes({"1601": 0x41, "1602": 0xD800})))
    assert raises(Gb2312Error, t.char, "1601")
    assert raises(Gb2312Error, t.char, "1602")
