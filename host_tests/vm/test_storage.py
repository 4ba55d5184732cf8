from pos import store
from pos.journal import Journal, JournalFull
from pos.operators import Operators, OK, WRONG, LOCKED, UNKNOWN
from vmutil import rmtree, tmpdir, raises


def _journal_with(n):
    d = tmpdir("j")
    j = Journal(d)
    for i in range(n):
        j.append({"k": "sale", "trace": i, "amt": 100 + i})
    return d, j


def test_journal_streams_records_in_order():
    d, j = _journal_with(5)
    assert [r["trace"] for r in j.records()] == [0, 1, 2, 3, 4]
    rmtree(d)


def test_a_torn_tail_of_any_length_is_dropped_and_recover_is_idempotent():
    d, j = _journal_with(3)
    good = open(j.path, "rb").read()
    frame = good[-(len(good) // 3):]
    for cut in range(1, len(frame)):
        with open(j.path, "wb") as f:
            f.write(good + frame[:cut])
        assert j.recover() == cut
        assert j.recover() == 0
        assert [r["trace"] for r in j.records()] == [0, 1, 2]
    rmtree(d)


def test_a_flipped_crc_drops_only_the_last_record():
    d, j = _journal_with(3)
    data = bytearray(open(j.path, "rb").read())
    data[-1] ^= 0xFF
    with open(j.path, "wb") as f:
        f.write(data)
    j.recover()
    assert [r["trace"] for r in j.records()] == [0, 1]
    rmtree(d)


def test_a_full_journal_refuses_before_writing():
    d = tmpdir("j")
    j = Journal(d, max_bytes=200)
    j.append({"k": "x", "n": 1})
    size = j.size()
    assert raises(JournalFull, j.append, {"k": "x", "pad": "y" * 200})
    assert j.size() == size
    rmtree(d)


def test_full_pan_track_and_pin_never_reach_the_journal():
    d = tmpdir("j")
    j = Journal(d)
    assert raises(ValueError, j.append, {"pan": "6222021000000000017"})
    assert raises(ValueError, j.append, {"track2": "x"})
    assert raises(ValueError, j.append, {"pin": "1234"})
    j.append({"pan": "622202*********0017"})
    rmtree(d)


def test_store_prefers_a_complete_new_file_and_survives_a_torn_one():
    d = tmpdir("s")
    store.save(d, "doc", {"v": 1})
    with open(d + "/doc.new", "wb") as f:
        f.write(b'{"v": 2')            # torn: no CRC line
    assert store.load(d, "doc") == {"v": 1}
    store.save(d, "doc", {"v": 2})
    assert store.load(d, "doc") == {"v": 2}
    store.remove(d, "doc")
    store.remove(d, "doc")
    assert store.load(d, "doc", "none") == "none"
    rmtree(d)


def test_trace_numbers_survive_power_loss_and_wrap():
    d = tmpdir("c")
    c = store.Counters(d)
    assert c.next_trace() == 1 and c.next_trace() == 2
    assert store.Counters(d).next_trace() == 3
    c = store.Counters(d)
    c.doc["trace"] = 999999
    assert c.next_trace() == 1
    rmtree(d)


def test_five_wrong_passwords_lock_an_operator_until_reset():
    d = tmpdir("o")
    ops = Operators(d)
    ops.ensure_defaults({"00": "123456", "01": "0000"})
    for _ in range(4):
        assert ops.verify("01", "9999") == WRONG
    assert ops.verify("01", "9999") == LOCKED
    assert Operators(d).verify("01", "0000") == LOCKED
    ops.reset("01")
    assert ops.verify("01", "0000") == OK
    assert ops.verify("77", "0000") == UNKNOWN
    rmtree(d)


def test_passwords_are_salted_and_never_stored_in_clear():
    d = tmpdir("o")
    ops = Operators(d)
    ops.ensure_defaults({"00": "123456", "01": "0000"})
    ops.add("02", "0000")
    assert ops.doc["01"]["hash"] != ops.doc["02"]["hash"]
    raw = open(d + "/operators.json").read()
    assert "0000\"" not in raw and "123456" not in raw
    assert raises(ValueError, ops.remove, "00")
    rmtree(d)


def test_the_supervisor_is_never_locked_out():
    d = tmpdir("o")
    ops = Operators(d)
    ops.ensure_defaults({"00": "123456"})
    for _ in range(6):
        ops.verify("00", "0000")
    assert ops.verify("00", "123456") == OK
    rmtree(d)
