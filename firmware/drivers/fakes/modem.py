# The modem's fakes, for tests and the device on fake hardware (board.py): too
# big to sit in drivers/modem.py and still compile in a 110 KB heap; the device never imports them.
# ScriptedUart plays a recorded AT dialogue; FakeModem behaves as a SIM7600
# behind its UART. A peer (the host at the far end) is peer(host, port) -> a
# connection with send(data), recv() -> bytes, None (nothing yet) or b""
# (closed), and close(); None (or OSError) refuses.

class ScriptedUart:
    """A UART playing a recorded AT dialogue, for tests.

    steps: (sent, answer) pairs. `sent` is a command line (str; the driver adds
    "\\r"), raw data after a '>' prompt (bytes), or None for bytes the modem sends
    unasked right after the step before. `answer` is bytes, a tuple of chunks
    (one per read()) or None (the modem stays silent). What the driver writes
    out of turn goes to `unexpected` and gets no answer.
    """

    def __init__(self, steps):
        self.steps = list(steps)
        self.out = []
        self.written = bytearray()
        self.lines = []
        self.unexpected = []
        self._unasked()

    def read(self):
        return self.out.pop(0) if self.out else None

    def write(self, data):
        for b in bytes(data):
            if b != 0x1B:
                self.written.append(b)
        self._match()
        return len(data)

    def inject(self, data):
        self.out.append(bytes(data))

    def done(self):
        return not self.steps and not self.unexpected

    def _match(self):
        while self.steps:
            sent, answer = self.steps[0]
            if isinstance(sent, str):
                i = self.written.find(b"\r")
                if i < 0:
                    return
                got = bytes(self.written[:i]).decode()
                self.written = self.written[i + 1:]
                self.lines.append(got)
            else:
                if len(self.written) < len(sent):
                    return
                got = bytes(self.written[:len(sent)])
                self.written = self.written[len(sent):]
            if got != sent:
                self.unexpected.append(got)
                continue
            self.steps.pop(0)
            self._queue(answer)
            self._unasked()

    def _unasked(self):
        while self.steps and self.steps[0][0] is None:
            self._queue(self.steps.pop(0)[1])

    def _queue(self, answer):
        if answer is None:
            return
        if isinstance(answer, (bytes, bytearray)):
            self.out.append(bytes(answer))
        else:
            self.out.extend(answer)


