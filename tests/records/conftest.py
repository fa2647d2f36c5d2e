"""Two registered sources on top of the base world: 锦江区人民医院 (inst_a1) and 青羊区人民医院 (inst_b1),
each with its machine account; and helpers that write resources through the real services."""

from dataclasses import dataclass

import pytest

from weijian.accounts.models import User
from weijian.records import sources
from weijian.records.models import Source


@dataclass
class Sources:
    a1: Source
    b1: Source

    @property
    def a1_user(self) -> User:
        return self.a1.account

    @property
    def b1_user(self) -> User:
        return self.b1.account


@pytest.fixture
def record_sources(world) -> Sources:
    info = world.user("commission_info")
    return Sources(sources.source_register(actor=info, institution=world.inst_a1),
                   sources.source_register(actor=info, institution=world.inst_b1))
