# The sale flow and the payments rules around it, driven without the simulator.
from flowkit import Terminal, POOR
from pos import store


def _signed_in():
    term = Terminal()
    term.login()
    return term


def test_an_approved_sale_is_journaled_masked_then_printed_twice():
    term = _signed_in()
    term.sale(12345)
    assert "交易成功" in term.screen and "授权码" in term.screen
    [sale] = term.transactions("sale")
    assert sale["st"] == "approved" and sale["amt"] == 12345 and sale["pan"] == "622202*********0017"
    assert sale["op"] == "01" and sale["auth"] and sale["ref"]
    assert len(term.slips) == 2
    assert "商户存根 MERCHANT COPY" in term.slips[0] and "持卡人存根 CARDHOLDER COPY" in term.slips[1]
    assert [r["copy"] for r in term.journal() if r.get("k") == "printed"] == [0, 1]
    req = term.last_request("sale")
    assert req[3] == "000000" and req[4] == "000000012345" and req[22] == "021" and 52 in req
    assert store.load(term.dir, "reversal") is None
    term.close()


def test_three_copies_print_the_bank_copy_last():
    term = Terminal(settings={"copies": 3})
    term.login()
    term.sale(100)
    term.finish()
    assert len(term.slips) == 3 and "银行存根 BANK COPY" in term.slips[2]
    term.close()


def test_a_decline_is_journaled_and_explained_and_prints_nothing():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: {39: "51"}
    term.sale(2000, POOR)
    assert "余额不足" in term.screen
    [sale] = term.transactions("sale")
    assert sale["st"] == "declined" and sale["rc"] == "51"
    assert term.slips == []
    term.close()


def _reversal_after(answer, reason):
    term = _signed_in()
    term.host.rules["sale"] = lambda req: answer
    term.sale(500)
    assert "交易失败" in term.screen
    doc = store.load(term.dir, "reversal")
    assert doc is not None and doc["reason"] == reason, doc
    assert term.transactions("sale") == [] and term.slips == []
    term.host.rules.clear()
    term.finish()
    term.sale(700)
    assert term.host.kinds[-2:] == ["reversal", "sale"], term.host.kinds
    rev = term.last_request("reversal")
    assert rev[39] == reason and rev[4] == "000000000500" and rev[2] == "6222021000000000017" and rev[14] == "3012"
    for f in (26, 35, 36, 52, 53):
        assert f not in rev, f
    assert store.load(term.dir, "reversal") is None
    states = [(r["amt"], r["st"]) for r in term.transactions("sale")]
    assert states == [(500, "reversed"), (700, "approved")], states
    term.close()


def test_no_answer_is_reversed_with_98_before_the_next_sale():
    _reversal_after("timeout", "98")


def test_a_broken_link_is_reversed_with_98():
    _reversal_after("broken", "98")


def test_a_garbled_answer_is_reversed_with_06():
    _reversal_after("garbled", "06")


def test_an_answer_whose_mac_fails_is_reversed_with_a0():
    _reversal_after("badmac", "A0")


def test_an_answer_that_does_not_echo_the_amount_is_not_taken():
    _reversal_after({4: "000000000001"}, "06")


def test_a_reversal_is_tried_three_times_then_given_up_and_journaled():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    term.finish()
    term.host.rules = {"reversal": lambda req: "timeout"}
    for tries in (1, 2):
        term.sale(600)
        assert "冲正未完成" in term.screen
        assert store.load(term.dir, "reversal")["tries"] == tries
        term.finish()
    term.sale(600)
    assert "交易成功" in term.screen
    assert term.host.kinds.count("reversal") == 3
    assert store.load(term.dir, "reversal") is None
    assert [(r["amt"], r["st"]) for r in term.transactions("sale")] == [(500, "reversal_failed"), (600, "approved")]
    term.close()


def _reversal_pending_at_idle():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    term.finish()
    term.host.rules.clear()
    assert store.load(term.dir, "reversal")["tries"] == 0
    return term


def test_a_reversal_left_pending_is_sent_from_the_idle_screen_on_its_own():
    term = _reversal_pending_at_idle()
    term.advance(59)
    assert term.host.kinds.count("reversal") == 0
    term.advance(2)
    assert term.host.kinds.count("reversal") == 1 and "欢迎使用" in term.screen
    assert store.load(term.dir, "reversal") is None
    assert [(r["amt"], r["st"]) for r in term.transactions("sale")] == [(500, "reversed")]
    term.sale(700)
    assert term.host.kinds[-1] == "sale" and term.host.kinds.count("reversal") == 1
    term.close()


def test_a_link_down_at_idle_costs_the_reversal_no_try_and_it_is_tried_again_later():
    from pos.results import LINK_DOWN
    term = _reversal_pending_at_idle()
    term.link = LINK_DOWN
    term.advance(61)
    assert "欢迎使用" in term.screen and store.load(term.dir, "reversal")["tries"] == 0
    term.link = "OK"
    term.advance(290)
    assert term.host.kinds.count("reversal") == 0
    term.advance(20)
    assert term.host.kinds.count("reversal") == 1 and store.load(term.dir, "reversal") is None
    term.close()


