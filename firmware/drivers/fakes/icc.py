# The fake of drivers/icc.py: see that module for what the part does.
from drivers.icc import (CMD_APDU, CMD_POWER_OFF, CMD_POWER_ON, CMD_STATUS, ST_BAD_FRAME, ST_MUTE, ST_NOT_POWERED,
                         ST_NO_CARD, ST_OK, ST_REMOVED, ST_UNKNOWN, _xor)


class FakeCard:
    """A card for FakeIccBus: its ATR (None: mute) and answers by command bytes.

    answers: {command bytes: R-APDU bytes}, anything else getting 6D 00; or a function of the
    command bytes giving the R-APDU (a virtual card: drivers/fakes/chipcard.py).
    remove_at: the card is pulled out during that APDU (1 = the first).
    """

    def __init__(self, atr, answers=None, remove_at=None):
        self.atr = atr
        self.answers = answers or {}
        self.remove_at = remove_at
        self.commands = []


class FakeIccBus:
    """The coprocessor behind machine.I2C's writeto/readfrom_into, speaking the frames above.

    busy_reads: reads answered "busy" before each answer. corrupt: how many
    answers go out with a wrong XOR (then right, as a re-read gets it). polls: how many STATUS
    commands came (the host looking for a card), power_ons how many POWER_ON.
    """

    def __init__(self, card=None, busy_reads=1, corrupt=0, addr=0x2A):
        self.card = card
        self.addr = addr
        self.busy_reads = busy_reads
        self.corrupt = corrupt
        self.powered = False
        self.writes = []
        self.polls = 0
        self.power_ons = 0
        self._answer = None
        self._busy = 0

    def detect(self):
        return self.card is not None

    def _reply(self, status, data=b""):
        n = len(data) + 1
        frame = bytearray((n >> 8, n & 0xFF, status)) + data
        frame.append(_xor(frame, 0, len(frame)))
        self._answer = bytes(frame)
        self._busy = self.busy_reads

    def writeto(self, addr, buf):
        if addr != self.addr:
            raise OSError(19)  # ENODEV: nobody acknowledges the address
        frame = bytes(buf)
        self.writes.append(frame)
        if len(frame) < 4 or (frame[0] << 8 | frame[1]) != len(frame) - 3 or _xor(frame, 0, len(frame)):
            return self._reply(ST_BAD_FRAME)
        cmd, data = frame[2], frame[3:-1]
        card = self.card
        if cmd == CMD_STATUS:
            self.polls += 1
            return self._reply(ST_OK, bytes(((1 if card else 0) | (2 if self.powered else 0),)))
        if cmd == CMD_POWER_OFF:
            self.powered = False
            return self._reply(ST_OK)
        if cmd == CMD_POWER_ON:
            self.power_ons += 1
        if card is None:
            return self._reply(ST_NO_CARD)
        if cmd == CMD_POWER_ON:
            if card.atr is None:
                return self._reply(ST_MUTE)
            self.powered = True
            return self._reply(ST_OK, card.atr)
        if cmd != CMD_APDU:
            return self._reply(ST_UNKNOWN)
        if not self.powered:
            return self._reply(ST_NOT_POWERED)
        card.commands.append(data)
        if card.remove_at == len(card.commands):
            self.card = None
            self.powered = False
            return self._reply(ST_REMOVED)
        answers = card.answers
        self._reply(ST_OK, answers(bytes(data)) if callable(answers) else answers.get(data, b"\x6d\x00"))

    def remove(self):
        self.card = None
        self.powered = False

    def readfrom_into(self, addr, buf):
        if addr != self.addr:
            raise OSError(19)
        for i in range(len(buf)):
            buf[i] = 0
        if self._answer is None:
            return
        if self._busy > 0:
            self._busy -= 1
            return
        buf[0] = 1
        n = min(len(buf) - 1, len(self._answer))
        buf[1:1 + n] = self._answer[:n]
        if self.corrupt and len(buf) >= len(self._answer) + 1:
            self.corrupt -= 1
            buf[len(self._answer)] ^= 0x5A
