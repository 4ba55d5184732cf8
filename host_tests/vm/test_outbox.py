from pos.ereceipt import Receipt, build
from pos.outbox import Outbox, OutboxFull
from vmutil import exists as _exists, raises, read_bytes as _read, rmtree, tmpdir, write_bytes as _write


def _receipt(n, size=300):
    return (b"receipt %04d " % n) + bytes(i & 0xFF for i in range(size))


def _box_with(n, size=300, max_bytes=64 * 1024):
    d = tmpdir("o")
    box = Outbox(d, max_bytes)
    offsets = [box.put(_receipt(i, size)) for i in range(n)]
    return d, box, offsets


def _contents(d, max_bytes=64 * 1024):
    box = Outbox(d, max_bytes)
    return [box.get(at) for at in box.waiting()]


def test_receipts_wait_in_order_until_each_is_acknowledged():
    d, box, offsets = _box_with(3)
    assert box.count() == 3 and _contents(d) == [_receipt(i) for i in range(3)]
    box.ack(offsets[1])
    assert _contents(d) == [_receipt(0), _receipt(2)]        # a new Outbox reads the acknowledgement
    box.ack(offsets[1])                                        # twice changes nothing
    assert Outbox(d).count() == 2
    rmtree(d)


def test_the_file_goes_when_the_last_receipt_is_acknowledged():
    d, box, offsets = _box_with(2)
    for at in offsets:
        box.ack(at)
    assert not _exists(d + "/outbox.bin") and box.count() == 0
    at = box.put(_receipt(9))
    assert _contents(d) == [_receipt(9)] and at == 0
    rmtree(d)


def test_acknowledged_receipts_are_compacted_away_and_the_rest_keep_their_order():
    d, box, offsets = _box_with(6)
    frame = box.size() // 6
    for at in offsets[:4]:
        box.ack(at)                                        # the offsets stay good: no compaction here
    assert _contents(d) == [_receipt(4), _receipt(5)]
    box.put(_receipt(6))
    assert box.size() == 3 * frame                         # the next put compacted first
    for at in box.waiting()[:2]:
        box.ack(at)
    assert _contents(d) == [_receipt(6)]
    rmtree(d)


def test_a_full_queue_refuses_a_receipt_and_writes_nothing_but_still_takes_acknowledgements():
    d, box, offsets = _box_with(0, max_bytes=3000)
    taken = []
    while True:
        try:
            taken.append(box.put(_receipt(len(taken), 600)))
        except OutboxFull:
            break
    assert len(taken) == 3 and box.full()
    size = box.size()
    assert raises(OutboxFull, box.put, _receipt(99, 600)) and box.size() == size
    box.ack(taken[0])
    assert [r[:12] for r in _contents(d, 3000)] == [b"receipt 0001", b"receipt 0002"]
    box.put(_receipt(3, 600))                              # room made by compacting the acknowledged one
    assert Outbox(d, 3000).count() == 3
    rmtree(d)


def test_a_receipt_torn_by_a_power_cut_is_cut_and_the_ones_before_it_stay():
    d, box, offsets = _box_with(2, size=120)
    whole = _read(d + "/outbox.bin")
    Outbox(d).put(_receipt(2, 120))
    grown = _read(d + "/outbox.bin")
    for cut in range(len(whole), len(grown)):            # the power went at every byte of the third
        _write(d + "/outbox.bin", grown[:cut])
        again = Outbox(d)
        assert [again.get(at) for at in again.waiting()] == [_receipt(0, 120), _receipt(1, 120)], cut
        again.put(_receipt(3, 120))                        # the torn tail is cut before the append
        assert _contents(d) == [_receipt(0, 120), _receipt(1, 120), _receipt(3, 120)], cut
    rmtree(d)


def test_an_acknowledgement_torn_by_a_power_cut_leaves_the_receipt_waiting():
    d, box, offsets = _box_with(2, size=120)
    before = _read(d + "/outbox.bin")
    box.ack(offsets[0])
    after = _read(d + "/outbox.bin")
    for cut in range(len(before), len(after)):
        _write(d + "/outbox.bin", after[:cut])
        assert _contents(d) == [_receipt(0, 120), _receipt(1, 120)], cut
    rmtree(d)


def test_a_compaction_cut_short_leaves_the_old_file_whole():
    d, box, offsets = _box_with(4, size=200)
    box.ack(offsets[0])
    old = _read(d + "/outbox.bin")
    _write(d + "/outbox.bin.new", old[:150])              # the power went while the new file was written
    again = Outbox(d)
    assert [again.get(at) for at in again.waiting()] == [_receipt(i, 200) for i in (1, 2, 3)]
    again.put(_receipt(4, 200))                            # recovery drops the torn new file
    assert not _exists(d + "/outbox.bin.new")
    assert _contents(d) == [_receipt(i, 200) for i in (1, 2, 3, 4)]
    rmtree(d)


def test_damage_in_the_middle_loses_only_the_damaged_receipt():
    d, box, offsets = _box_with(3, size=100)
    data = bytearray(_read(d + "/outbox.bin"))
    data[offsets[1] + 20] ^= 0xFF
    _write(d + "/outbox.bin", data)
    assert _contents(d) == [_receipt(0, 100), _receipt(2, 100)]
    rmtree(d)


def test_a_receipt_is_queued_from_its_pieces_as_it_would_be_whole():
    values = {0xDF02: "sale", 0xDF03: "approved", 0xDF04: "12345", 0xDF05: "000001", 0xDF06: "000008",
              0xDF07: "20261123100000", 0xDF10: "12345678", 0xDF11: "123456789012345"}
    slip = (("商户名称 MERCHANT NAME:", "测试商户"), ("金额 AMOUNT RMB:", "RMB 123.45"))
    d = tmpdir("o")
    box = Outbox(d)
    at = box.put(Receipt(values, lambda: iter(slip), b"SG" + bytes(50)))
    assert box.get(at) == build(values, lambda: iter(slip), b"SG" + bytes(50))
    assert raises(ValueError, box.put, b"")
    assert raises(ValueError, box.put, bytes(6145))
    rmtree(d)
