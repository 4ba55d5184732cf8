"""Chinese text keyed as 区位码 on the numeric keypad, as Chinese POS terminals do.

Every four digits (area 01-94, position 01-94 of GB2312) are looked up in a
Gb2312Table and append one character. An unassigned code is refused and its
digits dropped; CLEAR takes back the last digit, or the last character when
no digit is pending. The text is kept as UTF-8 bytes and never grows past
max_bytes (the merchant name's field on the slip and in the settings).
"""
from pos.i18n import t

DIGITS = "0123456789"
CODE_LEN = 4


def _without_last_char(data):
    """data (UTF-8) with its last character removed."""
    i = len(data) - 1
    while i > 0 and data[i] & 0xC0 == 0x80:
        i -= 1
    return data[:i] if i > 0 else b""


class HanziEditor:
    """A name typed as 区位码, four digits per character; value() is the str."""

    def __init__(self, table, max_bytes=60, initial=""):
        self.table = table
        self.max_bytes = max_bytes
        utf8 = initial.encode()
        while len(utf8) > max_bytes:
            utf8 = _without_last_char(utf8)
        self.utf8 = utf8
        self.pending = ""
        self.error = None

    def key(self, k):
        self.error = None
        if k in DIGITS and len(k) == 1:
            self.pending += k
            if len(self.pending) == CODE_LEN:
                self._append(self.table.char(self.pending))
                self.pending = ""
        elif k == "CLEAR":
            if self.pending:
                self.pending = self.pending[:-1]
            else:
                self.utf8 = _without_last_char(self.utf8)
        elif k == "ENTER":
            return len(self.utf8) > 0
        return False

    def _append(self, ch):
        if ch is None:
            self.error = "bad_quwei"
            return
        data = ch.encode()
        if len(self.utf8) + len(data) > self.max_bytes:
            self.error = "name_too_long"
            return
        self.utf8 += data

    def value(self):
        return str(self.utf8, "utf-8")

    def lines(self):
        out = [self.value(), t("quwei_code") + ": " + self.pending + "_" * (CODE_LEN - len(self.pending))]
        if self.error:
            out.append(t(self.error))
        return out
