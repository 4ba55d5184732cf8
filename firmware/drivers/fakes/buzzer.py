# The buzzer for tests: what drivers.buzzer would have played.


class FakeBuzzer:
    """Records the tones asked for: ("beep", ms, freq) and ("alarm",)."""

    def __init__(self):
        self.played = []

    def beep(self, ms=30, freq=2700):
        self.played.append(("beep", ms, freq))

    def alarm(self):
        self.played.append(("alarm",))
