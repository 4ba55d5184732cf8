"""The merchant back-office (商户后台): a Flask app over the acquirer's store.

    app = create_app(store_or_engine, clock)      # clock() -> naive local datetime
    server, port = start(app, "127.0.0.1", 0)     # waitress, in a thread of this process

Pages (Chinese first): login, receipt search, one receipt laid out like its slip (and its PDF),
reports per day and batch, terminals (acquirer staff). The JSON API under /api. docs/backoffice.md.
"""

import datetime
import hmac
import secrets
import threading

from flask import Flask, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from .. import accounts, receipts, store

COOKIE = "bo_session"
LOGIN_CSRF_COOKIE = "bo_login_csrf"
MAX_BODY_BYTES = 16 * 1024


def engine_of(db):
    """The SQLAlchemy engine of a store, an engine, or a database URL."""
    if isinstance(db, Engine):
        return db
    if getattr(db, "engine", None) is not None:
        return db.engine
    if isinstance(db, str):
        # Its own engine: the Store's SQLite one takes the write lock at every BEGIN, and the
        # back-office mostly reads (WAL lets it read beside the host's writes).
        url = store.database_url(db)
        if url.get_backend_name() == "sqlite":
            return create_engine(url, connect_args={"timeout": 10.0})
        return create_engine(url)
    raise TypeError("a Store, an Engine or a database URL")


def create_app(db, clock=datetime.datetime.now, secure_cookies=False):
    """The back-office app. secure_cookies: mark the session cookie Secure (serve it over TLS)."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_AS_ASCII=False,
                      TEMPLATES_AUTO_RELOAD=False)
    app.json.ensure_ascii = False
    app.extensions["backoffice"] = {"engine": engine_of(db), "clock": clock,
                                    "secure": secure_cookies}

    @app.before_request
    def _load_user():
        g.user = None
        token = request.cookies.get(COOKIE)
        if token:
            with engine().connect() as conn:
                g.user = accounts.session_user(conn, token, clock())
        if request.method not in ("GET", "HEAD") and request.endpoint not in ("login", "api_login"):
            if g.user is None:
                return unauthorized()
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
            if not hmac.compare_digest(sent.encode(), g.user["csrf_token"].encode()):
                return error(403, "请求已失效，请刷新页面 (missing or wrong CSRF token)")
        return None

    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(receipts.FilterError)
    def _bad_filter(e):
        return error(400, e.message, field=e.field)

    @app.errorhandler(404)
    def _not_found(e):
        return error(404, "没有找到 (not found)")

    @app.errorhandler(405)
    def _not_allowed(e):
        return error(405, "不支持此请求方式 (method not allowed)")

    @app.errorhandler(413)
    def _too_large(e):
        return error(413, "请求过大 (request too large)")

    @app.route("/login", methods=["GET"])
    def login_page():
        token = secrets.token_urlsafe(32)
        response = app.make_response(render_template("login.html", csrf=token, message=None,
                                                     username=""))
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Lax",
                            secure=secure_cookies, path="/login")
        return response

    @app.route("/login", methods=["POST"])
    def login():
        form_token = request.form.get("csrf_token", "")
        cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie_token or not hmac.compare_digest(form_token.encode(), cookie_token.encode()):
            return _login_again("请求已失效，请重新登录 (the form expired; log in again)", 403)
        username = request.form.get("user", "")
        try:
            user = accounts.login(engine(), username, request.form.get("password", ""),
                                  request.remote_addr, clock())
        except accounts.RateLimited as e:
            return _login_again("登录失败次数过多，请 %d 秒后再试 (too many failed logins; "
                                "retry in %d s)" % (e.retry_after, e.retry_after), 429, username,
                                {"Retry-After": str(e.retry_after)})
        if user is None:
            return _login_again("用户名或密码错误 (wrong user name or password)", 401, username)
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = url_for("receipts_page")
        return _with_session(redirect(target, 303), user)

    def _login_again(message, status, username="", headers=None):
        token = secrets.token_urlsafe(32)
        response = app.make_response((render_template("login.html", csrf=token, message=message,
                                                      username=username), status, headers or {}))
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Lax",
                            secure=secure_cookies, path="/login")
        return response

    @app.route("/api/login", methods=["POST"])
    def api_login():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("user"), str) \
                or not isinstance(body.get("password"), str):
            return error(400, "需要 JSON {\"user\", \"password\"} (a JSON body with user and password)")
        try:
            user = accounts.login(engine(), body["user"], body["password"], request.remote_addr, clock())
        except accounts.RateLimited as e:
            response = error(429, "登录失败次数过多 (too many failed logins)", retry_after=e.retry_after)
            response.headers["Retry-After"] = str(e.retry_after)
            return response
        if user is None:
            return error(401, "用户名或密码错误 (wrong user name or password)")
        response = jsonify(user=user.username, role=user.role, merchant=user.merchant_id)
        return _with_session(response, user, in_body=True)

    def _with_session(response, user, in_body=False):
        with engine().begin() as conn:
            token, csrf = accounts.new_session(conn, user.id, clock())
        if in_body:
            data = response.get_json()
            data["csrf_token"] = csrf
            response.set_data(app.json.dumps(data))
        response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=secure_cookies,
                            max_age=int(accounts.SESSION_LIFETIME.total_seconds()), path="/")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @app.route("/logout", methods=["POST"])
    @app.route("/api/logout", methods=["POST"], endpoint="api_logout")
    def logout():
        with engine().begin() as conn:
            accounts.end_session(conn, request.cookies.get(COOKIE), clock())
        response = jsonify(ok=True) if wants_json() else redirect(url_for("login_page"), 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    from . import api, pages
    pages.register(app)
    api.register(app)
    return app


def engine():
    from flask import current_app
    return current_app.extensions["backoffice"]["engine"]


def now():
    from flask import current_app
    return current_app.extensions["backoffice"]["clock"]()


def wants_json():
    return request.path.startswith("/api/")


def error(status, message, **extra):
    """A JSON error under /api, else the error page."""
    if wants_json():
        response = jsonify(error=message, **extra)
        response.status_code = status
        return response
    from flask import current_app
    return current_app.make_response((render_template("error.html", status=status, message=message),
                                      status))


def unauthorized():
    if wants_json():
        return error(401, "未登录 (not logged in)")
    if request.method == "GET":
        return redirect(url_for("login_page", next=request.full_path.rstrip("?")), 303)
    return error(401, "未登录 (not logged in)")


def tenant():
    """What the logged-in user may see: its merchant id, or ALL_MERCHANTS for acquirer staff."""
    if g.user["role"] == "staff":
        return receipts.ALL_MERCHANTS
    return g.user["merchant_id"]


def login_required(view):
    import functools

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return unauthorized()
        return view(*args, **kwargs)
    return wrapped


def start(app, host, port):
    """Serve app with waitress in a daemon thread -> (server, bound port). server.close() stops
    accepting."""
    from waitress.server import create_server
    server = create_server(app, host=host, port=port, threads=8, ident="backoffice",
                           max_request_body_size=MAX_BODY_BYTES, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, name="backoffice", daemon=True)
    thread.start()
    return server, int(server.effective_port)
