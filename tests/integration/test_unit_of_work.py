"""The unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from sqlalchemy import select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import Workspace


def _workspace(name: str, clock: FrozenClock) -> Workspace:
    return Workspace(id=f"ws_{name}", name=name, created_at=clock.now())


def test_uncommitted_work_is_rolled_back(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("ghost", clock))
        uow.session.flush()
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace).where(Workspace.name == "ghost")) is None


def test_committed_work_is_kept(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("kept", clock))
        uow.commit()
        assert uow.committed
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace.name).where(Workspace.name == "kept")) == "kept"


def test_an_error_inside_rolls_everything_back(deps: Deps, clock: FrozenClock) -> None:
    try:
        with deps.uow() as uow:
            uow.session.add(_workspace("boom", clock))
            uow.session.flush()
            raise RuntimeError("use case failed")
    except RuntimeError:
        pass
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace).where(Workspace.name == "boom")) is None


def test_objects_stay_readable_after_the_unit_of_work_ends(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("readable", clock))
        uow.commit()
    with deps.uow() as uow:
        row = uow.session.scalar(select(Workspace).where(Workspace.name == "readable"))
    assert row is not None and row.name == "readable"
