"""Error pages in the site's own style, and JSON-free plain 4xx for bad requests."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        template = {404: "errors/404.html", 405: "errors/404.html", 413: "errors/413.html"}.get(
            error.code or 500, "errors/4xx.html")
        if (error.code or 500) >= 500:
            template = "errors/500.html"
        return render_template(template, error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error")
        return render_template("errors/500.html"), 500
