# The modem driver against recorded SIM7600 AT dialogues (ScriptedUart) and the
# behavioural fake (FakeModem). VM-neutral: plain asserts, asyncio.run.
import asyncio

from drivers.modem import Modem, ModemError, ModemTimeout
from drivers.fakes.modem import FakeModem, ScriptedUart

OK = b"\r\nOK\r\n"


def run(coro):
    return asyncio.run(coro)


def modem(steps, urcs=None):
    uart = ScriptedUart(steps)
    m = Modem(uart, on_urc=None if urcs is None else urcs.append)
    m.resync_ms = 50
    return uart, m


def opened(extra, urcs=None):
    """A modem whose socket is open to 10.0.0.5:5000, then the dialogue `extra`."""
    steps = [
        ("AT+NETOPEN", (OK, b"\r\n+NETOPEN: 0\r\n")),
        ("AT+CIPRXGET=1", OK),
        ('AT+CIPOPEN=0,"TCP","10.0.0.5",5000', (OK, b"\r\n+CIPOPEN: 0,0\r\n")),
    ] + extra
    uart, m = modem(steps, urcs)
    run(m.open("10.0.0.5", 5000))
    return uart, m


def raised(coro):
    """The ModemError (or subclass) a coroutine raised, or None."""
    try:
        run(coro)
    except ModemError as e:
        return e
    return None


def test_start_up_tolerates_the_echo_then_turns_it_off_and_asks_for_numeric_errors():
    uart, m = modem([
        ("AT", b"AT\r\r\nOK\r\n"),
        ("ATE0", b"ATE0\r\r\nOK\r\n"),
        ("AT+CMEE=1", OK),
    ])
    run(m.start())
    assert m.started and uart.done()


def test_start_up_presses_the_power_key_and_waits_for_rdy():
    fake = FakeModem(powered=False)
    levels = []

    def key(level):
        levels.append(level)
        fake.pwrkey(level)

    m = Modem(fake, key)
    m.pwrkey_ms = 10
    seen = []
    m.on_urc = seen.append
    run(m.start(timeout_ms=2000))
    assert levels == [1, 0]
    assert m.started and not fake.echo
    assert "RDY" in seen and "+CPIN: READY" in seen


def test_a_modem_that_never_powers_up_is_a_timeout():
    fake = FakeModem(powered=False)
    m = Modem(fake, lambda level: None)
    m.pwrkey_ms = 10
    e = raised(m.start(timeout_ms=300))
    assert isinstance(e, ModemTimeout) and not m.started


def test_signal_sim_and_registration_are_parsed():
    uart, m = modem([
        ("AT+CSQ", b"\r\n+CSQ: 23,99\r\n" + OK),
        ("AT+CPIN?", b"\r\n+CPIN: READY\r\n" + OK),
        ("AT+CEREG?", b"\r\n+CEREG: 0,5\r\n" + OK),
        ("AT+CEREG?", b"\r\n+CEREG: 0,2\r\n" + OK),
        ("AT+CREG?", b'\r\n+CREG: 2,1,"1A2B","00C3F5"\r\n' + OK),
        ("AT+CEREG?", b"\r\n+CEREG: 0,3\r\n" + OK),
        ("AT+CREG?", b"\r\n+CREG: 0,0\r\n" + OK),
    ])
    assert run(m.signal()) == (23, 99)
    assert run(m.sim_ready()) is True
    assert run(m.registered()) is True          # roaming on LTE
    assert run(m.registered()) is True          # searching on LTE, home on GSM
    assert run(m.registered()) is False         # denied, not registered
    assert uart.done()


def test_cme_error_10_means_no_sim_and_carries_its_code():
    uart, m = modem([
        ("AT+CPIN?", b"\r\n+CME ERROR: 10\r\n"),
        ("AT+CPIN?", b"\r\n+CME ERROR: 10\r\n"),
        ("AT+CPIN?", b"\r\n+CPIN: SIM PIN\r\n" + OK),
    ])
    assert run(m.sim_ready()) is False and m.sim_error == 10
    e = raised(m.command("AT+CPIN?"))
    assert e is not None and e.code == 10 and not isinstance(e, ModemTimeout)
    assert run(m.sim_ready()) is False          # a SIM asking for its PIN is not ready
    assert uart.done()


def test_error_and_cms_error_raise_modem_error():
    uart, m = modem([
        ("AT+CSQ", b"\r\nERROR\r\n"),
        ("AT+CMGS=1", b"\r\n+CMS ERROR: 500\r\n"),
        ("AT+CPIN?", b"\r\n+CME ERROR: SIM failure\r\n"),
    ])
    e = raised(m.signal())
    assert e is not None and e.code is None
    assert raised(m.command("AT+CMGS=1")).code == 500
    e = raised(m.command("AT+CPIN?"))
    assert e.code is None and "SIM failure" in str(e)
    assert uart.done()


