from pos import store
from vmutil import exists as _exists, raises, read_bytes as _read, rmtree, tmpdir, write_bytes as _write


def _saved_bytes(doc):
    """What save writes for doc (captured from a scratch directory)."""
    d = tmpdir("s")
    store.save(d, "doc", doc)
    data = _read(d + "/doc.json")
    rmtree(d)
    return data


def test_a_saved_document_loads_back_and_leaves_no_new_file():
    d = tmpdir("s")
    doc = {"lang": "zh", "copies": 2, "name": "测试商户", "list": [1, 2, 3], "none": None}
    store.save(d, "settings", doc)
    assert store.load(d, "settings") == doc
    assert not _exists(d + "/settings.new")
    store.save(d, "settings", {"lang": "en"})
    assert store.load(d, "settings") == {"lang": "en"}
    rmtree(d)


def test_a_missing_document_gives_the_default():
    d = tmpdir("s")
    assert store.load(d, "nothing") is None
    assert store.load(d, "nothing", {"a": 1}) == {"a": 1}
    rmtree(d)


def test_a_complete_new_file_left_by_a_cut_before_the_rename_wins():
    d = tmpdir("s")
    store.save(d, "doc", {"v": 1})
    _write(d + "/doc.new", _saved_bytes({"v": 2}))
    assert store.load(d, "doc") == {"v": 2}
    rmtree(d)


def test_a_complete_new_file_is_taken_when_the_json_is_missing():
    d = tmpdir("s")
    _write(d + "/doc.new", _saved_bytes({"v": 2}))
    assert store.load(d, "doc") == {"v": 2}
    rmtree(d)


def test_a_torn_new_file_of_any_length_leaves_the_old_document():
    d = tmpdir("s")
    store.save(d, "doc", {"v": 1})
    new = _saved_bytes({"v": 2, "pad": "x" * 40})
    for cut in range(len(new)):
        _write(d + "/doc.new", new[:cut])
        assert store.load(d, "doc") == {"v": 1}
    rmtree(d)


def test_a_flipped_bit_anywhere_in_the_file_is_detected():
    d = tmpdir("s")
    good = _saved_bytes({"v": 12345})
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x01
        _write(d + "/doc.json", bad)
        assert store.load(d, "doc", "default") == "default"
    rmtree(d)


def test_a_corrupt_json_with_a_torn_new_gives_the_default():
    d = tmpdir("s")
    _write(d + "/doc.json", b"garbage")
    _write(d + "/doc.new", b'{"v":')
    assert store.load(d, "doc", "default") == "default"
    rmtree(d)


def test_an_oversized_document_is_refused_and_an_oversized_file_not_read():
    d = tmpdir("s")
    pad = "x" * 100
    big = {}
    for i in range(store.MAX_DOC // 100):
        big["k%d" % i] = pad
    assert raises(ValueError, store.save, d, "big", big)
    assert store.load(d, "big") is None
    with open(d + "/big.json", "wb") as f:
        f.write(b"00000000\n")
        for _ in range(store.MAX_DOC // 1024 + 1):
            f.write(b" " * 1024)
    assert store.load(d, "big", "default") == "default"
    rmtree(d)


def test_remove_is_idempotent_and_takes_a_leftover_new_file_too():
    d = tmpdir("s")
    store.save(d, "doc", {"v": 1})
    _write(d + "/doc.new", _saved_bytes({"v": 2}))
    store.remove(d, "doc")
    assert store.load(d, "doc") is None
    store.remove(d, "doc")
    assert store.load(d, "doc") is None
    rmtree(d)


def test_trace_numbers_start_at_one_and_survive_a_restart():
    d = tmpdir("c")
    c = store.Counters(d)
    assert c.trace == 0 and c.batch == 1
    assert c.next_trace() == 1 and c.next_trace() == 2
    assert c.trace == 2
    c = store.Counters(d)
    assert c.trace == 2
    assert c.next_trace() == 3
    rmtree(d)


def test_a_trace_number_is_never_reused_after_a_power_cut_at_any_byte():
    d = tmpdir("c")
    c = store.Counters(d)
    for _ in range(7):
        c.next_trace()
    handed_out = c.trace
    # The next save, cut at every byte before its rename: old json plus a torn or complete .new.
    pending = _saved_bytes({"trace": handed_out + 1, "batch": c.batch})
    for cut in range(len(pending) + 1):
        _write(d + "/counters.new", pending[:cut])
        assert store.Counters(d).next_trace() > handed_out
        store.save(d, "counters", {"trace": handed_out, "batch": 1})
    rmtree(d)


def test_the_trace_number_wraps_from_999999_to_1():
    d = tmpdir("c")
    store.save(d, "counters", {"trace": 999998, "batch": 3})
    c = store.Counters(d)
    assert c.next_trace() == 999999
    assert c.next_trace() == 1
    assert store.Counters(d).trace == 1
    assert c.batch == 3
    rmtree(d)


def test_the_batch_number_is_set_checked_and_kept():
    d = tmpdir("c")
    c = store.Counters(d)
    c.set_batch(42)
    assert c.batch == 42 and store.Counters(d).batch == 42
    c.set_batch(1)
    assert raises(ValueError, c.set_batch, 0)
    assert raises(ValueError, c.set_batch, 1000000)
    assert store.Counters(d).batch == 1
    rmtree(d)


def test_the_batch_and_trace_numbers_do_not_disturb_each_other():
    d = tmpdir("c")
    c = store.Counters(d)
    c.next_trace()
    c.set_batch(5)
    c.next_trace()
    c = store.Counters(d)
    assert (c.trace, c.batch) == (2, 5)
    rmtree(d)
