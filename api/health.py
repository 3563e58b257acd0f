"""`/healthz`: liveness for load balancers; touches nothing (and is the benchmark's
ceiling: a bare Flask JSON route served by the same app)."""

from __future__ import annotations

from flask import Flask, Response, jsonify


def register(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        """The process is up."""
        return jsonify(status="ok")
