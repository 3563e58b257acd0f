"""`Idempotency-Key` on POST: the first successful response is replayed on retries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, make_response, request

from api.composition import deps
from service.use_cases import idempotency

HEADER = "Idempotency-Key"


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        credential = g.credential
        print_ = idempotency.fingerprint(
            request.method,
            request.path,
            request.headers.get("Acting-Member", ""),
            request.get_data(cache=True),
        )
        stored = idempotency.begin(deps(), credential.key_id, key, print_)
        if stored is not None:
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            idempotency.abandon(deps(), credential.key_id, key)
            raise
        if response.status_code < 300:
            idempotency.finish(
                deps(),
                credential.key_id,
                key,
                response.status_code,
                response.get_data(as_text=True),
            )
        else:
            idempotency.abandon(deps(), credential.key_id, key)
        return response

    return wrapper
