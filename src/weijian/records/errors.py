"""Record-store error codes, with Chinese messages (translated through the catalogue).

The FHIR API maps each code to an OperationOutcome issue type and HTTP status (`api/fhir/outcome.py`)."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class RecordsErrorCode(ErrorCode):
    JSON_MALFORMED = "json_malformed", _("请求体不是合法的 JSON")
    NOT_JSON = "not_json", _("请求体不是 JSON（本平台只接受 application/fhir+json，不接受 XML）")
    TOO_LARGE = "too_large", _("请求体过大")
    TOO_DEEP = "too_deep", _("JSON 嵌套层级过深")
    NOT_A_RESOURCE = "not_a_resource", _("请求体不是 FHIR 资源（缺少 resourceType）")
    TYPE_UNSUPPORTED = "type_unsupported", _("不支持的资源类型")
    TYPE_MISMATCH = "type_mismatch", _("资源类型与请求地址不一致")
    ID_MISMATCH = "id_mismatch", _("资源 id 与请求地址中的 id 不一致")
    ID_INVALID = "id_invalid", _("资源 id 无效：只能包含字母、数字、“-”和“.”，最长64个字符")
    RESOURCE_INVALID = "resource_invalid", _("资源内容不符合 FHIR R4 规范")
    CODE_INVALID = "code_invalid", _("编码不在所绑定的代码系统或值集中")
    REFERENCE_MISSING = "reference_missing", _("引用的资源不存在")
    REFERENCE_INVALID = "reference_invalid", _("引用格式无效")
    RESOURCE_NOT_FOUND = "resource_not_found", _("资源不存在")
    RESOURCE_GONE = "resource_gone", _("资源已删除")
    VERSION_NOT_FOUND = "version_not_found", _("资源的该版本不存在")
    VERSION_CONFLICT = "version_conflict", _("版本冲突：资源已被他人修改（If-Match 与当前版本不符），请重新读取后再提交")
    IF_MATCH_INVALID = "if_match_invalid", _("If-Match 应为 W/\"版本号\"")
    CONDITIONAL_MULTIPLE = "conditional_multiple", _("条件匹配到多个资源，无法确定操作对象")
    ID_OWNED_BY_OTHER_SOURCE = "id_owned_by_other_source", _("该资源 id 已由其他数据来源上传，不能覆盖")
    BUNDLE_INVALID = "bundle_invalid", _("Bundle 无效")
    BUNDLE_TYPE_UNSUPPORTED = "bundle_type_unsupported", _("只接受 transaction 或 batch 类型的 Bundle")
    FULLURL_DUPLICATED = "fullurl_duplicated", _("Bundle 中 fullUrl 重复")
    ENTRY_INVALID = "entry_invalid", _("Bundle 条目无效")
    ENTRY_FAILED = "entry_failed", _("事务中有条目处理失败，整个事务未写入任何内容")
    SEARCH_PARAM_UNKNOWN = "search_param_unknown", _("不支持的查询参数")
    SEARCH_VALUE_INVALID = "search_value_invalid", _("查询参数的值无效")
    SOURCE_NOT_REGISTERED = "source_not_registered", _("当前账号不是已登记的数据来源，不能上传")
    SOURCE_SUSPENDED = "source_suspended", _("数据来源已暂停，不能上传")
    SOURCE_TYPE_NOT_ALLOWED = "source_type_not_allowed", _("该数据来源未获准上传此类资源")
    BREAK_GLASS_REASON_REQUIRED = "break_glass_reason_required", _("紧急访问须填写理由（至少10个字）")
    GRANT_USER_INVALID = "grant_user_invalid", _("只能向委信息中心人员授权查看临床内容")
    GRANT_REASON_REQUIRED = "grant_reason_required", _("授权须填写理由（至少10个字）")
    GRANT_REVOKE_REASON_REQUIRED = "grant_revoke_reason_required", _("撤销授权须填写理由（至少10个字）")
    GRANT_NOT_ACTIVE = "grant_not_active", _("该授权已不再有效")
    UPLOAD_FILE_INVALID = "upload_file_invalid", _("上传文件无法读取")
    DATASET_UNKNOWN = "dataset_unknown", _("不支持的数据集")
