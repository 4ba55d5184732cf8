from pos.editors import AmountEditor, DigitsEditor, PinEditor, ListEditor, TextEditor
from pos.engine import Ask, Connect, Engine, Exchange, ReadCard, Show, WaitPaper
from pos.results import CANCEL, OK, TIMEOUT
from pos.screen import Screen


def _flow(log):
    amount = yield Ask(Screen("sale"), AmountEditor(100000), 60)
    log.append(("amount", amount))
    card = yield ReadCard(Screen("card"), 60)
    log.append(("card", card))
    link = yield Connect()
    log.append(("link", link))
    answer = yield Exchange(b"req", 60)
    log.append(("answer", answer))
    return "done"


def test_a_flow_receives_each_result_in_order():
    log = []
    eng = Engine(0)
    eng.start(_flow(log))
    for k in "123":
        eng.key(k)
    eng.key("ENTER")
    assert log == [("amount", 123)]
    assert eng.card(("swipe", "x"))
    assert eng.pending_io is not None and isinstance(eng.pending_io, Connect)
    eng.resolve(OK)
    assert isinstance(eng.pending_io, Exchange)
    eng.resolve(b"ans")
    assert not eng.busy and eng.result == "done"
    assert log[-1] == ("answer", b"ans")


def test_cancel_ends_any_screen_wait():
    log = []
    eng = Engine(0)
    eng.start(_flow(log))
    eng.key("CANCEL")
    assert log == [("amount", CANCEL)]


def test_an_unanswered_exchange_times_out_on_the_passed_clock():
    log = []
    eng = Engine(100)
    eng.start(_flow(log))
    eng.key("5")
    eng.key("ENTER")
    eng.card(("swipe", "x"))
    eng.resolve(OK)
    eng.tick(159)
    assert eng.busy
    eng.tick(160)
    assert log[-1] == ("answer", TIMEOUT)


def test_a_clock_set_between_two_ticks_keeps_the_time_a_wait_had_left():
    log = []
    eng = Engine(1000)
    eng.start(_flow(log))
    eng.tick(1030)
    eng.tick(900000)               # the RTC set from the network: far ahead
    assert log == []
    eng.tick(900029)
    assert log == []
    eng.tick(900030)
    assert log == [("amount", TIMEOUT)]
    log = []
    eng = Engine(1000)
    eng.start(_flow(log))
    eng.tick(500)                  # set back
    eng.tick(559)
    assert log == []
    eng.tick(560)
    assert log == [("amount", TIMEOUT)]


def test_a_key_restarts_the_idle_timeout():
    log = []
    eng = Engine(0)
    eng.start(_flow(log))
    eng.tick(50)
    eng.key("1")
    eng.tick(100)
    assert log == []
    eng.tick(110)
    assert log == [("amount", TIMEOUT)]


def test_keys_do_not_reach_io_effects():
    log = []
    eng = Engine(0)
    eng.start(_flow(log))
    eng.key("1")
    eng.key("ENTER")
    eng.card(("swipe", "x"))
    assert not eng.key("CANCEL")
    assert isinstance(eng.pending_io, Connect)


def _paper():
    r = yield WaitPaper(Screen("paper"))
    return r


def test_wait_paper_ends_when_paper_is_loaded_and_never_times_out():
    eng = Engine(0)
    eng.start(_paper())
    eng.tick(10 ** 6)
    assert eng.busy
    eng.paper_loaded()
    assert eng.result == OK


def test_enter_on_the_paper_out_screen_tries_again_and_other_keys_do_nothing():
    eng = Engine(0)
    eng.start(_paper())
    eng.key("5")
    assert eng.busy
    eng.key("ENTER")
    assert eng.result == OK


def test_the_screen_shows_the_editor_lines():
    eng = Engine(0)
    eng.start(_flow([]))
    eng.key("1")
    eng.key("2")
    assert "RMB 0.12" in eng.screen.text()


def test_an_amount_over_the_maximum_must_be_corrected_before_enter_takes_it():
    ed = AmountEditor(500000)
    for k in "500001":
        ed.key(k)
    assert ed.value() == 50000 and ed.error == "amount_too_large"
    assert not ed.key("ENTER") and ed.error == "amount_too_large"
    ed.key("CLEAR")
    assert ed.error is None and ed.value() == 5000
    assert ed.key("ENTER") and ed.value() == 5000


