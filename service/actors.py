"""Who is acting: the workspace operator (the client app) or one of its members."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    workspace_id: str
    member_id: str | None
    channel: str = "api"
    credential: str = ""

    @property
    def is_operator(self) -> bool:
        return self.member_id is None

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        if self.member_id is not None:
            return f"member:{self.member_id}"
        return f"operator:{self.credential}" if self.credential else "operator"


def system_actor(workspace_id: str) -> Actor:
    return Actor(workspace_id=workspace_id, member_id=None, channel="worker", credential="system")
