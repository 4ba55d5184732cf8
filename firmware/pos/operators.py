"""Operators: supervisor 00 and operators 01-99, each with a salted, iterated password hash.

- The `operators` document maps a number to [salt, hash, wrong tries in a
  row]: an 8-byte random salt and the hash in hex. Passwords (4-12 digits)
  are never stored or logged; hashes are compared in constant time. The
  document is read for each call and not kept: RAM holds it only while an
  operator logs in or is managed (99 operators: 9.5 KB of file, 34 KB of
  heap on the 64-bit unix port, about half that on an ESP32).
- Hash: h = sha256(salt + password), then h = sha256(salt + h), ITERATIONS
  times in all (MicroPython has no pbkdf2). The ESP32 hashes in hardware,
  but each round is a few interpreted calls: the unix port takes 2.6 ms for
  2,000 rounds on a PC, so a 240 MHz ESP32 should take roughly 40-70 ms per
  1,000 rounds (an estimate, not yet measured on a board).
- A try is counted durably before the password is checked, so cutting the
  power on seeing a wrong answer buys no free guess; a right password then
  clears the count.
- An operator is locked while its count is MAX_TRIES or more (one fact, so
  the count and the lock cannot disagree) until the supervisor resets it.
  The supervisor is never locked: a locked supervisor would leave the
  terminal unmanageable, and anyone at the counter could do it. Its wrong
  tries are counted, and from MAX_TRIES on `delay()` tells the login flow
  how long to wait before taking the next try.
"""
import hashlib
import os
from binascii import hexlify, unhexlify

from pos import store

OK = "ok"
WRONG = "wrong"
LOCKED = "locked"
UNKNOWN = "unknown"

SUPERVISOR = "00"
MAX_TRIES = 5
ITERATIONS = 2000
SALT_BYTES = 8
SUPERVISOR_DELAY = 30          # seconds at MAX_TRIES wrong tries, doubled for each further one
MAX_DELAY = 900
_NAME = "operators"
_SALT, _HASH, _FAILS = 0, 1, 2


def _hash(salt, password):
    h = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(ITERATIONS - 1):
        h = hashlib.sha256(salt + h).digest()
    return h


def _same(a, b):
    """Constant-time equality of two digests."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0


def _valid_no(no):
    return isinstance(no, str) and len(no) == 2 and no.isdigit()


def _valid_password(password):
    return isinstance(password, str) and 4 <= len(password) <= 12 and password.isdigit()


def _locked(no, entry):
    return no != SUPERVISOR and entry[_FAILS] >= MAX_TRIES


class Operators:
    def __init__(self, dirpath, urandom=os.urandom):
        self.dir = dirpath
        self.urandom = urandom

    def _load(self):
        return store.load(self.dir, _NAME, {})

    def _save(self, doc):
        store.save(self.dir, _NAME, doc)

    def _entry(self, no, password):
        if not _valid_no(no):
            raise ValueError("operator numbers are 00-99")
        if not _valid_password(password):
            raise ValueError("a password is 4-12 digits")
        salt = self.urandom(SALT_BYTES)
        return [hexlify(salt).decode(), hexlify(_hash(salt, password)).decode(), 0]

    def _find(self, no):
        """(document, entry) for an existing operator; ValueError otherwise."""
        doc = self._load()
        entry = doc.get(no) if _valid_no(no) else None
        if entry is None:
            raise ValueError("no operator %s" % no)
        return doc, entry

    def ensure_defaults(self, defaults):
        """First boot (no operators stored): create the given {number: password}."""
        if self._load():
            return
        doc = {}
        for no in defaults:
            doc[no] = self._entry(no, defaults[no])
        self._save(doc)

    def verify(self, no, password):
        """OK, WRONG, LOCKED (now or already) or UNKNOWN."""
        doc = self._load()
        entry = doc.get(no) if _valid_no(no) else None
        if entry is None:
            return UNKNOWN
        if _locked(no, entry):
            return LOCKED
        entry[_FAILS] += 1
        self._save(doc)
        if _valid_password(password) and _same(_hash(unhexlify(entry[_SALT]), password),
                                                unhexlify(entry[_HASH])):
            entry[_FAILS] = 0
            self._save(doc)
            return OK
        return LOCKED if _locked(no, entry) else WRONG

    def tries_left(self, no):
        """Wrong tries left before the lock; None for the supervisor or an unknown number."""
        entry = self._load().get(no) if _valid_no(no) else None
        if entry is None or no == SUPERVISOR:
            return None
        return max(0, MAX_TRIES - entry[_FAILS])

    def delay(self, no):
        """Seconds the login flow should wait before taking the next try (the supervisor's brake)."""
        entry = self._load().get(no) if _valid_no(no) else None
        if entry is None or entry[_FAILS] < MAX_TRIES:
            return 0
        return min(MAX_DELAY, SUPERVISOR_DELAY << min(entry[_FAILS] - MAX_TRIES, 5))

    def reset(self, no):
        """Unlock and clear the count (a supervisor action)."""
        doc, entry = self._find(no)
        entry[_FAILS] = 0
        self._save(doc)

    def add(self, no, password):
        doc = self._load()
        if no in doc:
            raise ValueError("operator %s exists" % no)
        doc[no] = self._entry(no, password)
        self._save(doc)

    def set_password(self, no, password):
        """A new password and salt; the count (and so the lock) is cleared."""
        doc, _ = self._find(no)
        doc[no] = self._entry(no, password)
        self._save(doc)

    def remove(self, no):
        """Remove an operator (removing a missing one is not an error); never the supervisor."""
        if no == SUPERVISOR:
            raise ValueError("the supervisor cannot be removed")
        doc = self._load()
        if no in doc:
            del doc[no]
            self._save(doc)

    def list(self):
        """[(number, locked)] sorted by number."""
        doc = self._load()
        return [(no, _locked(no, doc[no])) for no in sorted(doc)]
