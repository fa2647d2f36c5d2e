"""One URL, one class per operation: `route(get=WorkerListApi, post=WorkerCreateApi)`.

Django routes a path to a single view, while our API keeps one class per operation (conventions
rule 7). `route` dispatches each HTTP method to its own class at run time, and shows the OpenAPI
generator a class that holds every operation's handler (each carrying its own `extend_schema`).
"""

from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def route(**operations: type[APIView]):
    views = {method.upper(): api.as_view() for method, api in operations.items()}
    if "GET" in views:
        views.setdefault("HEAD", views["GET"])
    handlers = {method: getattr(api, method) for method, api in operations.items()}
    name = "".join(api.__name__.removesuffix("Api") for api in operations.values()) + "Route"
    schema_view = type(name, (APIView,), {"__doc__": "", **handlers})
    # OPTIONS, and methods no operation serves: authenticate first, then 405 (Allow lists the served ones).
    fallback = schema_view.as_view()

    allow = ", ".join(sorted({*views, "OPTIONS"}))

    def view(request, *args, **kwargs):
        response = views.get(request.method, fallback)(request, *args, **kwargs)
        if response.has_header("Allow"):  # each class knows only its own method; the URL serves all of them
            response["Allow"] = allow
        return response

    # What DRF's schema generator reads from a view function (see APIView.as_view).
    view.cls = schema_view
    view.initkwargs = {}
    view.login_required = False
    return csrf_exempt(view)
