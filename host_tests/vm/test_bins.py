# The issuer of a card by its BIN (assets/bins.txt), searched on flash, with the host's name as fallback.
import gc

from pos import i18n
from pos.flows.printing import bin_issuer, issuer
from vmutil import asset_path, rmtree, tmpdir

BANKS = ("工商银行", "农业银行", "中国银行", "建设银行", "交通银行", "招商银行", "邮储银行", "中信银行", "光大银行",
         "民生银行", "浦发银行", "兴业银行", "平安银行", "广发银行", "华夏银行")


def _table():
    return asset_path("bins.txt")


def test_the_test_cards_bins_name_their_banks():
    assert bin_issuer(_table(), "622202*********0017") == "工商银行"
    assert bin_issuer(_table(), "625807*********0060") == "广发银行"
    assert bin_issuer(_table(), "622848*********0059") == "农业银行"


def test_well_known_bins_of_the_large_banks():
    for pan, bank in (("621700", "建设银行"), ("622700", "建设银行"), ("622588", "招商银行"), ("621661", "中国银行"),
                      ("622262", "交通银行"), ("622150", "邮储银行"), ("622690", "中信银行"), ("622666", "光大银行"),
                      ("622622", "民生银行"), ("622521", "浦发银行"), ("622908", "兴业银行"), ("622155", "平安银行"),
                      ("622568", "广发银行"), ("622630", "华夏银行")):
        assert bin_issuer(_table(), pan + "*********0000") == bank, pan


def test_a_bin_not_in_the_table_is_a_miss_before_between_and_after_its_lines():
    for bin6 in ("000000", "620000", "622201", "999999"):
        assert bin_issuer(_table(), bin6 + "*********0000") is None, bin6


def test_a_number_without_six_leading_digits_is_not_looked_up():
    for pan in ("", "62220", "6222**", "******0017"):
        assert bin_issuer(_table(), pan) is None


def test_a_missing_table_is_a_miss():
    assert bin_issuer("/nonexistent/bins.txt", "622202*********0017") is None


class _App:
    assets_dir = asset_path("")[:-1]


def test_the_slip_names_the_bins_bank_else_what_the_host_sent():
    assert issuer(_App(), {"pan": "622202*********0017", "iss": "ICBC"}) == "工商银行"
    assert issuer(_App(), {"pan": "999999*********0013", "iss": "ICBC"}) == "ICBC"
    assert issuer(_App(), {"pan": "999999*********0013"}) == ""


def test_the_table_is_sorted_six_digit_bins_each_with_a_large_banks_name():
    previous = b""
    n = 0
    with open(_table(), "rb") as f:
        for line in f:
            assert line.endswith(b"\n") and len(line) < i18n.MAX_LINE, line
            bin6, tab, name = line[:-1].partition(b"\t")
            assert tab and len(bin6) == 6 and bin6.isdigit() and bin6 > previous, line
            assert name.decode() in BANKS, line
            previous = bin6
            n += 1
    assert n > 300


def _allocated_by(fn, *args):
    """(fn(*args), bytes it allocated, garbage included; 0 where gc cannot tell, as on CPython)."""
    if not hasattr(gc, "mem_alloc"):
        return fn(*args), 0
    gc.collect()
    before = gc.mem_alloc()
    result = fn(*args)
    return result, gc.mem_alloc() - before


def test_the_lookup_reads_a_table_larger_than_the_heap_through_a_small_buffer():
    # 8,000 lines, ~500 KB: more than the VM's whole 110 KB heap, so it can only be searched in place,
    # and each lookup allocates a few KB (a buffer, a line per probe), garbage at once but its answer.
    d = tmpdir("bins")
    path = d + "/bins.txt"
    try:
        with open(path, "w") as f:
            for i in range(8000):
                f.write("%06d\t某某农村商业银行股份有限公司第%d支行\n" % (100000 + 2 * i, i))
        for i in (0, 1, 3999, 4000, 7999, 8000):
            found, used = _allocated_by(bin_issuer, path, "%06d*********0000" % (100000 + 2 * i))
            assert found == (None if i == 8000 else "某某农村商业银行股份有限公司第%d支行" % i) and used < 8192
            missed, used = _allocated_by(bin_issuer, path, "%06d*********0000" % (100001 + 2 * i))
            assert missed is None and used < 8192
    finally:
        rmtree(d)
