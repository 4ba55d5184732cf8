"""The fonts in firmware/assets are what tools/fontgen makes of their sources."""
import os

from tools import fontgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "firmware", "assets")


def test_the_gb2312_font_is_the_full_fonts_gb2312_subset():
    with open(os.path.join(ASSETS, "font16.bin"), "rb") as f:
        full = f.read()
    with open(os.path.join(ASSETS, "font16_gb2312.bin"), "rb") as f:
        small = f.read()
    assert fontgen.build(fontgen.read_pf16(full), only=fontgen.gb2312_set()) == small, \
        "stale: run python -m tools.fontgen --charset gb2312 firmware/assets/font16.bin firmware/assets/font16_gb2312.bin"


def test_a_built_font_reads_back_as_the_same_glyphs():
    with open(os.path.join(ASSETS, "font16.bin"), "rb") as f:
        full = f.read()
    assert fontgen.build(fontgen.read_pf16(full)) == full


def test_gb2312_has_its_6763_hanzi():
    hanzi = [cp for cp in fontgen.gb2312_set() if 0x4E00 <= cp <= 0x9FFF]
    assert len(hanzi) == 6763 and ord("龘") not in hanzi and ord("测") in hanzi
