"""The virtual chip card's cryptograms (firmware/drivers/fakes/chipcard.py, MicroPython code) are
the ones pyemv computes as the acquirer does: ICC master key by option A, the common session key,
the AC (ISO 9797-1 MAC algorithm 3, padding method 2) and the ARPC (method 1)."""
import os

from hypothesis import given, settings, strategies as st
from pyemv import ac, kd

from drivers.fakes import chipcard

IMK = bytes.fromhex("4B9A14CD42ED16D05CECEDEF7AA8BE25")


@settings(max_examples=30, deadline=None)
@given(st.text("0123456789", min_size=13, max_size=19), st.sampled_from(["00", "01", "02"]),
       st.binary(min_size=2, max_size=2), st.binary(min_size=0, max_size=70))
def test_keys_ac_and_arpc_are_pyemv_s(pan, psn, atc, data):
    mk = chipcard.icc_master_key(IMK, pan, psn)
    assert mk == kd.derive_icc_mk_a(IMK, pan, psn)
    sk = chipcard.session_key(mk, atc)
    assert sk == kd.derive_common_sk(mk, atc + bytes(6))
    assert chipcard.mac3(sk, data) == ac.generate_ac(sk, data)
    arqc, arc = os.urandom(8), b"00"
    assert chipcard.arpc(sk, arqc, arc) == ac.generate_arpc_1(sk, arqc, arc)
