# Every state of pos.menu runs a flow that exists (the whole App's modules: a flow test's heap).
import gc
import sys

from pos import menu


def test_every_state_names_a_flow_module_with_a_run():
    loaded = set(sys.modules)
    for state in menu.STATES:
        module = __import__("pos.flows." + menu.row(state)[menu.MODULE], None, None, ("run",))
        assert module.run, state
        for name in list(sys.modules):          # one flow at a time, as the App loads them
            if name not in loaded:
                del sys.modules[name]
        module = None
        gc.collect()
