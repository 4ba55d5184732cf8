# Track 2 as a magstripe reader gives it: "PAN=YYMMSSS<discretionary>",
# optionally wrapped in the start and end sentinels ";...?".

_MAX_TRACK2 = 37


class Track2Error(ValueError):
    pass


def luhn_ok(digits):
    total = 0
    double = False
    for i in range(len(digits) - 1, -1, -1):
        d = ord(digits[i]) - 48
        if double:
            d += d
            if d > 9:
                d -= 9
        total += d
        double = not double
    return total % 10 == 0


def _all_digits(text):
    for c in text:
        if not "0" <= c <= "9":
            return False
    return True


def parse_track2(text):
    """(pan, expiry "YYMM", service code) of track 2 text; raises Track2Error."""
    if type(text) is not str:
        raise Track2Error("track 2 is text")
    if text[:1] == ";":
        if text[-1:] != "?" or len(text) < 2:
            raise Track2Error("start sentinel without end sentinel")
        text = text[1:-1]
    if len(text) > _MAX_TRACK2:
        raise Track2Error("track 2 longer than %d characters" % _MAX_TRACK2)
    sep = text.find("=")
    if sep < 0:
        raise Track2Error("no field separator")
    pan = text[:sep]
    rest = text[sep + 1:]
    if not _all_digits(pan) or not _all_digits(rest):
        raise Track2Error("characters other than digits")
    if not 13 <= len(pan) <= 19:
        raise Track2Error("PAN of %d digits" % len(pan))
    if not luhn_ok(pan):
        raise Track2Error("PAN check digit is wrong")
    if len(rest) < 7:
        raise Track2Error("no expiry date and service code")
    month = int(rest[2:4])
    if not 1 <= month <= 12:
        raise Track2Error("expiry month %s" % rest[2:4])
    return pan, rest[0:4], rest[4:7]


def mask_pan(pan):
    """First 6 and last 4 digits kept, the middle as '*'."""
    n = len(pan)
    if n <= 10:
        return "*" * (n - 4) + pan[n - 4:] if n > 4 else "*" * n
    return pan[:6] + "*" * (n - 10) + pan[n - 4:]
