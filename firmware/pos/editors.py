"""Input editors: each takes keys and says when it holds a complete value.

The engine gives every key except CANCEL to the editor of the current Ask;
`key()` returns True when the value is complete. `lines()` is what the editor
adds to the screen. Errors are i18n keys shown on the next draw.
"""
from pos.money import format_fen
from pos.i18n import t, tf

DIGITS = "0123456789"


class AmountEditor:
    """Amount in fen typed as digits, shown as 0.00 from the first key.

    initial is an amount offered (the bill due): ENTER takes it as it is, the
    first digit keyed replaces it, and CLEAR takes it off whole, as a
    terminal's 更正 does, rather than a digit of it.
    """

    def __init__(self, max_fen, allow_zero=False, initial=0):
        self.fen = initial
        self.max_fen = max_fen
        self.allow_zero = allow_zero
        self.error = None
        self.offered = True     # nothing keyed yet: the amount shown is the one offered

    def key(self, k):
        refused = self.error == "amount_too_large"
        self.error = None
        if k in DIGITS and len(k) == 1:
            fen = (0 if self.offered else self.fen) * 10 + int(k)
            if fen > self.max_fen:
                self.error = "amount_too_large"
            else:
                self.fen = fen
                self.offered = False
        elif k == "CLEAR":
            self.fen = 0 if self.offered else self.fen // 10
            self.offered = False
        elif k == "ENTER":
            if refused:
                # The amount shown is not the one keyed: it must be corrected, not taken.
                self.error = "amount_too_large"
                return False
            if self.fen == 0 and not self.allow_zero:
                self.error = "amount_zero"
                return False
            return True
        return False

    def value(self):
        return self.fen

    def lines(self):
        out = ["RMB " + format_fen(self.fen)]
        if self.error:
            out.append(t(self.error))
        return out


def _short_lines(shown, error, min_len):
    """An editor's line and, after an ENTER refused as too short, why (error: an i18n key taking min_len)."""
    return [shown] if error is None else [shown, tf(error, min_len)]


class DigitsEditor:
    """A string of digits (operator number, password, account number, card number).

    ENTER with fewer than min_len digits is refused and says so (too_short:
    the i18n key of the text, which takes min_len) until the next key.
    """

    def __init__(self, min_len=1, max_len=19, masked=False, too_short="too_short"):
        self.buf = ""
        self.min_len = min_len
        self.max_len = max_len
        self.masked = masked
        self.too_short = too_short
        self.error = None

    def key(self, k):
        self.error = None
        if k in DIGITS and len(k) == 1:
            if len(self.buf) < self.max_len:
                self.buf += k
        elif k == "CLEAR":
            self.buf = self.buf[:-1]
        elif k == "ENTER":
            if len(self.buf) < self.min_len:
                self.error = self.too_short
                return False
            return True
        return False

    def value(self):
        return self.buf

    def shown(self):
        return ("*" * len(self.buf) if self.masked else self.buf) or "_"

    def lines(self):
        return _short_lines(self.shown(), self.error, self.min_len)


class PinEditor:
    """PIN digits kept in a bytearray so they can be wiped after the PIN block."""

    def __init__(self, min_len=4, max_len=12):
        self.digits = bytearray(max_len)
        self.n = 0
        self.min_len = min_len
        self.error = None

    def key(self, k):
        self.error = None
        if k in DIGITS and len(k) == 1:
            if self.n < len(self.digits):
                self.digits[self.n] = ord(k)
                self.n += 1
        elif k == "CLEAR":
            self.clear()
        elif k == "ENTER":
            if self.n < self.min_len:
                self.error = "pin_too_short"
                return False
            return True
        return False

    def value(self):
        """The PIN digits as a bytearray view; wipe with clear() after use."""
        return memoryview(self.digits)[:self.n]

    def clear(self):
        for i in range(len(self.digits)):
            self.digits[i] = 0
        self.n = 0

    def lines(self):
        return _short_lines("*" * self.n if self.n else "_", self.error, self.min_len)


class ListEditor:
    """Pick one of a list: a digit picks the numbered item, UP/DOWN and ENTER too."""

    PAGE = 9

    def __init__(self, labels):
        self.labels = labels
        self.index = 0

    def key(self, k):
        if k in DIGITS and len(k) == 1 and k != "0":
            i = (self.index // self.PAGE) * self.PAGE + int(k) - 1
            if i < len(self.labels):
                self.index = i
                return True
        elif k == "UP":
            self.index = (self.index - 1) % len(self.labels)
        elif k == "DOWN":
            self.index = (self.index + 1) % len(self.labels)
        elif k == "ENTER":
            return True
        return False

    def value(self):
        return self.index

    def page(self):
        """(index of the page's first item, the page's labels); labels may be any sequence."""
        first = (self.index // self.PAGE) * self.PAGE
        last = min(first + self.PAGE, len(self.labels))
        return first, [self.labels[i] for i in range(first, last)]

    def lines(self):
        first, labels = self.page()
        out = ["%d.%s" % (i + 1, label) for i, label in enumerate(labels)]
        pages = (len(self.labels) + self.PAGE - 1) // self.PAGE
        if pages > 1:
            out.append(tf("page", first // self.PAGE + 1, pages))
        return out

    def selected_line(self):
        return self.index % self.PAGE


class ConfirmEditor:
    """ENTER confirms; CANCEL (handled by the engine) refuses."""

    def key(self, k):
        return k == "ENTER"

    def value(self):
        return True

    def lines(self):
        return []


# The letters each digit key gives, in turn, after the digit itself (ITU E.161 order).
_LETTERS = ("0 ", "1.-_@:/!#$%&*+=?", "2abcABC", "3defDEF", "4ghiGHI", "5jklJKL", "6mnoMNO", "7pqrsPQRS",
            "8tuvTUV", "9wxyzWXYZ")


class TextEditor(DigitsEditor):
    """ASCII text on a digit keypad (a network name, a password, an APN): a digit key adds
    that digit, UP turns the last character into the next one its key gives (2 a b c A B C,
    and back to 2), DOWN into the one before; CLEAR removes the last character.

    masked shows every character but the last as *. allowed: the characters the value may
    hold (None: all the keys give).
    """

    def __init__(self, text="", min_len=0, max_len=32, masked=False, allowed=None):
        DigitsEditor.__init__(self, min_len, max_len, masked)
        self.buf = text
        self.allowed = allowed

    def _turn(self, step):
        if not self.buf:
            return
        last = self.buf[-1]
        for group in _LETTERS:
            i = group.find(last)
            if i >= 0:
                n = len(group)
                for _ in range(n):
                    i = (i + step) % n
                    if self.allowed is None or group[i] in self.allowed:
                        self.buf = self.buf[:-1] + group[i]
                        return
                return

    def key(self, k):
        if k == "UP" or k == "DOWN":
            self._turn(1 if k == "UP" else -1)
            return False
        return DigitsEditor.key(self, k)

    def shown(self):
        if self.masked and self.buf:
            return "*" * (len(self.buf) - 1) + self.buf[-1]
        return self.buf or "_"
