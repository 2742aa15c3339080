"""engines.trusted: the fast path is active for the models we build in bulk, and every model class
whose instance layout differs from the one the fast path sets is built by ``model_construct``."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr, RootModel

from engines.at_risk import trusted_row
from engines.models import AtRiskDeal, Deal
from engines.trusted import FAST_PATH, LAYOUT, layout_problem, slot_names, trusted_maker, uses_fast_path


class Plain(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: int
    text: str | None = None


class WithPrivate(BaseModel):
    number: int
    text: str | None = None
    _cache: dict[str, int] = PrivateAttr(default_factory=dict)


class WithExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    number: int
    text: str | None = None


class WithSlot(BaseModel):
    __slots__ = ("scratch",)
    number: int
    text: str | None = None


class WithPostInit(BaseModel):
    number: int
    text: str | None = None
    seen: ClassVar[list[int]] = []

    def model_post_init(self, context: Any, /) -> None:
        self.seen.append(self.number)


VALUES: dict[str, Any] = {"number": 3, "text": "x"}


def test_installed_pydantic_keeps_the_layout_so_the_fast_path_is_active() -> None:
    assert sorted(slot_names(BaseModel)) == sorted(LAYOUT)
    assert FAST_PATH
    assert layout_problem(Plain) is None
    # The two model classes built by the hundred thousand.
    assert uses_fast_path(Deal)
    assert uses_fast_path(AtRiskDeal)


def test_fast_path_builds_what_model_construct_and_validation_build() -> None:
    fast = trusted_maker(Plain)(dict(VALUES))
    constructed = Plain.model_construct(set(Plain.model_fields), **VALUES)
    assert fast.__getstate__() == constructed.__getstate__()
    assert fast == constructed == Plain(**VALUES)
    assert fast.model_fields_set == {"number", "text"}
    assert hash(fast) == hash(Plain(**VALUES))


@pytest.mark.parametrize(
    ("cls", "reason"),
    [
        (WithPrivate, "private attributes"),
        (WithExtra, "extra fields"),
        (WithSlot, "slots"),
        (WithPostInit, "model_post_init"),
    ],
)
def test_a_different_layout_falls_back_to_model_construct(cls: type[BaseModel], reason: str) -> None:
    problem = layout_problem(cls)
    assert problem is not None
    assert reason in problem
    assert not uses_fast_path(cls)
    values = dict(VALUES)
    built = trusted_maker(cls)(values)
    assert type(built) is cls
    assert built.__dict__ is not values  # built by model_construct, not taken as it is
    assert built.__getstate__() == cls.model_construct(set(cls.model_fields), **VALUES).__getstate__()
    assert built.model_dump() == cls(**VALUES).model_dump() == VALUES


def test_fallback_models_are_complete() -> None:
    private = trusted_maker(WithPrivate)(dict(VALUES))
    assert private._cache == {}  # the fast path would have left __pydantic_private__ as None
    extra = trusted_maker(WithExtra)(dict(VALUES))
    assert extra.model_extra == {}
    WithPostInit.seen.clear()
    trusted_maker(WithPostInit)(dict(VALUES))
    assert WithPostInit.seen == [3]


def test_root_models_and_string_slots_are_read_right() -> None:
    assert layout_problem(RootModel[list[int]]) is not None

    class OneSlot:
        __slots__ = "only"

    assert slot_names(OneSlot) == ("only",)


def test_at_risk_rows_are_built_on_the_fast_path() -> None:
    values: dict[str, Any] = {
        "id": "1",
        "name": None,
        "amount": 10.0,
        "stage_id": None,
        "stage_label": None,
        "pipeline_id": None,
        "owner_id": None,
        "owner_name": None,
        "owner_email": None,
        "reasons": (),
        "days_in_stage": None,
        "days_since_activity": None,
        "close_date": None,
        "url": None,
    }
    row = trusted_row(values)
    assert row.__dict__ is values  # taken as it is: model_construct would have copied it
    assert row == AtRiskDeal(**values)
    assert row.model_fields_set == set(AtRiskDeal.model_fields)