def test_an_unanswered_reversal_at_idle_counts_a_try_and_waits_before_the_next():
    term = _reversal_pending_at_idle()
    term.host.rules["reversal"] = lambda req: "timeout"
    term.advance(61)
    assert "欢迎使用" in term.screen and store.load(term.dir, "reversal")["tries"] == 1
    term.advance(200)
    assert term.host.kinds.count("reversal") == 1
    term.host.rules.clear()
    term.advance(120)
    assert term.host.kinds.count("reversal") == 2 and store.load(term.dir, "reversal") is None
    assert [(r["amt"], r["st"]) for r in term.transactions("sale")] == [(500, "reversed")]
    term.close()


def test_the_host_asking_for_sign_in_drops_the_keys():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: {39: "A0"}
    term.sale(500)
    assert "MAC" in term.screen or "签到" in term.screen
    assert not term.app.signed_in
    term.host.rules.clear()
    term.finish()
    term.sale(800)
    assert term.host.kinds[-2:] == ["signin", "sale"]
    term.close()


def test_cancel_at_each_step_sends_nothing():
    for steps in (("ENTER 1", "CANCEL"), ("ENTER 1 5 ENTER", "CANCEL"), ("ENTER 1 5 ENTER", "swipe", "CANCEL")):
        term = _signed_in()
        sent = len(term.host.kinds)
        for step in steps:
            if step == "swipe":
                term.swipe()
            else:
                term.keys(step)
        assert "欢迎使用" in term.screen, term.screen
        assert len(term.host.kinds) == sent and term.transactions() == []
        term.close()


def test_the_idle_timeout_returns_to_the_idle_screen_at_every_step():
    term = _signed_in()
    term.keys("ENTER 1 5 ENTER")
    term.advance(61)
    assert "欢迎使用" in term.screen
    term.close()


def test_power_loss_after_the_journal_but_before_the_slips_prints_them_at_boot():
    term = _signed_in()
    term.paper = False
    term.sale(900)
    assert "缺纸" in term.screen
    again = Terminal(host=term.host, state_dir=term.dir)
    again.tear_off()
    assert len(again.slips) == 2 and "重打印" in again.slips[0][2]
    assert store.load(term.dir, "reversal") is None
    term.close()


def test_paper_that_never_comes_gives_the_slip_up_to_reprint():
    term = _signed_in()
    term.paper = False
    term.sale(900)
    assert "缺纸" in term.screen
    term.advance(301)
    assert "重打印" in term.screen
    assert term.transactions("sale")[0]["st"] == "approved" and term.slips == []
    term.paper = True
    term.finish()
    term.menu("重打印", "最后一笔")
    term.tear_off()
    assert len(term.slips) == 2 and "重打印 DUPLICATE" in term.slips[0]
    term.close()


def test_enter_on_the_paper_out_screen_prints_the_copy_again():
    term = _signed_in()
    term.paper = False
    term.sale(900)
    term.paper = True
    term.keys("ENTER")
    term.tear_off()
    assert len(term.slips) == 2 and "交易成功" in term.screen
    term.close()


def test_sign_in_sets_a_clock_that_is_off_from_the_hosts_and_leaves_a_close_one():
    from pos import clock
    term = Terminal()
    term.host.rules["signin"] = lambda req: {12: "183000", 13: "1224"}
    term.login()
    assert clock.stamp(term.app.clock()) == ("20261224", "183000")
    term.close()
    term = Terminal()
    term.host.rules["signin"] = lambda req: {12: "100100", 13: "1123"}   # a minute off: left as it is
    term.login()
    assert clock.stamp(term.app.clock()) == ("20261123", "100000")
    term.close()


def test_a_full_journal_after_an_approval_undoes_the_sale_and_says_so():
    term = _signed_in()
    term.app.journal.full = lambda headroom=2048: False       # ready() lets the sale through
    term.app.journal.max_bytes = term.app.journal.size() + 200
    term.sale(100)
    assert "流水已满" in term.screen and "交易成功" not in term.screen
    assert store.load(term.dir, "reversal") is not None and term.slips == []
    term.close()


def _files_hold(path, texts):
    """Which of texts (bytes) any file under path holds, read in pieces that overlap."""
    import os
    found = []
    for name in os.listdir(path):
        full = path + "/" + name
        if os.stat(full)[0] & 0x4000:
            found += _files_hold(full, texts)
            continue
        tail = b""
        with open(full, "rb") as f:
            while True:
                chunk = f.read(512)
                if not chunk:
                    break
                window = tail + chunk
                for text in texts:
                    if text in window and (name, text) not in found:
                        found.append((name, text))
                tail = window[-64:]
    return found