def test_amount_editor_refuses_zero_and_over_the_maximum():
    ed = AmountEditor(1000)
    assert not ed.key("ENTER") and ed.error == "amount_zero"
    for k in "1000":
        ed.key(k)
    assert ed.value() == 1000
    ed.key("1")
    assert ed.value() == 1000 and ed.error == "amount_too_large"
    ed.key("CLEAR")
    assert ed.value() == 100


def test_pin_editor_is_masked_and_wiped():
    ed = PinEditor()
    for k in "1234":
        ed.key(k)
    assert ed.lines() == ["****"]
    assert bytes(ed.value()) == b"1234"
    ed.clear()
    assert bytes(ed.digits) == bytes(len(ed.digits))


def test_pin_editor_needs_four_digits():
    ed = PinEditor()
    for k in "123":
        ed.key(k)
    assert not ed.key("ENTER")
    ed.key("4")
    assert ed.key("ENTER")


def test_digits_editor_masks_passwords_and_bounds_length():
    ed = DigitsEditor(2, 2, masked=True)
    for k in "123":
        ed.key(k)
    assert ed.value() == "12" and ed.lines() == ["**"]


def _typed(ed, keys):
    for k in keys.split():
        done = ed.key(k)
    return done


def test_text_editor_turns_a_digit_into_its_letters_with_up_and_down():
    ed = TextEditor()
    assert not _typed(ed, "2 UP UP 2 UP 7 UP UP UP 7")
    assert ed.value() == "bar7"
    _typed(ed, "DOWN")                       # 7 back to S, the last of its key
    assert ed.value() == "barS"
    _typed(ed, "CLEAR 0 UP 1 UP UP UP")      # 0 then space; 1 . - _
    assert ed.value() == "bar _"
    ed = TextEditor("x", 2, 3)
    assert not ed.key("ENTER")               # under min_len
    assert _typed(ed, "9 9 9 ENTER") and ed.value() == "x99"


def test_text_editor_keeps_to_the_characters_allowed_and_masks_all_but_the_last():
    ed = TextEditor(allowed="0123456789abcdefghijklmnopqrstuvwxyz.")
    _typed(ed, "2 UP UP UP UP")              # 2 a b c, then 2 again: no capitals
    assert ed.value() == "2"
    _typed(ed, "1 UP UP")                     # 1 . then - is not allowed: back to 1
    assert ed.value() == "21"
    ed = TextEditor("se", masked=True)
    _typed(ed, "3 UP")
    assert ed.lines() == ["**d"] and ed.value() == "sed"
    assert TextEditor(masked=True).lines() == ["_"]


def test_list_editor_picks_by_digit_and_by_arrows():
    ed = ListEditor(["a", "b", "c"])
    assert ed.key("2") and ed.value() == 1
    ed = ListEditor(["a", "b", "c"])
    ed.key("UP")
    assert ed.key("ENTER") and ed.value() == 2
    assert not ListEditor(["a"]).key("5")


def test_list_editor_pages_of_nine():
    labels = [str(i) for i in range(12)]
    ed = ListEditor(labels)
    for _ in range(9):
        ed.key("DOWN")
    assert ed.lines()[0] == "1.9"
    assert ed.key("2") and ed.value() == 10


def _show():
    k = yield Show(Screen("x"), 5)
    return k


def test_show_returns_the_key_pressed():
    eng = Engine(0)
    eng.start(_show())
    eng.key("F1")
    assert eng.result == "F1"


def test_a_key_during_io_is_dropped_but_for_a_wait_that_takes_it_a_cancel_first():
    log = []

    def flow():
        yield Exchange(b"req", 60)
        log.append((yield Show(Screen("result"), 10)))          # keys during I/O do not reach it
        yield Exchange(b"req", 60)
        held = Show(Screen("waiting"), 10)
        held.takes_held_key = True
        log.append((yield held))
        return "done"
    e = Engine(0)
    e.start(flow())
    assert e.key("CANCEL") is False and e.key("5") is False
    e.resolve(b"answer")
    assert log == [] and e.screen.title == "result"
    e.key("ENTER")
    e.key("CANCEL")
    e.key("5")                                                  # a CANCEL is not overridden
    e.resolve(b"answer")
    assert log == ["ENTER", CANCEL] and e.result == "done"
