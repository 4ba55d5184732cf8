"""DES's tables in firmware/pos/des_tables.py are what tools/desgen makes of FIPS 46-3."""
import os

from tools import desgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_des_tables_are_derived_from_fips_46_3():
    with open(os.path.join(ROOT, "firmware", "pos", "des_tables.py"), encoding="ascii") as f:
        assert f.read() == desgen.source(), "stale: run python -m tools.desgen firmware/pos/des_tables.py"


def test_the_tables_have_a_pair_of_24_bit_words_per_s_box_input_and_a_word_per_pc2_nibble():
    sp, pc2 = desgen.tables()
    assert len(sp) == 8 * 64 * 6 and len(pc2) == 2 * 7 * 16 * 3
