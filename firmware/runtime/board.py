"""Build a board's drivers from its parts and pins (boards/<name>.py, shipped as board.py).

`build(board, machine, network=None, socket=None, select=None)` returns
({part name: driver}, missing).
The hardware modules are passed in: `machine` on the device, a fake of it on
the host; nothing here is constructed at import time. Each part's "driver"
names `module.Class` under drivers/; the builder makes the bus or pins the
driver's constructor takes (docs/device.md) and nothing more. A part whose
driver module is not shipped, or whose bus does not come up, is left out and
named in `missing`, so the terminal still starts and the self-check says why.
A part of LATER is not built at boot: its entry is a function that builds it, which the runtime
calls when it needs the part and drops the driver after (the payment-code scanner, read only
while a flow waits for a code: its driver and line buffer stay off the idle heap).
"""

LATER = ("scanner",)


def _pin_out(machine, n):
    pin = machine.Pin(n, machine.Pin.OUT)
    return pin.value


def _pin_in(machine, n):
    pin = machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP)
    return pin.value


def _uart(machine, part):
    kw = {"baudrate": part["baudrate"], "rx": part["rx"]}
    if part.get("tx") is not None:
        kw["tx"] = part["tx"]
    return machine.UART(part["uart"], **kw)


def _spi_bus(machine, part):
    from drivers.lcd import SpiBus
    spi = machine.SPI(part["spi"], baudrate=part["baudrate"], sck=machine.Pin(part["sck"]),
                      mosi=machine.Pin(part["mosi"]))
    return SpiBus(spi, _pin_out(machine, part["dc"]), _pin_out(machine, part["cs"]))


def _scanner_uart(machine, part, buses):
    """The scan engine's UART: a machine.UART, or the SC16IS7xx bridge on an I2C bus ("i2c", "addr")."""
    if part.get("i2c") is None:
        return _uart(machine, part)
    from drivers.scanner import I2cUart
    return I2cUart(buses[part["i2c"]], part["addr"], part["baudrate"], part.get("xtal", 14745600))


def _make(name, part, machine, buses, network, socket, select):
    module_name, class_name = part["driver"].split(".")
    module = __import__("drivers." + module_name, None, None, (class_name,))
    cls = getattr(module, class_name)
    if name == "lcd":
        lcd = cls(_spi_bus(machine, part), part["width"], part["height"], part["controller"])
        if part.get("rst") is not None:
            _pin_out(machine, part["rst"])(1)
        return lcd
    if name == "keypad":
        rows = [_pin_out(machine, n) for n in part["rows"]]
        cols = [_pin_in(machine, n) for n in part["cols"]]
        return cls(rows, cols, part["keys"])
    if name in ("magstripe",):
        return cls(_uart(machine, part))
    if name == "scanner":
        trigger = _pin_out(machine, part["trigger"]) if part.get("trigger") is not None else None
        return cls(_scanner_uart(machine, part, buses), part.get("max_len", 512), trigger)
    if name == "printer":
        return cls(_uart(machine, part), part.get("bytes_per_s", 6000), part.get("dots", 384))
    if name == "modem":
        pwrkey = _pin_out(machine, part["pwrkey"]) if part.get("pwrkey") is not None else None
        return cls(_uart(machine, part), pwrkey, part.get("family", "sim7600"))
    if name in ("icc", "nfc"):
        bus = buses[part["i2c"]]
        if name == "icc":
            detect = _pin_in(machine, part["detect"]) if part.get("detect") is not None else None
            return cls(bus, part["addr"], detect)
        return cls(bus, part["addr"])
    if name == "touch":
        irq = _pin_in(machine, part["irq"]) if part.get("irq") is not None else None
        return cls(buses[part["i2c"]], part["addr"], part["width"], part["height"], part.get("swap_xy", False),
                   part.get("invert_x", False), part.get("invert_y", False), irq)
    if name == "wifi":
        return cls(network.WLAN(network.STA_IF), socket, select)
    if name == "buzzer":
        return cls(machine.PWM(machine.Pin(part["pin"]), freq=2700, duty_u16=0))
    if name == "battery":
        adc = machine.ADC(machine.Pin(part["adc"]))
        return cls(adc, part["divider"], part["empty_mv"], part["full_mv"])
    if name == "rtc":
        return cls(machine.RTC(), part["source"])
    raise ValueError("no way to build part %s" % name)


def _later(name, spec, machine, buses):
    def make():
        return _make(name, spec, machine, buses, None, None, None)
    return make


def build(board, machine, network=None, socket=None, select=None):
    """(parts {name: driver}, missing [(name, reason)])."""
    parts = {}
    missing = []
    buses = {}
    specs = board.PARTS
    for name in specs:
        spec = specs[name]
        if "driver" not in spec:           # a bus the parts share
            if "sda" in spec:
                buses[name] = machine.I2C(spec["bus"], sda=machine.Pin(spec["sda"]), scl=machine.Pin(spec["scl"]),
                                          freq=spec.get("freq", 400000))
    for name in specs:
        spec = specs[name]
        if "driver" not in spec:
            continue
        if name in LATER:
            parts[name] = _later(name, spec, machine, buses)
            continue
        try:
            parts[name] = _make(name, spec, machine, buses, network, socket, select)
        except (ImportError, OSError, ValueError, KeyError) as e:
            missing.append((name, str(e)))
    return parts, missing
