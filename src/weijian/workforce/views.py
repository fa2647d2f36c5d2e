from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from weijian.accounts.pages import ScopedListPage
from weijian.core.pages import Col, display
from weijian.workforce import selectors


class WorkerListView(ScopedListPage):
    entity = "worker"
    title = _l("卫生人员")
    export_name = "workers"
    default_sort = "name"
    columns = (
        Col(_l("姓名"), lambda w: w.name, sort="name", link=True),
        Col(_l("身份证号"), lambda w: w.id_number_masked),
        Col(_l("性别"), lambda w: display(w, "sex")),
        Col(_l("出生日期"), lambda w: w.birth_date, sort="birth_date"),
        Col(_l("所在机构"), lambda w: w.institution.name, sort="institution__name"),
        Col(_l("职业类别"), lambda w: display(w, "profession"), sort="profession"),
        Col(_l("职称级别"), lambda w: display(w, "title_level"), sort="title_level"),
        Col(_l("状态"), lambda w: display(w, "status"), sort="status"),
    )

    def get_queryset(self, request, filters):
        return selectors.worker_list(actor=request.user, **filters)

    def row_url(self, obj):
        return ""

    def extra_context(self, request):
        return {}


__all__ = ["WorkerListView", "reverse"]
