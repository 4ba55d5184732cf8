"""The back-office's HTML pages: receipt search, one receipt (page, PDF, signature image),
reports, terminals."""

import datetime

from flask import Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import receipts, schema
from . import api, chart, engine, login_required, now, pdf, tenant


def _signature_png(receipt):
    """The PNG of the receipt's signature, or None when there is none or it cannot be drawn."""
    if not receipt["signature"]:
        return None
    from .. import signature
    try:
        return signature.png(receipt["signature"])
    except signature.SignatureError:
        return None


def _query(args, **changes):
    """The filters of this request as query arguments, for links (pages, CSV, reports)."""
    query = {k: args[k] for k in receipts.FILTERS if args.get(k)}
    query.update(changes)
    return query


def register(app):
    app.jinja_env.globals.update(type_names=receipts.TYPE_NAMES, state_names=receipts.STATE_NAMES,
                                 yuan=receipts.format_fen, types=receipts.TYPES, states=receipts.STATES)

    @app.route("/")
    def index():
        return redirect(url_for("receipts_page"), 303)

    @app.route("/receipts")
    @login_required
    def receipts_page():
        args = request.args
        try:
            filters = receipts.parse_filters(args)
            page, per_page = receipts.parse_page(args)
        except receipts.FilterError as e:
            return render_template("receipts.html", args=args, found=None, error=e,
                                   query=_query(args)), 400
        with engine().connect() as conn:
            found = receipts.search(conn, tenant(), filters, page, per_page)
        return render_template("receipts.html", args=args, found=found, error=None,
                               query=_query(args))

    @app.route("/receipts/<int:receipt_id>")
    @login_required
    def receipt_page(receipt_id):
        receipt = api.receipt_or_404(receipt_id)
        return render_template("receipt.html", r=receipt,
                               has_signature=_signature_png(receipt) is not None)

    @app.route("/receipts/<int:receipt_id>/signature.png")
    @login_required
    def signature_png(receipt_id):
        data = _signature_png(api.receipt_or_404(receipt_id))
        if data is None:
            abort(404)
        return Response(data, mimetype="image/png")

    @app.route("/receipts/<int:receipt_id>.pdf")
    @login_required
    def receipt_pdf(receipt_id):
        receipt = api.receipt_or_404(receipt_id)
        data = pdf.receipt_pdf(receipt, _signature_png(receipt))
        name = "receipt-%s-%s-%s.pdf" % (receipt["terminal_id"], receipt["batch"], receipt["trace"])
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": "attachment; filename=%s" % name})

    @app.route("/receipts.csv")
    @login_required
    def receipts_csv():
        return api.csv_response(request.args)

    @app.route("/reports")
    @login_required
    def reports_page():
        args = dict(request.args.items())
        today = now().date()
        args.setdefault("from", (today - datetime.timedelta(days=29)).isoformat())
        args.setdefault("to", today.isoformat())
        try:
            filters = receipts.parse_filters(args)
        except receipts.FilterError as e:
            return render_template("reports.html", args=args, error=e, days=[], types=[],
                                   batches=[], svg=None), 400
        if (filters["to"] - filters["from"]).days > 366:
            e = receipts.FilterError("from", "报表最多 366 天 (a report covers at most 366 days)")
            return render_template("reports.html", args=args, error=e, days=[], types=[],
                                   batches=[], svg=None), 400
        with engine().connect() as conn:
            days = receipts.by_day(conn, tenant(), filters)
            types = receipts.by_type(conn, tenant(), filters)
            batches = receipts.by_batch(conn, tenant(), filters)
        svg = chart.daily_svg(days, filters["from"], filters["to"])
        return render_template("reports.html", args=args, error=None, days=days, types=types,
                               batches=batches, svg=svg)

    @app.route("/terminals")
    @login_required
    def terminals_page():
        if g.user["role"] != "staff":
            abort(404)
        t, s = schema.terminals, schema.terminal_software
        with engine().connect() as conn:
            rows = conn.execute(
                select(t.c.terminal_id, t.c.merchant_id, t.c.merchant_name, t.c.last_seen,
                       t.c.receipts_pending, s.c.board, s.c.version)
                .select_from(t.outerjoin(s, s.c.terminal_id == t.c.terminal_id))
                .order_by(t.c.merchant_id, t.c.terminal_id)).all()
        return render_template("terminals.html", rows=rows)
