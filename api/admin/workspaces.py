"""Workspaces and their API keys: create a workspace, create a key (shown once), revoke one."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.admin import bp
from api.composition import deps
from service.use_cases import admin_workspaces
from service.use_cases.workspaces import IssuedKey


@bp.route("/workspaces")
def workspaces() -> str:
    """Every workspace with its counts."""
    rows = admin_workspaces.list_workspaces(deps())
    return render_template("admin/workspaces.html", workspaces=rows)


@bp.route("/workspaces", methods=["POST"])
def workspace_create() -> Response:
    """Create an empty workspace, then go to its page to create keys."""
    ws_id = admin_workspaces.create_workspace(
        deps(), g.admin.username, request.form.get("name", "")
    )
    flash("Workspace created. Create its first API key below.")
    return redirect(url_for("admin.workspace", workspace_id=ws_id))


@bp.route("/workspaces/<workspace_id>")
def workspace(workspace_id: str) -> str:
    """A workspace and its keys."""
    return _page(workspace_id, issued=None)


@bp.route("/workspaces/<workspace_id>/keys", methods=["POST"])
def key_create(workspace_id: str) -> str:
    """Create a key and show it in this response only (never stored, never shown again)."""
    issued = admin_workspaces.create_key(
        deps(), g.admin.username, workspace_id, request.form.get("label", "")
    )
    return _page(workspace_id, issued=issued)


def _page(workspace_id: str, issued: IssuedKey | None) -> str:
    ws, keys = admin_workspaces.workspace_keys(deps(), workspace_id)
    hooks = admin_workspaces.workspace_webhooks(deps(), workspace_id)
    return render_template("admin/workspace.html", ws=ws, keys=keys, hooks=hooks, issued=issued)


@bp.route("/workspaces/<workspace_id>/keys/<key_id>/revoke", methods=["POST"])
def key_revoke(workspace_id: str, key_id: str) -> Response:
    """Revoke a key at once: requests with it get 401 from now on."""
    prefix = admin_workspaces.revoke_key(deps(), g.admin.username, workspace_id, key_id)
    flash(f"Key {prefix} revoked: requests with it are refused from now on.")
    return redirect(url_for("admin.workspace", workspace_id=workspace_id))
