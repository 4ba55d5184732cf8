# The scripted host's QR payments (docs/protocol.md section 13), apart from flowkit: the VM holds a
# test module's code in its heap, and only the QR tests need this.
from flowkit import Host
from pos import tlv

KINDS = ("qr_sale", "qr_order", "qr_query", "qr_cancel", "qr_void", "qr_refund")


class QrHost(Host):
    """flowkit's host that answers the QR types too."""

    def __init__(self, keep=True):
        Host.__init__(self, keep)
        self.orders = {}          # QR payments' amounts by "batch trace" of their request: what a query answers

    def more(self, kind, req, out):
        """A QR payment's answer (docs/protocol.md section 13): a sale paid at once by 微信, an order
        open with its code, a query finding the order paid, a cancel closing it."""
        if kind not in KINDS:
            return
        if kind in ("qr_sale", "qr_order"):
            self.orders[req[60][2:8] + " " + req[11]] = req[4]
        on = "ON%010d" % self.seq
        if kind == "qr_order":
            out[62] = tlv.encode((("ON", on), ("QR", "https://qr.acquirer.test/o/" + on), ("EX", "300")))
            return
        if kind in ("qr_query", "qr_cancel"):
            out[4] = self.orders.get(req[61][:6] + " " + req[61][6:12], "000000000000")
        if kind != "qr_cancel":
            out[38] = "%06d" % (123000 + self.seq)
        if kind != "qr_void" and kind != "qr_refund":
            out[62] = tlv.encode((("ON", on), ("WL", "WX")))
