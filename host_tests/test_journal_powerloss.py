"""Power cuts at any byte of an append (and of the recovery after it) lose no finished record."""
import builtins
import tempfile
from unittest import mock

from hypothesis import given, settings, strategies as st

from pos import journal
from pos.journal import Journal


class PowerCut(Exception):
    pass


class _CutFile:
    """A file whose next write reaches the disk only up to `budget` bytes, then the power goes."""

    def __init__(self, f, budget):
        self.f = f
        self.budget = budget

    def write(self, data):
        if len(data) > self.budget:
            self.f.write(bytes(data[:self.budget]))
            self.f.close()
            raise PowerCut()
        self.budget -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _cutting_open(budget, suffix):
    real_open = builtins.open

    def fake_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        if path.endswith(suffix) and ("a" in mode or "w" in mode):
            return _CutFile(f, budget)
        return f

    return mock.patch.object(journal, "open", fake_open, create=True)


records = st.fixed_dictionaries({
    "k": st.sampled_from(["sale", "printed", "void"]),
    "trace": st.integers(1, 999999),
    "amt": st.integers(0, 10 ** 10),
    "note": st.text(max_size=40),
})
steps = st.lists(st.tuples(records, st.none() | st.floats(0, 1, exclude_max=True),
                           st.none() | st.floats(0, 1), st.booleans()), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_power_cut_mid_append_loses_only_the_unfinished_record(plan):
    with tempfile.TemporaryDirectory() as d:
        done = []
        j = Journal(d)
        for record, cut_at, recover_cut_at, boot_recovers in plan:
            if cut_at is None:
                assert j.append(record) == len(done)
                done.append(record)
                continue
            data = journal.frame(record)
            cut = int(cut_at * len(data))
            with _cutting_open(cut, "journal.bin"):
                try:
                    j.append(record)
                except PowerCut:
                    pass
            # Power back: a new boot. The recovery itself may lose power while it copies.
            left = cut
            if recover_cut_at is not None and cut:
                with _cutting_open(int(recover_cut_at * j.size()), ".new"):
                    try:
                        assert Journal(d).recover() == cut
                        left = 0
                    except PowerCut:
                        pass
            if boot_recovers:
                j = Journal(d)
                assert j.recover() == left
                assert j.recover() == 0
            # Otherwise the write failed without a reboot: the reader skips the torn
            # tail and the next append through the same journal cuts it.
            assert list(j.records()) == done
        assert list(Journal(d).records()) == done


@settings(max_examples=100, deadline=None)
@given(st.lists(records, min_size=1, max_size=8), st.data())
def test_recovery_keeps_every_record_before_a_cut_at_any_byte(batch, data):
    with tempfile.TemporaryDirectory() as d:
        j = Journal(d)
        for record in batch:
            j.append(record)
        with open(j.path, "rb") as f:
            whole = f.read()
        cut = data.draw(st.integers(0, len(whole)))
        with open(j.path, "wb") as f:
            f.write(whole[:cut])
        ends, pos = [], 0
        for record in batch:
            pos += len(journal.frame(record))
            ends.append(pos)
        kept = sum(1 for end in ends if end <= cut)
        j = Journal(d)
        assert j.recover() == cut - (ends[kept - 1] if kept else 0)
        assert list(j.records()) == batch[:kept]
        assert j.append({"k": "after"}) == kept