class FakeModem:
    """A SIM7600 behind a UART: it answers what Modem sends, carrying data to and from peer.

    Knobs: sim (False: +CME ERROR: 10), registered, csq, powered (False: silent
    until pwrkey(1), pwrkey(0)), mute (never answers), chunk (bytes per read,
    0 = all), fail {command: the final line it gets instead}.
    """

    def __init__(self, peer=None, sim=True, registered=True, csq=(20, 99), powered=True, chunk=0):
        self.peer = peer
        self.sim = sim
        self.registered = registered
        self.csq = csq
        self.powered = powered
        self.chunk = chunk
        self.mute = False
        self.cclk = "26/11/23,10:00:00+32"   # the network's local time, quarter hours east of UTC
        self.fail = {}
        self.echo = True
        self.net = False
        self.conn = None
        self.inbox = []             # what the peer sent, not read yet: chunks as they came
        self.commands = []
        self.sent = []
        self._out = bytearray()
        self._cmd = bytearray()
        self._data = bytearray()
        self._data_left = 0
        self._pressed = False

    # the UART side
    def read(self):
        self._pump()
        if not self._out:
            return None
        n = len(self._out) if not self.chunk else min(self.chunk, len(self._out))
        data = bytes(self._out[:n])
        self._out = self._out[n:]
        return data

    def write(self, data):
        if not self.powered:
            return len(data)
        for b in bytes(data):
            if self._data_left:
                self._data.append(b)
                self._data_left -= 1
                if not self._data_left:
                    self._sent()
            elif b == 13:
                line = bytes(self._cmd).decode()
                self._cmd = bytearray()
                if self.echo and not self.mute:
                    self._put(line + "\r")
                self._command(line)
            elif b == 0x1B:
                self._cmd = bytearray()
            elif b != 10:
                self._cmd.append(b)
        return len(data)

    def pwrkey(self, level):
        if level:
            self._pressed = True
        elif self._pressed:
            self._pressed = False
            if not self.powered:
                self.powered = True
                self.echo = True
                self.net = False
                self.urc("RDY")
                if self.sim:
                    self.urc("+CPIN: READY")
                self.urc("SMS DONE")

    # the test's side
    def urc(self, line):
        self._put("\r\n" + line + "\r\n")

    def noise(self, data):
        self._out.extend(data)

    def drop(self, urc="+IPCLOSE: 0,1"):
        """The connection ends (the peer, or the carrier with "NO CARRIER"), announced by urc."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if urc == "NO CARRIER" or urc.startswith("+CIPEVENT"):
            self.net = False
        self.urc(urc)

    def _put(self, text):
        self._out.extend(text.encode())

    def _reply(self, *lines):
        for line in lines:
            self.urc(line)

    def _pump(self):
        conn = self.conn
        if conn is None:
            return
        data = conn.recv()
        if data is None:
            return
        if not data:
            self.conn = None
            self.urc("+IPCLOSE: 0,1")
            return
        announce = not self.inbox
        self.inbox.append(data)
        if announce:
            self.urc("+CIPRXGET: 1,0")

    def _held(self):
        return sum(len(c) for c in self.inbox)

    def _take(self, n):
        out = bytearray()
        while self.inbox and len(out) < n:
            c = self.inbox.pop(0)
            k = n - len(out)
            if len(c) > k:
                self.inbox.insert(0, c[k:])
                c = c[:k]
            out.extend(c)
        return out

    def _sent(self):
        data = bytes(self._data)
        self._data = bytearray()
        n = len(data)
        if self.conn is None:
            self._reply("OK", "+CIPSEND: 0,%d,-1" % n)
            return
        self.conn.send(data)
        self.sent.append(data)
        self._reply("OK", "+CIPSEND: 0,%d,%d" % (n, n))

    def _command(self, line):
        if self.mute:
            return
        self.commands.append(line)
        u = line.upper()
        if u in self.fail:
            self._reply(self.fail[u])
        elif u in ("AT", "AT+CMEE=1", "AT+CIPRXGET=1") or u.startswith("AT+CGDCONT="):
            self._reply("OK")
        elif u == "ATE0":
            self.echo = False
            self._reply("OK")
        elif u == "AT+CSQ":
            self._reply("+CSQ: %d,%d" % self.csq, "OK")
        elif u == "AT+CCLK?":
            self._reply('+CCLK: "%s"' % self.cclk, "OK")
        elif u == "AT+CPIN?":
            self._reply(*(("+CPIN: READY", "OK") if self.sim else ("+CME ERROR: 10",)))
        elif u in ("AT+CREG?", "AT+CEREG?"):
            self._reply("%s: 0,%d" % (line[2:-1], 1 if self.registered else 2), "OK")
        elif u == "AT+NETOPEN":
            if self.net:
                self._reply("+IP ERROR: Network is already opened", "ERROR")
            else:
                self.net = self.registered
                self._reply("OK", "+NETOPEN: %d" % (0 if self.net else 1))
        elif u == "AT+NETOPEN?":
            self._reply("+NETOPEN: %d" % self.net, "OK")
        elif u.startswith("AT+CIPOPEN=0,"):
            self._open(line)
        elif u.startswith("AT+CIPSEND=0,") and self.conn is not None:
            self._data_left = int(line[13:])
            self._put("\r\n> ")
        elif u.startswith("AT+CIPRXGET=2,0,") and self.inbox:
            data = self._take(int(line[16:]))
            self._put("\r\n+CIPRXGET: 2,0,%d,%d\r\n" % (len(data), self._held()))
            self._out.extend(data)
            self._reply("OK")
        elif u.startswith("AT+CIPRXGET=2,0,"):
            self._reply("+IP ERROR: No data", "ERROR")
        elif u == "AT+CIPRXGET=4,0":
            self._reply("+CIPRXGET: 4,0,%d" % self._held(), "OK")
        elif u == "AT+CIPCLOSE=0" and self.conn is not None:
            self.conn.close()
            self.conn = None
            self._reply("OK", "+CIPCLOSE: 0,0")
        elif u == "AT+NETCLOSE" and self.net:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            self.net = False
            self._reply("OK", "+NETCLOSE: 0")
        else:
            self._reply("ERROR")

    def _open(self, line):
        parts = line[11:].split(",")
        if not self.net or self.conn is not None or len(parts) != 4:
            self._reply("ERROR")
            return
        conn = None
        if self.peer is not None:
            try:
                conn = self.peer(parts[2].strip('"'), int(parts[3]))
            except OSError:
                conn = None
        self.conn = conn
        self.inbox = []
        self._reply("OK", "+CIPOPEN: 0,%d" % (0 if conn is not None else 1))
