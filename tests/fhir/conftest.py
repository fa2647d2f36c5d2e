"""The FHIR tests reuse the terminology world (`terms`) and the API's token clients (`api`)."""

from tests.api.conftest import api  # noqa: F401
from tests.terminology.conftest import terms  # noqa: F401
