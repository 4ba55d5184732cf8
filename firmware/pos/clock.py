"""Calendar arithmetic for the seconds the runtime's clock gives (Unix epoch)."""


def civil(secs):
    """(year, month, day, hour, minute, second) of Unix-epoch seconds, UTC+8 applied by the caller."""
    days, rem = divmod(int(secs), 86400)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    # Howard Hinnant's days-to-civil algorithm.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + (1 if m <= 2 else 0), m, d, hh, mm, ss)


def stamp(secs):
    """'YYYYMMDD', 'hhmmss' of the seconds."""
    y, mo, d, h, mi, s = civil(secs)
    return "%04d%02d%02d" % (y, mo, d), "%02d%02d%02d" % (h, mi, s)


def display(secs):
    """'2026/11/23 14:05' for the idle screen."""
    y, mo, d, h, mi, s = civil(secs)
    return "%04d/%02d/%02d %02d:%02d" % (y, mo, d, h, mi)


def seconds(y, mo, d, h=0, mi=0, s=0):
    """Unix-epoch seconds of a civil date and time: the inverse of civil()."""
    if mo <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s


def from_stamp(text):
    """Seconds of 'YYYYMMDDhhmmss' (years 2000-2099), or None when it is not a real date and time."""
    if len(text) != 14 or not text.isdigit():
        return None
    y, mo, d = int(text[0:4]), int(text[4:6]), int(text[6:8])
    h, mi, s = int(text[8:10]), int(text[10:12]), int(text[12:14])
    if not (2000 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        return None
    secs = seconds(y, mo, d, h, mi, s)
    if civil(secs)[:3] != (y, mo, d):
        return None               # 30 February and the like
    return secs
