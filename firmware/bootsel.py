"""Which application slot boots, and the rollback of an update that does not come up.

Files at the filesystem root (root="" is "/"), each written whole to NAME.new
and renamed over NAME, so a power cut leaves the old file or the new one:

- current: "a" or "b", the slot to run (missing or unreadable: "a");
- trial: "<previous slot> <boots>", present while a switched-in update is
  unconfirmed.

Rules, in select(), the first thing every boot does:
- a trial naming the current slot as the previous one is a switch the power
  cut before /current was written: it is dropped;
- a trial slot that already booted twice without confirm() is given up:
  /current goes back to the previous slot, then the trial is dropped;
- otherwise the trial's boot count goes up before the slot runs.
select() runs once a boot (each call is a boot counted). Every write is safe
to cut and every step safe to repeat. This file changes only with a full
flash: it imports os alone and never the application.
"""
import os

SLOTS = ("a", "b")
TRIAL_BOOTS = 2


def _read(path):
    try:
        with open(path) as f:
            return f.read(16).strip()
    except OSError:
        return None


def _write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _letter(slot):
    letter = slot[-1:]
    if letter not in SLOTS:
        raise ValueError("no slot %r" % slot)
    return letter


def _other(letter):
    return "b" if letter == "a" else "a"


def current(root=""):
    """The letter of the slot /current names."""
    letter = _read(root + "/current")
    return letter if letter in SLOTS else SLOTS[0]


def select(root=""):
    """The directory of the slot to run ("slot_a" or "slot_b"), after applying the trial rule."""
    letter = current(root)
    trial = _read(root + "/trial")
    if trial is not None:
        parts = trial.split()
        if len(parts) == 2 and parts[0] in SLOTS and parts[1].isdigit():
            previous, boots = parts[0], int(parts[1])
        else:                                   # unreadable: as unconfirmed as it gets
            previous, boots = _other(letter), TRIAL_BOOTS
        if previous == letter:
            _remove(root + "/trial")
        elif boots >= TRIAL_BOOTS:
            _write(root + "/current", previous)
            _remove(root + "/trial")
            letter = previous
        else:
            _write(root + "/trial", "%s %d" % (previous, boots + 1))
    try:
        os.stat("%s/slot_%s" % (root, letter))
    except OSError:                             # a slot that is not there cannot run: try the other
        letter = _other(letter)
    return "slot_" + letter


def on_trial(root=""):
    """Whether the running slot is an update not yet confirmed."""
    return _read(root + "/trial") is not None


def confirm(root=""):
    """The running slot reached the idle screen: it is kept for good."""
    _remove(root + "/trial")


def switch(slot, root=""):
    """Boot slot ("slot_a"/"slot_b") next, on trial: the trial first, then /current."""
    letter = _letter(slot)
    previous = current(root)
    if letter == previous:                      # switched already (or nothing to switch)
        return
    _write(root + "/trial", "%s 0" % previous)
    _write(root + "/current", letter)
