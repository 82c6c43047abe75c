"""Per-person spend and budget checks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from routerdesk.core.errors import BudgetExceeded
from routerdesk.core.people import PersonSpend, check_name, check_person_budget
from routerdesk.core.types import Person

NOON = datetime(2026, 3, 4, 12, 0).astimezone()


def test_spend_adds_per_person_and_rolls_over_at_midnight() -> None:
    spend = PersonSpend()
    spend.add("alice", 0.5, NOON)
    spend.add("alice", 0.25, NOON)
    spend.add("bob", 1.0, NOON)
    spend.add("", 9.0, NOON)  # the local token is nobody
    assert spend.today("alice", NOON) == pytest.approx(0.75)
    assert spend.today("bob", NOON) == pytest.approx(1.0)
    assert spend.today("carol", NOON) == 0.0
    assert spend.today("alice", NOON + timedelta(days=1)) == 0.0


def test_seed_keeps_the_larger_of_the_log_and_our_own_count() -> None:
    spend = PersonSpend()
    spend.add("alice", 0.5, NOON)  # still in our writer's queue
    spend.seed({"alice": 0.2, "bob": 3.0}, NOON)  # the shared log (other workers)
    assert spend.today("alice", NOON) == pytest.approx(0.5)
    assert spend.today("bob", NOON) == pytest.approx(3.0)


def test_budget_check() -> None:
    check_person_budget(Person("alice"), 100.0, NOON)  # no limit
    check_person_budget(Person("alice", 1.0), 0.99, NOON)
    with pytest.raises(
        BudgetExceeded, match=r"Daily budget for 'alice' reached: spent \$1.00 of \$1.00"
    ) as e:
        check_person_budget(Person("alice", 1.0), 1.0, NOON)
    assert "routerdesk tokens budget alice" in e.value.message
    with pytest.raises(BudgetExceeded):  # a zero budget means spend nothing
        check_person_budget(Person("bob", 0.0), 0.0, NOON)


def test_names() -> None:
    assert check_name("alice.smith@corp") == "alice.smith@corp"
    with pytest.raises(ValueError):
        check_name("../etc")
