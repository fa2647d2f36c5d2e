from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class ImportErrorCode(ErrorCode):
    FILE_REJECTED = "file_rejected", _("文件被拒绝")
    FILE_TOO_LARGE = "file_too_large", _("文件过大")
    HAS_ERRORS = "has_errors", _("文件存在错误行，请修正后重新上传，或选择“仅导入有效行”")
    NOTHING_VALID = "nothing_valid", _("文件中没有可导入的有效行")
    WRONG_STATE = "wrong_state", _("该导入任务当前状态不能执行此操作")
    UNKNOWN_ENTITY = "unknown_entity", _("不支持导入该类数据")
