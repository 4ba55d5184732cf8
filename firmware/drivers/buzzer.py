# The piezo on a PWM pin: beep() is the key tone, alarm() the error tone.
# Neither blocks: the tone starts at once and a task of the running asyncio
# loop stops it; a new tone cuts off the one playing.
import asyncio

from drivers.compat import const, sleep_ms

_HALF = const(32768)              # duty_u16 of a square wave: the loudest
# (freq Hz or 0 for silence, ms): three falling double tones
ALARM = ((2700, 150), (1800, 150), (0, 100)) * 3


class Buzzer:
    def __init__(self, pwm):
        self._pwm = pwm
        self._tune = 0            # which tune plays: an older task finds it changed and stops
        pwm.duty_u16(0)

    def beep(self, ms=30, freq=2700):
        self._play(((freq, ms),))

    def alarm(self):
        self._play(ALARM)

    def _play(self, notes):
        self._tune += 1
        self._note(notes[0][0])
        asyncio.create_task(self._run(notes, self._tune))

    def _note(self, freq):
        if freq:
            self._pwm.freq(freq)
            self._pwm.duty_u16(_HALF)
        else:
            self._pwm.duty_u16(0)

    async def _run(self, notes, tune):
        for i in range(len(notes)):
            if i:
                self._note(notes[i][0])
            await sleep_ms(notes[i][1])
            if self._tune != tune:
                return
        self._pwm.duty_u16(0)
