"""The back-office's JSON API (docs/backoffice.md, "API"): receipts searched, one receipt, CSV."""

import csv
import io

from flask import Response, abort, jsonify, request, url_for

from .. import receipts
from . import engine, login_required, now, tenant

MAX_ID = 2 ** 62


def receipt_or_404(receipt_id):
    """The logged-in user's receipt, else 404 (another merchant's id too)."""
    if receipt_id > MAX_ID:
        abort(404)
    with engine().connect() as conn:
        receipt = receipts.get(conn, tenant(), receipt_id)
    if receipt is None:
        abort(404)
    return receipt


def csv_response(args):
    filters = receipts.parse_filters(args)
    out = io.StringIO()
    out.write("\ufeff")                               # so Excel reads the Chinese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    with engine().connect() as conn:
        writer.writerows(receipts.csv_rows(conn, tenant(), filters))
    name = "receipts-%s.csv" % now().strftime("%Y%m%d-%H%M%S")
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=%s" % name})


def register(app):
    @app.route("/api/receipts")
    @login_required
    def api_receipts():
        filters = receipts.parse_filters(request.args)
        page, per_page = receipts.parse_page(request.args)
        with engine().connect() as conn:
            found = receipts.search(conn, tenant(), filters, page, per_page)
        return jsonify(total_count=found["total_count"],
                       total_amount=receipts.format_fen(found["total_amount"]),
                       page=found["page"], per_page=found["per_page"], pages=found["pages"],
                       receipts=[receipts.public(r) for r in found["rows"]])

    @app.route("/api/receipts/<int:receipt_id>")
    @login_required
    def api_receipt(receipt_id):
        r = receipt_or_404(receipt_id)
        item = receipts.public(_Row(r))
        item.update(merchant=r["merchant_id"], auth_code=r["auth_code"],
                    received=r["received"].isoformat(timespec="seconds") if r["received"] else None,
                    signature_sha256=r["signature_sha256"], slip=r["slip"],
                    signature=url_for("signature_png", receipt_id=r["id"]) if r["signature"] else None,
                    pdf=url_for("receipt_pdf", receipt_id=r["id"]))
        return jsonify(item)

    @app.route("/api/receipts.csv")
    @login_required
    def api_receipts_csv():
        return csv_response(request.args)


class _Row:
    """A receipt dict read like a result row."""

    def __init__(self, mapping):
        self.__dict__.update(mapping)
