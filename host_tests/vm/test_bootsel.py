# bootsel: the slot to boot, an update on trial, confirm, rollback, and a power cut at every write.
import os

import bootsel
from updkit import Cut, exists, read
from vmutil import rmtree, tmpdir


def _flash(current="a", trial=None):
    root = tmpdir("boot")
    os.mkdir(root + "/slot_a")
    os.mkdir(root + "/slot_b")
    if current is not None:
        with open(root + "/current", "w") as f:
            f.write(current)
    if trial is not None:
        with open(root + "/trial", "w") as f:
            f.write(trial)
    return root


def _state(root):
    """(current, trial) as on flash; each file is whole (never torn)."""
    current = read(root + "/current") if exists(root + "/current") else None
    trial = read(root + "/trial") if exists(root + "/trial") else None
    assert current in (None, "a", "b"), current
    assert trial is None or (len(trial.split()) == 2 and trial.split()[1].isdigit()), trial
    return current, trial


def _steps(fn):
    """How many writes, renames and removes fn makes."""
    with Cut(0, [bootsel]) as cut:
        fn()
    return cut.steps


def test_a_fresh_flash_boots_slot_a():
    root = _flash(current=None)
    assert bootsel.select(root) == "slot_a" and bootsel.current(root) == "a"
    rmtree(root)


def test_the_slot_current_names_boots_and_a_missing_slot_gives_way_to_the_other():
    root = _flash("b")
    assert bootsel.select(root) == "slot_b"
    rmtree(root + "/slot_b")
    assert bootsel.select(root) == "slot_a"
    rmtree(root)


def test_a_switch_puts_the_slot_on_trial_and_confirm_keeps_it():
    root = _flash()
    assert not bootsel.on_trial(root)
    bootsel.switch("slot_b", root)
    assert _state(root) == ("b", "a 0")
    assert bootsel.select(root) == "slot_b" and _state(root) == ("b", "a 1") and bootsel.on_trial(root)
    bootsel.confirm(root)
    bootsel.confirm(root)
    assert _state(root) == ("b", None) and not bootsel.on_trial(root)
    for _ in range(3):
        assert bootsel.select(root) == "slot_b"
    rmtree(root)


def test_switching_twice_is_switching_once():
    root = _flash()
    bootsel.switch("slot_b", root)
    bootsel.switch("slot_b", root)
    assert _state(root) == ("b", "a 0")
    rmtree(root)


def test_two_boots_without_confirm_roll_back_to_the_previous_slot():
    root = _flash()
    bootsel.switch("slot_b", root)
    assert bootsel.select(root) == "slot_b"
    assert bootsel.select(root) == "slot_b" and _state(root) == ("b", "a 2")
    assert bootsel.select(root) == "slot_a" and _state(root) == ("a", None)
    assert bootsel.select(root) == "slot_a"
    rmtree(root)


def test_a_confirm_after_the_second_boot_still_keeps_the_update():
    root = _flash()
    bootsel.switch("slot_b", root)
    bootsel.select(root)
    bootsel.select(root)
    bootsel.confirm(root)
    assert bootsel.select(root) == "slot_b" and _state(root) == ("b", None)
    rmtree(root)


def test_a_trial_naming_the_current_slot_is_a_switch_that_never_happened():
    root = _flash("a", "a 0")
    assert bootsel.select(root) == "slot_a" and _state(root) == ("a", None)
    rmtree(root)


def test_an_unreadable_trial_is_given_up_and_rolled_back():
    root = _flash("b", "garbage")
    assert bootsel.select(root) == "slot_a" and _state(root) == ("a", None)
    rmtree(root)


def _unconfirmed_boots_end_on_slot_a(root):
    seen = []
    for _ in range(4):
        seen.append(bootsel.select(root))
        _state(root)
    assert seen[-1] == "slot_a" and _state(root) == ("a", None), seen
    assert len([s for s in seen if s == "slot_b"]) <= 2, seen


def test_a_power_cut_at_any_write_of_a_switch_boots_the_old_slot_or_the_new_one_on_trial():
    probe = _flash()
    total = _steps(lambda: bootsel.switch("slot_b", probe))
    rmtree(probe)
    assert total == 4      # /trial and /current: each written to .new, then renamed
    for n in range(1, total + 1):
        root = _flash()
        with Cut(n, [bootsel]):
            bootsel.switch("slot_b", root)
        _state(root)
        slot = bootsel.select(root)
        if slot == "slot_a":
            assert _state(root) == ("a", None), n
            bootsel.switch("slot_b", root)             # the updater may simply try again
            assert bootsel.select(root) == "slot_b"
        else:
            assert _state(root) == ("b", "a 1"), n
        rmtree(root)


def test_a_power_cut_at_any_write_of_a_trial_boot_or_a_rollback_never_loses_the_old_slot():
    for trial in ("a 0", "a 1", "a 2"):
        probe = _flash("b", trial)
        total = _steps(lambda: bootsel.select(probe))
        rmtree(probe)
        assert total >= 2
        for n in range(1, total + 1):
            root = _flash("b", trial)
            with Cut(n, [bootsel]):
                bootsel.select(root)
            _unconfirmed_boots_end_on_slot_a(root)
            rmtree(root)


def test_a_power_cut_during_confirm_leaves_the_update_running():
    root = _flash("b", "a 1")
    with Cut(1, [bootsel]):
        bootsel.confirm(root)
    assert bootsel.select(root) == "slot_b"
    bootsel.confirm(root)
    assert _state(root) == ("b", None)
    rmtree(root)
