# The board's real-time clock, which keeps China's local time (UTC+8).
# now() and set() speak Unix-epoch seconds of that local time, the reckoning
# of pos.clock (civil(), stamp(), display()). sync() takes the time from the
# network: the modem's AT+CCLK? answer or an NTP time.
from drivers.compat import const
from pos.clock import civil, seconds

LOCAL_UTC_OFFSET = const(8 * 3600)
_EPOCH_2000 = const(946684800)     # 2000-01-01 on the Unix epoch
_EARLIEST = const(1704067200)      # 2024-01-01: a modem reporting earlier has no network time yet
_MAX_ANSWER = const(64)


class ClockError(Exception):
    pass


def weekday(secs):
    """0 = Monday, as machine.RTC counts (1970-01-01 was a Thursday)."""
    return (secs // 86400 + 3) % 7


def _checked(secs):
    if secs < _EARLIEST + LOCAL_UTC_OFFSET:
        raise ClockError("time before 2024: the source has no network time")
    return secs


def from_utc(utc_secs):
    """Local seconds of Unix-epoch UTC seconds (an NTP time)."""
    return _checked(int(utc_secs) + LOCAL_UTC_OFFSET)


def parse_cclk(answer):
    """Local seconds of a +CCLK answer: '+CCLK: "yy/MM/dd,hh:mm:ss±zz"', zz in
    quarter hours east of UTC (3GPP TS 27.007): the time is in that zone and
    is converted to UTC+8."""
    if isinstance(answer, (bytes, bytearray)):
        answer = bytes(answer).decode()
    if len(answer) > _MAX_ANSWER:
        raise ClockError("+CCLK answer too long")
    start = answer.find('"')
    stop = answer.find('"', start + 1)
    if not answer.strip().startswith("+CCLK:") or start < 0 or stop < 0:
        raise ClockError("not a +CCLK answer")
    t = answer[start + 1:stop]
    if len(t) not in (17, 19, 20) or t[2] != "/" or t[5] != "/" or t[8] != "," or t[11] != ":" or t[14] != ":":
        raise ClockError("bad +CCLK time %s" % t)
    fields = (t[0:2], t[3:5], t[6:8], t[9:11], t[12:14], t[15:17])
    for f in fields:
        if not f.isdigit():
            raise ClockError("bad +CCLK time %s" % t)
    y, mo, d, h, mi, s = [int(f) for f in fields]
    quarters = 0
    if len(t) > 17:
        zone = t[18:]
        if t[17] not in "+-" or not zone.isdigit() or int(zone) > 56:
            raise ClockError("bad +CCLK zone %s" % t)
        quarters = int(zone) if t[17] == "+" else -int(zone)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        raise ClockError("bad +CCLK time %s" % t)
    y += 1900 if y >= 70 else 2000        # a modem without network time says 1980 or 2004
    local = seconds(y, mo, d, h, mi, s)
    if civil(local)[:3] != (y, mo, d):
        raise ClockError("bad +CCLK date %s" % t)
    return _checked(local - quarters * 900 + LOCAL_UTC_OFFSET)


class Clock:
    """rtc: a machine.RTC; source: where sync() takes the time from ("modem" or "ntp")."""

    def __init__(self, rtc, source):
        self._rtc = rtc
        self.source = source

    def now(self):
        t = self._rtc.datetime()
        return seconds(t[0], t[1], t[2], t[4], t[5], t[6])

    def set(self, secs):
        y, mo, d, h, mi, s = civil(secs)
        self._rtc.datetime((y, mo, d, weekday(secs), h, mi, s, 0))

    async def sync(self, source):
        """Set the clock from source and return the local seconds set:
        a modem (its async command() is asked AT+CCLK?), a +CCLK answer line,
        Unix-epoch UTC seconds from NTP, or an object whose time() gives NTP
        seconds on the port's own epoch (ntptime). ClockError when the answer
        is malformed or earlier than 2024; the clock is then left alone."""
        if isinstance(source, int):
            secs = from_utc(source)
        elif isinstance(source, (str, bytes, bytearray)):
            secs = parse_cclk(source)
        elif hasattr(source, "command"):
            secs = None
            for line in await source.command("AT+CCLK?"):
                if isinstance(line, (bytes, bytearray)):
                    line = bytes(line).decode()
                if line.startswith("+CCLK:"):
                    secs = parse_cclk(line)
            if secs is None:
                raise ClockError("no +CCLK answer")
        elif hasattr(source, "time"):
            utc = source.time()
            if hasattr(utc, "send"):
                utc = await utc
            import time
            if time.gmtime(0)[0] == 2000:
                utc += _EPOCH_2000
            secs = from_utc(utc)
        else:
            raise ClockError("no time source")
        self.set(secs)
        return secs
