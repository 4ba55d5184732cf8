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
