"""Acting through signed email links: what a link page shows, and what its POST does.

`open_link` only reads (mail scanners and link previews fetch GET links);
`act_on_link` checks the token and calls the same use cases as the API, with
an Actor of channel "link". A link is live while:
- its signature is good for one of the purposes and it is younger than that
  purpose's max age;
- its member is the party that purpose is for;
- its `state_version` is the introduction's (any state change kills it), and
  its member has not already answered (an opt-in does not change the version,
  so the member's own opt-in is checked: once you said yes, your other link is
  dead too; use the API to change your mind).
A dead link gets a page that says what happened, with the state as that member
may see it (`service.visibility`: the requester sees `not_made`). Nothing
about a dead link changes anything. While a neutral outcome is held back from
the member (`service.neutral`), their links behave as in the waiting state it
was closed in, so a link page never reveals a decline before its time.

The page offers "yes" and "no" side by side: besides its own token it carries a
freshly signed token for the opposite answer (same member, same version), so
saying no is as easy as saying yes. Contact details are never on a link page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from service import repository
from service.actors import Actor
from service.deps import Deps
from service.errors import DomainError
from service.models import Introduction, Member
from service.states import Role, State
from service.target_rules import TARGET_UNAVAILABLE
from service.tokens import LinkClaims, TokenError
from service.use_cases import introductions
from service.use_cases.fresh_links import can_refresh
from service.visibility import held_for, introduction_view

# An expired token is still authentic; its claims are read (never acted on) with
# this age only to show the introduction's current state.
FOREVER = timedelta(days=36500)

# Who a purpose is for, and from which state it acts.
PARTIES: dict[str, frozenset[Role]] = {
    "consent": frozenset({Role.INTRODUCER}),
    "decline": frozenset({Role.INTRODUCER}),
    "opt_in": frozenset({Role.REQUESTER, Role.TARGET}),
    "opt_out": frozenset({Role.TARGET}),
    "withdraw": frozenset({Role.REQUESTER}),
}
FROM_STATE = {
    "consent": State.REQUESTED,
    "decline": State.REQUESTED,
    "opt_in": State.OPTING_IN,
    "opt_out": State.OPTING_IN,
    "withdraw": State.OPTING_IN,
}


class LinkStatus(StrEnum):
    READY = "ready"
    DONE = "done"
    ALREADY_DONE = "already_done"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class LinkPage:
    """What a link page shows. `view` is the introduction as the member may see it,
    without contact details; `yes_token`/`no_token` are set only when it can act."""

    status: LinkStatus
    purpose: str | None = None
    role: str | None = None
    member_name: str = ""
    view: dict[str, Any] = field(default_factory=dict)
    shares: tuple[str, ...] = ()
    yes_token: str | None = None
    no_token: str | None = None
    # A dead link whose introduction still waits on this member offers a fresh one
    # (service.use_cases.fresh_links).
    can_refresh: bool = False

    @property
    def state(self) -> str | None:
        value = self.view.get("state")
        return str(value) if value is not None else None


@dataclass(frozen=True)
class _Resolved:
    claims: LinkClaims
    intro: Introduction
    member: Member
    role: Role
    members: dict[str, Member]


def open_link(deps: Deps, token: str) -> LinkPage:
    """The page behind GET /l/<token>: reads only, changes nothing."""
    with deps.uow() as uow:
        return _page_for(deps, uow.session, token)[0]


def act_on_link(deps: Deps, token: str, note: str | None = None) -> LinkPage:
    """The POST from a link page: consent, decline, opt in or withdraw, once."""
    with deps.uow() as uow:
        page, resolved = _page_for(deps, uow.session, token)
    if page.status is not LinkStatus.READY or resolved is None:
        return page
    purpose = resolved.claims.purpose
    actor = Actor(
        workspace_id=resolved.intro.workspace_id,
        member_id=resolved.member.id,
        channel="link",
        credential="link",
    )
    try:
        _ACTIONS[purpose](deps, actor, resolved.intro.id, note)
    except DomainError as error:
        # A second click or another channel got there first: show what is true now.
        after = open_link(deps, token)
        if error.code == TARGET_UNAVAILABLE:
            # The target's own rules stopped it (service.target_rules): say only that.
            return replace(after, status=LinkStatus.DONE, purpose="unavailable", can_refresh=False)
        if after.status is LinkStatus.READY:
            return replace(after, status=LinkStatus.SUPERSEDED, yes_token=None, no_token=None)
        return after
    done = replace(open_link(deps, token), status=LinkStatus.DONE, yes_token=None, no_token=None)
    return replace(done, purpose=purpose)


def _consent(deps: Deps, actor: Actor, intro_id: str, note: str | None) -> object:
    return introductions.consent(deps, actor, intro_id, note)


def _decline(deps: Deps, actor: Actor, intro_id: str, note: str | None) -> object:
    return introductions.decline(deps, actor, intro_id, note)


def _opt_in(deps: Deps, actor: Actor, intro_id: str, note: str | None) -> object:
    return introductions.opt_in(deps, actor, intro_id)


def _withdraw(deps: Deps, actor: Actor, intro_id: str, note: str | None) -> object:
    return introductions.withdraw(deps, actor, intro_id)


_ACTIONS = {
    "consent": _consent,
    "decline": _decline,
    "opt_in": _opt_in,
    "opt_out": _decline,
    "withdraw": _withdraw,
}


def _verify(deps: Deps, token: str) -> tuple[LinkClaims | None, bool]:
    """(claims, expired). Tries each purpose's salt: a token is only ever read as the
    purpose it was signed for."""
    # "never" links have their own pages (api.never_links).
    for purpose in sorted(PARTIES):
        try:
            return deps.signer.verify(purpose, token, deps.settings.link_age(purpose)), False
        except TokenError as error:
            if error.expired:
                return deps.signer.verify(purpose, token, FOREVER), True
    return None, False


def _load(session: Session, claims: LinkClaims) -> _Resolved | None:
    intro = session.get(Introduction, claims.introduction_id)
    if intro is None:
        return None
    members = repository.members_by_id(
        session, {intro.requester_id, intro.introducer_id, intro.target_id}
    )
    member = members.get(claims.member_id)
    if member is None or getattr(member, "erased_at", None) is not None:
        return None
    role = _role(intro, member.id)
    if role is None or role not in PARTIES[claims.purpose]:
        return None
    return _Resolved(claims, intro, member, role, members)


def _role(intro: Introduction, member_id: str) -> Role | None:
    if member_id == intro.introducer_id:
        return Role.INTRODUCER
    if member_id == intro.requester_id:
        return Role.REQUESTER
    if member_id == intro.target_id:
        return Role.TARGET
    return None


def _page_for(deps: Deps, session: Session, token: str) -> tuple[LinkPage, _Resolved | None]:
    claims, expired = _verify(deps, token)
    resolved = _load(session, claims) if claims else None
    if resolved is None:
        return LinkPage(status=LinkStatus.INVALID), None
    now = deps.clock.now()
    page = _describe(resolved, now)
    refresh = can_refresh(deps, session, resolved.intro, resolved.member)
    if expired:
        return replace(page, status=LinkStatus.EXPIRED, can_refresh=refresh), None
    status = _liveness(resolved, now)
    if status is not LinkStatus.READY:
        refresh = refresh and status is LinkStatus.SUPERSEDED
        return replace(page, status=status, can_refresh=refresh), None
    yes, no = _answer_tokens(deps, resolved, token)
    return replace(page, yes_token=yes, no_token=no), resolved


def _liveness(r: _Resolved, now: datetime) -> LinkStatus:
    intro, purpose = r.intro, r.claims.purpose
    state, version = intro.state, intro.state_version
    if held_for(r.role, intro, now):
        # The outcome is held back from this member (service.neutral): to them it is
        # still the waiting state it was closed in, one version back, and the use
        # cases answer their action as they would have then.
        if r.role.value in (intro.held_answers or {}):
            return LinkStatus.ALREADY_DONE
        state, version = str(intro.held_state), intro.state_version - 1
    if _already_answered(r):
        return LinkStatus.ALREADY_DONE
    if r.claims.version != version or state != FROM_STATE[purpose].value:
        return LinkStatus.SUPERSEDED
    return LinkStatus.READY


def _already_answered(r: _Resolved) -> bool:
    intro = r.intro
    if r.role is Role.INTRODUCER:
        return intro.consented_at is not None or intro.declined_by == Role.INTRODUCER.value
    if r.role is Role.REQUESTER:
        return (
            intro.requester_opted_in_at is not None
            or intro.state == State.WITHDRAWN.value
            or intro.declined_by == Role.REQUESTER.value
        )
    return intro.target_opted_in_at is not None or intro.declined_by == Role.TARGET.value


def _answer_tokens(deps: Deps, r: _Resolved, token: str) -> tuple[str, str]:
    """(yes, no): the link's own token for its answer, a new one for the other."""
    purposes = {
        Role.INTRODUCER: ("consent", "decline"),
        Role.TARGET: ("opt_in", "opt_out"),
        Role.REQUESTER: ("opt_in", "withdraw"),
    }[r.role]
    yes, no = (
        token
        if purpose == r.claims.purpose
        else deps.signer.sign(LinkClaims(purpose, r.intro.id, r.member.id, r.claims.version))
        for purpose in purposes
    )
    return yes, no


def _describe(r: _Resolved, now: datetime) -> LinkPage:
    actor = Actor(workspace_id=r.intro.workspace_id, member_id=r.member.id, channel="link")
    view = introduction_view(actor, r.intro, r.members, now=now)
    for party in ("requester", "introducer", "target"):
        view[party] = {k: v for k, v in view[party].items() if k != "contact"}
    shares: tuple[str, ...] = ()
    if r.role is not Role.INTRODUCER:
        shares = ("your email address",)
        if r.member.contact_phone:
            shares += ("your phone number",)
        if r.member.contact_links:
            shares += ("your links",)
    return LinkPage(
        status=LinkStatus.READY,
        purpose=r.claims.purpose,
        role=r.role.value,
        member_name=r.member.name,
        view=view,
        shares=shares,
    )