def test_no_file_the_terminal_writes_holds_the_pan_or_track_2_in_clear():
    from flowkit import GOOD
    secrets = (GOOD.split("=")[0].encode(), GOOD.encode(), GOOD.split("=")[1].encode())
    term = _signed_in()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    assert store.load(term.dir, "reversal") is not None
    assert _files_hold(term.dir, secrets) == []         # the reversal waits with field 2 sealed
    term.host.rules.clear()
    term.finish()
    term.sale(700)
    rev = term.last_request("reversal")
    assert rev[2] == GOOD.split("=")[0] and term.host.kinds.count("reversal") == 1
    assert store.load(term.dir, "reversal") is None
    assert _files_hold(term.dir, secrets) == []
    term.close()


def test_a_reversal_sealed_under_another_tmk_goes_without_the_pan():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    term.host.rules.clear()
    term.finish()
    term.app.tmk = bytes(16)             # provisioned anew: the old data key is gone
    term.sale(700)
    rev = term.last_request("reversal")
    assert 2 not in rev and rev[4] == "000000000500" and rev[11]
    term.close()


def test_a_partial_approval_shows_journals_and_prints_the_approved_amount():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: {39: "10", 4: "000000000300"}
    term.sale(500)
    screen = term.screen
    assert "交易成功" in screen and "3.00" in screen and "部分承兑" in screen and "余款 RMB 2.00" in screen
    [sale] = term.transactions("sale")
    assert sale["st"] == "approved" and sale["amt"] == 300 and sale["rc"] == "10"
    assert "5.00" in sale["remark"]
    assert store.load(term.dir, "reversal") is None
    slip = term.slips[0]
    assert slip[slip.index("金额 AMOUNT RMB:") + 1] == "RMB 3.00"
    assert any(line.startswith("部分承兑 PARTIAL APPROVAL") for line in slip)
    term.close()


def test_a_partial_approval_of_more_than_asked_or_of_a_void_is_a_garbled_answer():
    term = _signed_in()
    term.host.rules["sale"] = lambda req: {39: "10", 4: "000000000900"}
    term.sale(500)
    assert "交易失败" in term.screen
    assert store.load(term.dir, "reversal")["reason"] == "06"
    term.close()
    term = _signed_in()
    term.host.rules["sale"] = lambda req: {39: "00", 4: "000000000300"}   # 00 must echo the amount
    term.sale(500)
    assert store.load(term.dir, "reversal")["reason"] == "06" and term.transactions("sale") == []
    term.close()


def _drive(term, flow):
    """Run a generator of the money path on an engine of its own, the terminal's handlers carrying
    its effects out and ENTER ending each screen; its result and the screens it showed."""
    from pos.engine import Engine, carry_out
    engine = Engine(term.now[0])
    engine.start(flow)
    seen = []
    while engine.busy:
        effect = engine.pending_io
        if effect is not None:
            engine.resolve(carry_out(term, effect))
            continue
        seen.append(engine.screen.text())
        engine.key("ENTER")
    return engine.result, seen


def test_a_card_step_that_refuses_a_host_approval_leaves_it_to_its_reversal():
    from flowkit import GOOD
    from pos.flows import online
    term = _signed_in()
    values = {2: GOOD.split("=")[0], 4: "000000000500", 14: "3012", 22: "022", 25: "00", 35: GOOD}
    record = online.new_record(term.app, "sale", 500, {"pan": GOOD.split("=")[0], "entry": "swipe"})
    asked = []

    def card_step(fields):
        asked.append(fields[39])
        return "06"
        yield
    result, seen = _drive(term, online.financial(term.app, values, record, "消费", "交易成功", (), None, card_step))
    assert result is None and asked == ["00"] and "卡片拒绝交易" in seen[-1]
    assert store.load(term.dir, "reversal")["reason"] == "06" and term.transactions() == []
    term.sale(700)
    assert term.host.kinds[-2:] == ["reversal", "sale"]
    assert [(r["amt"], r["st"]) for r in term.transactions("sale")] == [(500, "reversed"), (700, "approved")]
    term.close()


def test_a_reversal_completed_on_a_full_journal_is_still_cleared():
    term = _reversal_pending_at_idle()
    term.app.journal.max_bytes = term.app.journal.size()
    term.advance(61)
    assert term.host.kinds.count("reversal") == 1 and store.load(term.dir, "reversal") is None
    assert "欢迎使用" in term.screen
    term.close()


def test_a_card_swiped_at_the_idle_screen_starts_a_sale_with_it():
    term = _signed_in()
    assert "确认键进入菜单" in term.screen
    term.swipe()
    assert "请输入金额" in term.screen and "622202*********0017" in term.screen
    term.type("1500")
    term.keys("ENTER")
    assert "请输入密码" in term.screen
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen
    [sale] = term.transactions("sale")
    assert sale["amt"] == 1500 and sale["pan"] == "622202*********0017"
    term.close()


def test_a_card_swiped_at_the_idle_screen_then_cancelled_is_not_kept_for_the_next_sale():
    term = _signed_in()
    term.swipe()
    term.keys("CANCEL")
    assert "欢迎使用" in term.screen and term.app.presented is None
    term.menu("消费")
    term.type("100")
    term.keys("ENTER")
    assert "请插卡或刷卡" in term.screen
    term.close()
