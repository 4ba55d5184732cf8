import os

from pos import journal
from pos.journal import Journal, JournalFull
from vmutil import raises, read_bytes as _read, rmtree, tmpdir, write_bytes as _write


def _sale(trace):
    return {"k": "sale", "st": "approved", "trace": trace, "batch": 1, "amt": 100 + trace,
            "pan": "622202*********0017", "iss": "工商银行"}


def _journal_with(n):
    d = tmpdir("j")
    j = Journal(d)
    for i in range(n):
        j.append(_sale(i))
    return d, j


def _traces(j):
    return [r["trace"] for r in j.records()]


def test_records_come_back_in_order_with_their_indexes():
    d = tmpdir("j")
    j = Journal(d)
    assert [j.append(_sale(i)) for i in range(4)] == [0, 1, 2, 3]
    assert list(j.records()) == [_sale(i) for i in range(4)]
    assert Journal(d).append({"k": "printed", "trace": 3, "batch": 1, "copy": 0}) == 4
    assert list(Journal(d).records())[-1] == {"k": "printed", "trace": 3, "batch": 1, "copy": 0}
    rmtree(d)


def test_an_empty_or_missing_journal_has_no_records():
    d = tmpdir("j")
    j = Journal(d)
    assert list(j.records()) == []
    assert j.recover() == 0
    assert j.last(3) == [] and j.find(lambda r: True) is None
    rmtree(d)


def test_the_frame_is_magic_length_compact_json_and_crc():
    from binascii import crc32
    d = tmpdir("j")
    j = Journal(d)
    j.append({"k": "x"})
    data = _read(j.path)
    payload = b'{"k":"x"}'
    assert data[0] == 0xA5 and data[1:3] == bytes((0, len(payload)))
    assert data[3:-4] == payload
    assert int.from_bytes(data[-4:], "big") == crc32(payload) & 0xFFFFFFFF
    rmtree(d)


def test_a_torn_tail_of_every_length_is_dropped_and_recover_is_idempotent():
    d, j = _journal_with(3)
    good = _read(j.path)
    torn = journal.frame(_sale(3))
    for cut in range(1, len(torn)):
        _write(j.path, good + torn[:cut])
        j = Journal(d)
        assert j.recover() == cut
        assert _read(j.path) == good
        assert j.recover() == 0
        assert _traces(j) == [0, 1, 2]
    rmtree(d)


