"""Operators: supervisor 00 and operators 01-99, each with a salted, iterated password hash.

Five wrong passwords in a row lock an operator until the supervisor resets
it. The supervisor is not locked (a terminal must stay manageable); its
wrong tries are counted all the same. Passwords are never stored in clear.
"""
import hashlib
import os
from binascii import hexlify

from pos import store

OK = "ok"
WRONG = "wrong"
LOCKED = "locked"
UNKNOWN = "unknown"
MAX_TRIES = 5
ITERATIONS = 2000
SUPERVISOR = "00"


def _hash(salt, password):
    h = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(ITERATIONS - 1):
        h = hashlib.sha256(salt + h).digest()
    return hexlify(h).decode()


def _same(a, b):
    diff = len(a) ^ len(b)
    for i in range(min(len(a), len(b))):
        diff |= ord(a[i]) ^ ord(b[i])
    return diff == 0


def _valid_no(no):
    return len(no) == 2 and no.isdigit()


class Operators:
    def __init__(self, dirpath, urandom=os.urandom):
        self.dir = dirpath
        self.urandom = urandom
        self.doc = store.load(dirpath, "operators", {})

    def _save(self):
        store.save(self.dir, "operators", self.doc)

    def ensure_defaults(self, defaults):
        if not self.doc:
            for no in defaults:
                self._set(no, defaults[no])
            self._save()

    def _set(self, no, password):
        if not _valid_no(no) or not (4 <= len(password) <= 12 and password.isdigit()):
            raise ValueError("operator number 00-99, password 4-12 digits")
        salt = self.urandom(8)
        self.doc[no] = {"salt": hexlify(salt).decode(), "hash": _hash(salt, password), "fails": 0,
                        "locked": False}

    def verify(self, no, password):
        op = self.doc.get(no)
        if op is None:
            return UNKNOWN
        if op["locked"]:
            return LOCKED
        from binascii import unhexlify
        if _same(_hash(unhexlify(op["salt"]), password), op["hash"]):
            if op["fails"]:
                op["fails"] = 0
                self._save()
            return OK
        op["fails"] += 1
        if op["fails"] >= MAX_TRIES and no != SUPERVISOR:
            op["locked"] = True
        self._save()
        return LOCKED if op["locked"] else WRONG

    def tries_left(self, no):
        op = self.doc.get(no)
        if op is None or no == SUPERVISOR:
            return None
        return MAX_TRIES - op["fails"]

    def reset(self, no):
        op = self.doc[no]
        op["fails"] = 0
        op["locked"] = False
        self._save()

    def add(self, no, password):
        if no in self.doc:
            raise ValueError("operator exists")
        self._set(no, password)
        self._save()

    def set_password(self, no, password):
        if no not in self.doc:
            raise ValueError("no such operator")
        self._set(no, password)
        self._save()

    def remove(self, no):
        if no == SUPERVISOR:
            raise ValueError("the supervisor stays")
        self.doc.pop(no, None)
        self._save()

    def numbers(self):
        return sorted(self.doc)
