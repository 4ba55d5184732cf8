"""The 区位码 table asset (firmware/assets/gb2312.bin) against CPython's gb2312 codec."""
import os
import struct

import pytest

from pos.gb2312 import Gb2312Table
from tools import gbgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE_PATH = os.path.join(ROOT, "firmware", "assets", "gb2312.bin")


def codec_char(area, position):
    """The codec's character for 区位码 (area, position), or None."""
    try:
        return bytes((0xA0 + area, 0xA0 + position)).decode("gb2312")
    except UnicodeDecodeError:
        return None


@pytest.fixture(scope="module")
def asset():
    with open(TABLE_PATH, "rb") as f:
        return f.read()


def test_the_asset_has_the_header_and_94_by_94_entries(asset):
    assert len(asset) == 8 + 94 * 94 * 2 == 17680
    assert asset[:8] == b"GBQW\x01\x5e\x5e\x00"


def test_every_entry_of_the_asset_is_the_codec_character(asset):
    wrong = []
    for area in range(1, 95):
        for position in range(1, 95):
            cp, = struct.unpack_from(">H", asset, 8 + 2 * ((area - 1) * 94 + position - 1))
            expected = codec_char(area, position)
            if cp != (ord(expected) if expected else 0):
                wrong.append("%02d%02d" % (area, position))
    assert not wrong, "stale asset, run `make gbtable`: %s" % wrong[:10]


def test_the_asset_holds_all_7445_gb2312_characters(asset):
    assigned = sum(1 for i in range(8, len(asset), 2) if asset[i] or asset[i + 1])
    assert assigned == 7445  # 6763 hanzi and 682 symbols


def test_the_generator_rebuilds_the_asset_byte_for_byte(asset):
    assert gbgen.build() == asset


def test_the_firmware_reader_agrees_with_the_codec_on_every_code():
    table = Gb2312Table(TABLE_PATH)
    try:
        for area in range(1, 95):
            for position in range(1, 95):
                quwei = "%02d%02d" % (area, position)
                assert table.char(quwei) == codec_char(area, position), quwei
    finally:
        table.close()


def test_the_command_writes_the_table(tmp_path, capsys):
    out = tmp_path / "gb2312.bin"
    assert gbgen.main([str(out)]) == 0
    assert out.read_bytes() == gbgen.build()
    assert "17680 bytes, 7445 characters" in capsys.readouterr().out
    assert gbgen.main([]) == 2
