"""Record uploads over REST (per-source API tokens): WS 365 data-set files and their templates, and an
upload batch's status with its rejected entries. FHIR Bundles go to /fhir/ instead."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import access_object, require
from weijian.api.schema import errors
from weijian.core.errors import BusinessError
from weijian.mpi.selectors import upload_link_counts
from weijian.records import datasets, ws365
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.models import Upload

TAG = "records"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ISSUES = 1000


class UploadSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.code")
    patients = serializers.SerializerMethodField(
        help_text="主索引匹配结果：auto 自动关联、possible 进入人工审核、new 新建主索引")

    def get_patients(self, upload) -> dict[str, int]:
        return upload_link_counts(upload.pk)

    class Meta:
        model = Upload
        ref_name = "RecordUpload"
        fields = ["id", "source", "kind", "dataset", "file_name", "file_sha256", "status", "total", "created",
                  "updated", "unchanged", "rejected", "position", "error", "received_at", "started_at",
                  "finished_at", "patients"]


def _upload_body(upload: Upload, *, issues: bool = False) -> dict:
    body = UploadSerializer(upload).data
    if issues:
        body["issues"] = [{"entry": i.entry, "severity": i.severity, "resource_type": i.resource_type,
                           "id": i.fhir_id, "message": i.message} for i in upload.issues.all()[:MAX_ISSUES]]
    return body


class DatasetUploadApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="records_dataset_upload", tags=[TAG],
                   summary="上传 WS 365 数据集文件（.xlsx/.csv，字段 file），后台导入",
                   description="先校验文件类型、大小和表头；同一来源重复上传同一文件返回原批次（幂等）。",
                   request={"multipart/form-data": {"type": "object", "properties": {
                       "file": {"type": "string", "format": "binary"}}}},
                   responses={202: UploadSerializer, **errors(400, 403)})
    def post(self, request, dataset):
        upload_file = request.FILES.get("file")
        if upload_file is None:
            raise BusinessError(E.UPLOAD_FILE_INVALID, "请以 multipart/form-data 的 file 字段上传文件")
        upload = datasets.dataset_upload(actor=request.user, dataset_key=dataset, file_name=upload_file.name,
                                         data=upload_file.read())
        upload.refresh_from_db()
        return Response(_upload_body(upload), status=202)


class DatasetTemplateApi(APIView):
    @extend_schema(operation_id="records_dataset_template", tags=[TAG], summary="下载 WS 365 数据集模板（.xlsx）",
                   responses={(200, XLSX): bytes, **errors(404)})
    def get(self, request, dataset):
        found = ws365.DATASETS.get(dataset)
        if found is None:
            raise BusinessError(E.DATASET_UNKNOWN)
        response = HttpResponse(ws365.template_xlsx(found), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="ws365-{found.key}.xlsx"'
        return response


class UploadDetailApi(APIView):
    @extend_schema(operation_id="records_upload_detail", tags=[TAG], summary="上传批次的状态、计数和拒收条目",
                   responses={200: UploadSerializer, **errors(404)})
    def get(self, request, pk):
        require(request.user, "record-upload", "view")
        upload = access_object(request.user, Upload, pk, "view")
        return Response(_upload_body(upload, issues=True))
