"""The matching model page (匹配模型): the active model's parameters (each comparison level's m, u and
weight), stored versions with their comparison to the active one, retraining and re-linking jobs with
progress. Training and applying run as background jobs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require, scoped_queryset
from weijian.core.errors import BusinessError
from weijian.linkage.model import match_weight_to_probability
from weijian.mpi import matching, relink
from weijian.mpi.models import LinkageModel, MpiJob

ENTITY = "mpi-model"


def _parameters(model) -> list[dict]:
    rows = []
    for spec in model.comparisons:
        levels = [{"title": level.title, "m": model.m[spec.name][i], "u": model.u[spec.name][i],
                   "weight": model.level_weight(spec.name, i), "is_null": level.is_null}
                  for i, level in enumerate(spec.levels)]
        rows.append({"title": spec.title, "levels": levels})
    return rows


@login_required
def model_page(request):
    require(request.user, ENTITY, "view")
    model = matching.active_model()
    jobs = scoped_queryset(request.user, MpiJob, "view").select_related("model", "created_by")[:10]
    context = {
        "title": _("匹配模型"), "model": model, "parameters": _parameters(model),
        "upper_probability": match_weight_to_probability(model.threshold_upper),
        "lower_probability": match_weight_to_probability(model.threshold_lower),
        "versions": scoped_queryset(request.user, LinkageModel, "view")[:20], "jobs": jobs,
        "running": any(job.status in ("queued", "running") for job in jobs),
        "can_train": can(request.user, ENTITY, "train"), "can_activate": can(request.user, ENTITY, "activate"),
    }
    template = "mpi/partials/_jobs.html" if getattr(request, "htmx", False) else "mpi/models.html"
    return render(request, template, context)


@login_required
@require_POST
def model_train(request):
    relink.model_train(actor=request.user)
    messages.success(request, _("已提交重新训练任务；完成后可在下方比较新旧模型，再决定是否启用"))
    return redirect("mpi:models")


@login_required
@require_POST
def model_activate(request, pk: int):
    require(request.user, ENTITY, "activate")
    model = get_object_or_404(scoped_queryset(request.user, LinkageModel, "activate"), pk=pk)
    try:
        relink.model_activate(actor=request.user, model=model)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用模型 %(version)s，正在按新模型重新关联（人工审核过的关联保持不变）")
                         % {"version": model.version})
    return redirect("mpi:models")


urlpatterns = [
    path("models/", model_page, name="models"),
    path("models/train/", model_train, name="model-train"),
    path("models/<int:pk>/activate/", model_activate, name="model-activate"),
]