def test_a_modem_that_never_answers_times_out_then_the_engine_resyncs():
    uart, m = modem([
        ("AT+CSQ", None),
        ("AT", OK),
        ("AT+CSQ", b"\r\n+CSQ: 12,0\r\n" + OK),
    ])
    e = raised(m.command("AT+CSQ", 50))
    assert isinstance(e, ModemTimeout) and m.resyncs == 1
    assert run(m.signal()) == (12, 0)
    assert uart.done()


def test_a_mute_modem_times_out_and_the_resync_gives_up_quietly():
    fake = FakeModem()
    fake.mute = True
    m = Modem(fake)
    m.resync_ms = 30
    assert isinstance(raised(m.command("AT+CSQ", 30)), ModemTimeout)
    assert isinstance(raised(m.command("AT+CSQ", 30)), ModemTimeout)
    assert m.resyncs == 2
    fake.mute = False
    assert run(m.signal()) == (20, 99)


def test_urcs_between_and_inside_answers_are_recognised():
    urcs = []
    uart, m = modem([
        (None, b"\r\nRDY\r\n\r\n+CPIN: READY\r\n"),
        ("AT+CSQ", b"\r\n+CREG: 1\r\n+CSQ: 20,99\r\n\r\n+CEREG: 5\r\nOK\r\n"),
        ("AT+CPIN?", b"\r\n+CPIN: READY\r\n" + OK),
    ], urcs)
    m.poll()
    assert urcs == ["RDY", "+CPIN: READY"]
    assert run(m.signal()) == (20, 99)
    assert urcs[2:] == ["+CREG: 1", "+CEREG: 5"]
    assert run(m.sim_ready()) is True           # the same line, asked for, is an answer
    assert len(urcs) == 4 and uart.done()


def test_garbage_bytes_and_an_over_long_line_are_dropped():
    uart, m = modem([
        (None, b"\xff\x00\xfe\r\n" + b"X" * 400 + b"\r\n"),
        ("AT+CSQ", (b"\r\n+C\x80SQ: 1", b"7,99\r\n", b"\r\nO", b"K\r\n")),
    ])
    assert run(m.signal()) == (17, 99)
    assert m.garbage == 4 and m.dropped == 1
    assert uart.done()


def test_random_bytes_never_crash_the_engine():
    import random
    random.seed(7)
    tokens = (b"\r\n", b"OK", b"ERROR", b"+CME ERROR: x", b"+CIPRXGET: 2,0,99999,0", b"\x00\xff",
              b"+IPCLOSE: 0,1", b"> ", b"+CSQ: 1,", b"CLOSED", b"X" * 200, b"AT")
    for _ in range(25):
        blob = b"".join(tokens[random.getrandbits(4) % len(tokens)] for _ in range(12))
        uart, m = modem([("AT+CSQ", blob)])
        m.resync_ms = 10
        try:
            run(m.command("AT+CSQ", 20))
        except ModemError:
            pass


def test_tcp_open_send_receive_close_over_cipsend_and_ciprxget():
    urcs = []
    uart, m = opened([
        ("AT+CIPSEND=0,4", b"\r\n> "),
        (b"\x00\x02hi", b"\r\nOK\r\n\r\n+CIPSEND: 0,4,4\r\n"),
        (None, b"\r\n+CIPRXGET: 1,0\r\n"),
        ("AT+CIPRXGET=2,0,1024", b"\r\n+CIPRXGET: 2,0,6,0\r\n\x00\x04\r\nOK" + OK),
        ("AT+CIPCLOSE=0", (OK, b"\r\n+CIPCLOSE: 0,0\r\n")),
    ], urcs)
    assert m.is_open
    run(m.send(b"\x00\x02hi"))
    assert run(m.recv(16, 500)) == b"\x00\x04\r\nOK"    # raw bytes, CR LF and OK included
    m.close()
    assert not m.is_open
    run(m.hangup())
    assert urcs == ["+CIPRXGET: 1,0"]
    assert uart.done()


def test_data_still_buffered_in_the_modem_is_read_without_another_urc():
    uart, m = opened([
        (None, b"\r\n+CIPRXGET: 1,0\r\n"),
        ("AT+CIPRXGET=2,0,1024", (b"\r\n+CIPRXGET: 2,0,4,3\r\nab", b"cd\r\nOK\r\n")),
        ("AT+CIPRXGET=2,0,1024", b"\r\n+CIPRXGET: 2,0,3,0\r\nefg" + OK),
    ])
    assert run(m.recv(4, 500)) == b"abcd"
    assert run(m.recv(8, 500)) == b"efg"
    assert uart.done()


def test_recv_times_out_with_none_while_the_socket_stays_open():
    uart, m = opened([])
    assert run(m.recv(16, 30)) is None and m.is_open