def test_a_bad_crc_magic_or_length_in_the_last_record_drops_exactly_that_record():
    d, j = _journal_with(3)
    good = _read(j.path)
    last = journal.frame(_sale(3))
    spots = [0, 1, 2, 3, len(last) // 2] + list(range(len(last) - 4, len(last)))
    for i in spots:
        bad = bytearray(last)
        bad[i] ^= 0xFF
        _write(j.path, good + bad)
        j = Journal(d)
        assert j.recover() == len(last)
        assert _traces(j) == [0, 1, 2]
        assert j.recover() == 0
    rmtree(d)


def test_a_length_beyond_the_largest_record_is_never_trusted():
    d, j = _journal_with(2)
    good = _read(j.path)
    _write(j.path, good + b"\xa5\xff\xff" + b"{}" * 50)
    assert _traces(j) == [0, 1]
    assert j.recover() == 103
    rmtree(d)


def test_garbage_alone_is_dropped_whole():
    d = tmpdir("j")
    j = Journal(d)
    garbage = b"\x00\xa5\x00\x05not a journal at all"
    _write(j.path, garbage)
    assert j.recover() == len(garbage)
    assert j.size() == 0 and list(j.records()) == []
    rmtree(d)


def test_damage_inside_the_journal_skips_one_record_and_keeps_the_rest():
    d, j = _journal_with(5)
    data = bytearray(_read(j.path))
    one = len(journal.frame(_sale(0)))
    data[2 * one + 10] ^= 0x20                     # inside record 2's payload
    _write(j.path, data)
    j = Journal(d)
    assert _traces(j) == [0, 1, 3, 4]
    assert j.recover() == 0                        # not a torn tail: nothing is cut
    assert j.append(_sale(5)) == 4             # indexes count good records
    assert _traces(j) == [0, 1, 3, 4, 5]
    rmtree(d)


def test_an_append_after_a_torn_tail_cuts_the_tail_first():
    d, j = _journal_with(2)
    with open(j.path, "ab") as f:
        f.write(journal.frame(_sale(2))[:9])
    j = Journal(d)
    assert j.append(_sale(3)) == 2
    assert _traces(j) == [0, 1, 3]
    with open(j.path, "ab") as f:                  # torn behind the back of a live object
        f.write(b"\xa5\x00")
    assert j.append(_sale(4)) == 3
    assert _traces(j) == [0, 1, 3, 4]
    rmtree(d)


def test_a_full_journal_refuses_before_writing_anything():
    d = tmpdir("j")
    first = journal.frame({"k": "x", "n": 1})
    j = Journal(d, max_bytes=2 * len(first) + 5)
    j.append({"k": "x", "n": 1})
    j.append({"k": "x", "n": 2})
    before = _read(j.path)
    assert raises(JournalFull, j.append, {"k": "x", "n": 3})
    assert _read(j.path) == before
    assert Journal(d, max_bytes=3 * len(first)).append({"k": "x", "n": 3}) == 2
    rmtree(d)


def test_a_record_larger_than_a_frame_allows_is_refused():
    d = tmpdir("j")
    j = Journal(d)
    assert raises(ValueError, j.append, {"k": "x", "pad": "y" * journal.MAX_RECORD})
    assert j.size() == 0
    rmtree(d)


def test_full_pan_track_pin_and_cvv_never_reach_the_journal():
    d = tmpdir("j")
    j = Journal(d)
    refused = [
        {"k": "sale", "pan": "6222021000000000017"},
        {"k": "sale", "pan": "6222020000000017"},
        {"k": "sale", "pan": "6222021****0017"},      # 11 digits visible
        {"k": "sale", "pan": 6222021000000000017},
        {"k": "sale", "track2": "6222021000000000017=3012"},
        {"k": "sale", "track": "x"},
        {"k": "sale", "pin": "1234"},
        {"k": "sale", "pinblock": "0123456789ABCDEF"},
        {"k": "sale", "cvv": "123"},
        {"k": "sale", "PIN": "1234"},
        {"k": "sale", "card": {"track2": "x"}},
        {"k": "sale", "cards": [{"pan": "6222021000000000017"}]},
        ["not", "a", "dict"],
    ]
    for record in refused:
        assert raises(ValueError, j.append, record)
    assert j.size() == 0
    assert j.append({"k": "sale", "pan": "622202*********0017", "pin_entered": True}) == 0
    assert j.append({"k": "sale", "pan": "6222020017"}) == 1
    rmtree(d)


def test_last_and_find_stream_the_journal():
    d, j = _journal_with(6)
    j.append({"k": "printed", "trace": 2, "batch": 1, "copy": 0})
    assert [r.get("trace") for r in j.last(3)] == [4, 5, 2]
    assert j.last(0) == []
    assert len(j.last(100)) == 7
    assert j.find(lambda r: r["trace"] == 2) == _sale(2)
    assert j.find(lambda r: r["k"] == "printed")["copy"] == 0
    assert j.find(lambda r: r["trace"] == 99) is None
    rmtree(d)


class _TrackedFile:
    def __init__(self, f, opened):
        self.f = f
        self.closed = False
        self.reads = 0
        opened.append(self)

    def readinto(self, buf):
        self.reads += 1
        return self.f.readinto(buf)

    def read(self, n):
        self.reads += 1
        return self.f.read(n)

    def seek(self, pos):
        return self.f.seek(pos)

    def close(self):
        self.closed = True
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_find_stops_reading_at_the_match_and_closes_the_file():
    d, j = _journal_with(50)
    opened = []
    journal.open = lambda path, mode="r": _TrackedFile(open(path, mode), opened)
    try:
        assert j.find(lambda r: r["trace"] == 1)["trace"] == 1
    finally:
        del journal.open
    assert len(opened) == 1 and opened[0].closed
    assert opened[0].reads == 2 * 3                # two frames of three reads, of fifty
    rmtree(d)


def test_roll_keeps_only_the_previous_batch_and_starts_empty():
    d, j = _journal_with(3)
    j.roll(1)
    assert sorted(os.listdir(d)) == ["journal-000001.bin"]
    assert list(j.records()) == [] and j.append(_sale(10)) == 0
    j.roll(2)
    assert sorted(os.listdir(d)) == ["journal-000002.bin"]
    old = Journal(d, name="journal-000002.bin")
    assert _traces(old) == [10]
    j.roll(2)                                      # again, with nothing new: the archive stays
    assert sorted(os.listdir(d)) == ["journal-000002.bin"]
    rmtree(d)


def test_five_thousand_records_stream_in_constant_memory():
    d = tmpdir("j")
    j = Journal(d, max_bytes=1024 * 1024)
    for i in range(5000):
        j.append({"k": "sale", "trace": i, "amt": i})
    n = total = 0
    for r in Journal(d).records():
        n += 1
        total += r["amt"]
    assert n == 5000 and total == 4999 * 5000 // 2
    assert Journal(d).recover() == 0
    rmtree(d)
