"""Terminology error codes, with Chinese messages (translated through the catalogue)."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class TerminologyErrorCode(ErrorCode):
    URL_INVALID = "url_invalid", _("规范地址无效：应以 http://、https:// 或 urn: 开头，且不含空格")
    NAME_REQUIRED = "name_required", _("名称不能为空")
    CHOICE_INVALID = "choice_invalid", _("取值不在允许范围内")
    VERSION_TAKEN = "version_taken", _("该规范地址和版本的资源已存在")
    CODE_REQUIRED = "code_required", _("代码不能为空")
    CODE_TOO_LONG = "code_too_long", _("代码过长（最多64个字符）")
    DISPLAY_REQUIRED = "display_required", _("名称不能为空")
    CODE_TAKEN = "code_taken", _("该代码在本代码系统中已存在")
    CODE_DUPLICATED = "code_duplicated", _("代码在文件中重复出现")
    PARENT_NOT_FOUND = "parent_not_found", _("上级代码在本代码系统中不存在")
    PARENT_CYCLE = "parent_cycle", _("上级代码构成循环")
    CODE_SYSTEM_NOT_FOUND = "code_system_not_found", _("代码系统不存在")
    VALUE_SET_NOT_FOUND = "value_set_not_found", _("值集不存在")
    CONCEPT_MAP_NOT_FOUND = "concept_map_not_found", _("概念映射不存在")
    CODE_NOT_FOUND = "code_not_found", _("代码不存在")
    INCLUDE_REQUIRED = "include_required", _("值集至少应包含一个代码系统")
    CODES_NOT_IN_SYSTEMS = "codes_not_in_systems", _("列出的代码不在所选代码系统中")
    SYSTEM_WITHOUT_CODES = "system_without_codes", _("所选代码系统不含任何列出的代码")
    SYSTEMS_DIFFER = "systems_differ", _("两个代码应属于同一代码系统")
    EQUIVALENCE_INVALID = "equivalence_invalid", _("对应关系无效，应为：等价、相同、较宽、较窄、近似、无对应")
    TARGET_REQUIRED = "target_required", _("标准代码不能为空（对应关系为“无对应”时除外）")
    TARGET_NOT_ALLOWED = "target_not_allowed", _("对应关系为“无对应”时不应填写标准代码")
    TARGET_NOT_FOUND = "target_not_found", _("标准代码不在目标代码系统中")
    PAIR_DUPLICATED = "pair_duplicated", _("同一本地代码与标准代码的对应在文件中重复出现")
    INSTITUTION_OUT_OF_SCOPE = "institution_out_of_scope", _("来源机构不存在或不在您的管辖范围内")
    IMPORT_INVALID = "import_invalid", _("导入数据有误，未写入任何内容，请按错误清单修改后重新导入")
    FILE_REJECTED = "file_rejected", _("文件无法读取")
    FHIR_INVALID = "fhir_invalid", _("FHIR 资源格式有误，未写入任何内容")
    PAGING_INVALID = "paging_invalid", _("分页参数无效：起始位置和数量应为不小于0的整数")
