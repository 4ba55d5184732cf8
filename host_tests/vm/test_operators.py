from pos import operators, store
from pos.operators import Operators, OK, WRONG, LOCKED, UNKNOWN, MAX_TRIES, SUPERVISOR
from vmutil import rmtree, tmpdir, raises

DEFAULTS = {"00": "123456", "01": "0000"}


def _fresh(defaults=DEFAULTS):
    d = tmpdir("o")
    ops = Operators(d)
    ops.ensure_defaults(defaults)
    return d, ops


def test_the_default_operators_log_in_on_first_boot():
    d, ops = _fresh()
    assert ops.verify("00", "123456") == OK
    assert ops.verify("01", "0000") == OK
    assert ops.list() == [("00", False), ("01", False)]
    rmtree(d)


def test_defaults_do_not_overwrite_stored_operators():
    d, ops = _fresh()
    ops.set_password("01", "4321")
    ops = Operators(d)
    ops.ensure_defaults(DEFAULTS)
    assert ops.verify("01", "4321") == OK
    assert ops.verify("01", "0000") == WRONG
    rmtree(d)


def test_a_wrong_password_is_wrong_and_an_unknown_number_unknown():
    d, ops = _fresh()
    assert ops.verify("01", "0001") == WRONG
    assert ops.verify("01", "00000") == WRONG
    assert ops.verify("01", "") == WRONG
    assert ops.verify("77", "0000") == UNKNOWN
    assert ops.verify("1", "0000") == UNKNOWN
    assert ops.verify("x1", "0000") == UNKNOWN
    rmtree(d)


def test_five_wrong_passwords_in_a_row_lock_an_operator_until_reset():
    d, ops = _fresh()
    for left in range(MAX_TRIES - 1, 0, -1):
        assert ops.verify("01", "9999") == WRONG
        assert ops.tries_left("01") == left
    assert ops.verify("01", "9999") == LOCKED
    assert ops.verify("01", "0000") == LOCKED
    assert Operators(d).verify("01", "0000") == LOCKED
    assert ops.list() == [("00", False), ("01", True)]
    ops.reset("01")
    assert ops.verify("01", "0000") == OK
    assert ops.tries_left("01") == MAX_TRIES
    rmtree(d)


def test_a_right_password_clears_the_count_of_wrong_ones():
    d, ops = _fresh()
    for _ in range(MAX_TRIES - 1):
        assert ops.verify("01", "9999") == WRONG
    assert ops.verify("01", "0000") == OK
    for _ in range(MAX_TRIES - 1):
        assert ops.verify("01", "9999") == WRONG
    assert ops.verify("01", "0000") == OK
    rmtree(d)


def test_the_right_password_on_the_fifth_try_still_logs_in():
    d, ops = _fresh()
    for _ in range(MAX_TRIES - 1):
        ops.verify("01", "9999")
    assert ops.verify("01", "0000") == OK
    assert ops.list()[1] == ("01", False)
    rmtree(d)


def test_a_try_is_counted_before_the_check_so_a_power_cut_buys_no_guess():
    d, ops = _fresh()
    real_save = ops._save

    def save_then_cut(doc):
        real_save(doc)
        raise OSError("power cut")

    ops._save = save_then_cut
    assert raises(OSError, ops.verify, "01", "0000")
    assert Operators(d).tries_left("01") == MAX_TRIES - 1
    rmtree(d)


def test_the_supervisor_is_never_locked_but_is_braked():
    d, ops = _fresh()
    assert ops.delay(SUPERVISOR) == 0
    for _ in range(MAX_TRIES - 1):
        assert ops.verify("00", "000000") == WRONG
        assert ops.delay(SUPERVISOR) == 0
    waits = []
    for _ in range(12):
        assert ops.verify("00", "000000") == WRONG
        waits.append(ops.delay(SUPERVISOR))
    assert waits[0] == operators.SUPERVISOR_DELAY
    assert waits == sorted(waits) and waits[-1] == operators.MAX_DELAY
    assert ops.tries_left(SUPERVISOR) is None
    assert ops.list()[0] == ("00", False)
    assert ops.verify("00", "123456") == OK
    assert ops.delay(SUPERVISOR) == 0
    rmtree(d)


def test_the_supervisor_cannot_be_removed_and_operators_can():
    d, ops = _fresh()
    assert raises(ValueError, ops.remove, "00")
    ops.add("02", "2222")
    ops.remove("02")
    ops.remove("02")
    assert ops.verify("02", "2222") == UNKNOWN
    assert Operators(d).verify("00", "123456") == OK
    rmtree(d)


def test_add_and_set_password_check_numbers_and_passwords():
    d, ops = _fresh()
    assert raises(ValueError, ops.add, "01", "1111")
    assert raises(ValueError, ops.add, "100", "1111")
    assert raises(ValueError, ops.add, "5", "1111")
    assert raises(ValueError, ops.add, "05", "123")
    assert raises(ValueError, ops.add, "05", "1234567890123")
    assert raises(ValueError, ops.add, "05", "12a4")
    assert raises(ValueError, ops.set_password, "09", "1234")
    assert raises(ValueError, ops.reset, "09")
    ops.add("99", "123456789012")
    assert Operators(d).verify("99", "123456789012") == OK
    assert [no for no, _ in ops.list()] == ["00", "01", "99"]
    rmtree(d)


def test_a_new_password_replaces_the_old_and_unlocks():
    d, ops = _fresh()
    for _ in range(MAX_TRIES):
        ops.verify("01", "9999")
    ops.set_password("01", "5678")
    assert ops.verify("01", "0000") == WRONG
    assert ops.verify("01", "5678") == OK
    rmtree(d)


def _stored(d):
    with open(d + "/operators.json") as f:
        return f.read()


def test_salts_differ_for_the_same_password_and_no_password_is_stored():
    d, ops = _fresh()
    ops.add("02", "0000")
    doc = store.load(d, "operators")
    assert doc["01"][0] != doc["02"][0] and doc["01"][1] != doc["02"][1]
    raw = _stored(d)
    assert '"0000"' not in raw and '"123456"' not in raw
    rmtree(d)


def test_the_salt_comes_from_the_injected_random_source():
    d = tmpdir("o")
    ops = Operators(d, urandom=lambda n: bytes(range(n)))
    ops.ensure_defaults({"00": "123456"})
    assert '"0001020304050607"' in _stored(d)
    assert ops.verify("00", "123456") == OK
    rmtree(d)


def test_ninety_nine_operators_fit_in_one_document():
    d, ops = _fresh()
    for i in range(2, 100):
        ops.add("%02d" % i, "%04d" % i)
    ops = Operators(d)
    assert len(ops.list()) == 100
    assert ops.verify("99", "0099") == OK
    rmtree(d)