def test_a_peer_close_reads_as_empty_and_send_raises():
    uart, m = opened([(None, b"\r\n+IPCLOSE: 0,1\r\n")])
    assert run(m.recv(16, 500)) == b""
    assert not m.is_open
    assert raised(m.send(b"x")) is not None
    assert uart.done()


def test_lost_carrier_mid_receive_gives_the_data_read_then_empty():
    uart, m = opened([
        (None, b"\r\n+CIPRXGET: 1,0\r\n"),
        ("AT+CIPRXGET=2,0,1024", b"\r\n+CIPRXGET: 2,0,4,6\r\n\x00\x08ab" + OK + b"\r\nNO CARRIER\r\n"),
        ("AT+CIPRXGET=2,0,1024", b"\r\n+IP ERROR: No data\r\n\r\nERROR\r\n"),
    ])
    assert run(m.recv(4, 500)) == b"\x00\x08ab"
    assert run(m.recv(6, 500)) == b""
    assert not m.is_open and uart.done()


def test_a_read_header_longer_than_asked_breaks_the_socket():
    uart, m = opened([
        (None, b"\r\n+CIPRXGET: 1,0\r\n"),
        ("AT+CIPRXGET=2,0,1024", b"\r\n+CIPRXGET: 2,0,9999,0\r\nshort" + OK),
    ])
    assert run(m.recv(16, 500)) == b""
    assert not m.is_open and uart.done()


def test_send_refused_or_not_confirmed_raises():
    uart, m = opened([
        ("AT+CIPSEND=0,3", b"\r\nERROR\r\n"),
        ("AT+CIPSEND=0,3", b"\r\n> "),
        (b"abc", b"\r\nOK\r\n\r\n+CIPSEND: 0,3,-1\r\n"),
    ])
    assert raised(m.send(b"abc")) is not None
    assert m.is_open                            # refused before any byte went
    assert raised(m.send(b"abc")) is not None
    assert not m.is_open                        # -1: the link is gone
    assert uart.done()


def test_a_refused_tcp_open_carries_the_modems_code():
    uart, m = modem([
        ("AT+NETOPEN", (OK, b"\r\n+NETOPEN: 0\r\n")),
        ("AT+CIPRXGET=1", OK),
        ('AT+CIPOPEN=0,"TCP","10.0.0.5",5000', (OK, b"\r\n+CIPOPEN: 0,1\r\n")),
    ])
    e = raised(m.open("10.0.0.5", 5000))
    assert e is not None and e.code == 1 and not m.is_open
    assert uart.done()


def test_a_network_already_open_is_used():
    uart, m = modem([
        ("AT+NETOPEN", b"\r\n+IP ERROR: Network is already opened\r\n\r\nERROR\r\n"),
        ("AT+NETOPEN?", b"\r\n+NETOPEN: 1\r\n" + OK),
        ("AT+CIPRXGET=1", OK),
        ('AT+CIPOPEN=0,"TCP","10.0.0.5",5000', (OK, b"\r\n+CIPOPEN: 0,0\r\n")),
    ])
    run(m.open("10.0.0.5", 5000))
    assert m.is_open and uart.done()


def test_a_host_that_would_inject_at_commands_is_refused_before_anything_is_sent():
    uart, m = modem([])
    assert raised(m.open('1.2.3.4",80\r\nAT+CPOF', 80)) is not None
    assert raised(m.open("1.2.3.4", 70000)) is not None
    assert uart.written == bytearray()


class Echo:
    """A peer that sends back what it gets, then closes when told."""

    def __init__(self):
        self.got = b""
        self.queue = []
        self.closed = False

    def send(self, data):
        self.got += data
        self.queue.append(data)

    def recv(self):
        if self.queue:
            return self.queue.pop(0)
        return b"" if self.closed else None

    def close(self):
        self.closed = True


def test_fake_modem_carries_a_tcp_exchange_and_a_peer_close():
    peer = Echo()
    fake = FakeModem(lambda host, port: peer, chunk=61)
    m = Modem(fake)

    async def go():
        await m.start()
        assert await m.sim_ready() and await m.registered()
        await m.open("127.0.0.1", 5000)
        await m.send(b"\x00\x03abc" * 300)          # more than one send command
        got = b""
        while len(got) < 1500:
            got += await m.recv(1500 - len(got), 1000)
        assert got == b"\x00\x03abc" * 300
        peer.closed = True
        assert await m.recv(10, 1000) == b""
        m.close()
        await m.open("127.0.0.1", 5000)             # the network stays open
        assert m.is_open

    run(go())
    assert fake.commands.count("AT+NETOPEN") == 1


def test_fake_modem_without_sim_or_coverage():
    m = Modem(FakeModem(sim=False, registered=False))

    async def go():
        await m.start()
        assert not await m.sim_ready() and m.sim_error == 10
        assert not await m.registered()

    run(go())
