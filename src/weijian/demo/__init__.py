"""The synthetic demo city (not a Django app: it has no models).

`generate_city()` builds 成都市 with its real GB/T 2260 district codes, a realistic mix of
institutions per district, Faker zh_CN health workers with valid synthetic ID numbers, and one
demo account per role. Every row is written through the real services (so it is encrypted,
validated and audited like any other data); nothing describes a real person.
"""

from weijian.demo.generate import CitySummary, city_exists, generate_city
from weijian.demo.users import DEMO_PASSWORD, DEMO_USERS

__all__ = ["CitySummary", "DEMO_PASSWORD", "DEMO_USERS", "city_exists", "generate_city"]
