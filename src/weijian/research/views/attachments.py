"""Research pages: an application's attachments (申报附件). The PI uploads and deletes while he may edit;
readers of the application, and its reviewers, download (each read audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.research import attachments, selectors
from weijian.research.forms import AttachmentForm
from weijian.research.models import EDITABLE, ApplicationAttachment
from weijian.research.views import add_error
from weijian.research.views.applications import _application, _detail


@login_required
@require_POST
def attachment_upload(request, pk: int):
    application = _application(request, pk)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment",
                          kinds=attachments.attachment_kinds(application))
    if form.is_valid():
        try:
            _attachment, created = attachments.attachment_add(actor=request.user, application=application,
                                                              kind=form.cleaned_data["kind"],
                                                              uploaded_file=form.cleaned_data["file"])
        except NotFoundOrForbidden:
            raise PermissionDenied from None
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("附件已上传") if created else _("该文件已上传过，未重复保存"))
            return redirect("research:application-detail", pk=application.pk)
    if not (selectors.is_pi(request.user, application) and application.status in EDITABLE):
        for errors in form.errors.values():  # the form is not on the page any more: say it there
            messages.error(request, "；".join(errors))
    return _detail(request, application, status=422, attachment_form=form)


def _attachment(request, pk: int, attachment_pk: int) -> ApplicationAttachment:
    attachment = ApplicationAttachment.objects.select_related("application").filter(
        pk=attachment_pk, application_id=pk).first()
    if attachment is None:
        raise Http404
    return attachment


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    attachment = _attachment(request, pk, attachment_pk)
    try:
        data = attachments.attachment_open(actor=request.user, attachment=attachment)
    except NotFoundOrForbidden:
        raise Http404 from None
    response = HttpResponse(data, content_type=attachment.content_type)
    extension = attachment.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    response["Content-Disposition"] = f"attachment; filename=attachment-{attachment.pk}.{extension}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def attachment_delete(request, pk: int, attachment_pk: int):
    application = _application(request, pk)
    attachment = _attachment(request, pk, attachment_pk)
    try:
        attachments.attachment_remove(actor=request.user, attachment=attachment)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("附件已删除"))
    return redirect("research:application-detail", pk=application.pk)


urlpatterns = [
    path("applications/<int:pk>/attachments/", attachment_upload, name="attachment-upload"),
    path("applications/<int:pk>/attachments/<int:attachment_pk>/", attachment_download, name="attachment-download"),
    path("applications/<int:pk>/attachments/<int:attachment_pk>/delete/", attachment_delete,
         name="attachment-delete"),
]
