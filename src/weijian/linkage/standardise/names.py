"""Chinese personal names made comparable: cleaned, simplified, split into surname and given name, in pinyin.

Pinyin is what catches 同音字 typos (张伟 / 章伟 both give "zhangwei"); the surname is read with its
surname pronunciation (单 → shan, not dan), because a dictionary reading would split one family in two.
"""

import re
from functools import lru_cache
from typing import NamedTuple

from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from weijian.linkage.standardise._text import NULL_TOKENS, as_text, fold_width, to_simplified

DOT = "·"

# 复姓: checked before the one-character surname. 单于 is left out on purpose: 单 + a given name starting
# with 于 is far more common today than the historical 单于.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐",
    "夏侯", "轩辕", "端木", "呼延", "南宫", "澹台", "万俟", "独孤", "赫连", "申屠", "闻人", "司空", "西门",
    "百里", "东郭", "南门", "公冶", "公羊", "太叔", "濮阳", "淳于", "钟离", "宰父", "谷梁", "拓跋", "梁丘",
    "左丘", "东门", "羊舌", "微生", "公良", "乐正", "漆雕", "壤驷", "公西", "巫马", "颛孙", "子车", "亓官",
    "司寇", "段干", "仲孙", "叔孙", "鲜于", "闾丘", "第五", "公仪", "公户", "夹谷", "锺离", "呼衍",
})

# Surnames whose surname reading differs from pypinyin's default reading of the character.
SURNAME_PINYIN = {
    "单": ("shan",), "曾": ("zeng",), "区": ("ou",), "仇": ("qiu",), "解": ("xie",), "查": ("zha",),
    "朴": ("piao",), "乐": ("yue",), "覃": ("qin",), "缪": ("miao",), "盖": ("ge",), "种": ("chong",),
    "秘": ("bi",), "繁": ("po",), "员": ("yun",), "召": ("shao",), "祭": ("zhai",), "翟": ("zhai",),
    "谌": ("chen",), "尉": ("wei",), "宓": ("mi",), "句": ("gou",), "能": ("nai",), "重": ("chong",),
    "卜": ("bu",), "隗": ("wei",), "莘": ("shen",), "藏": ("zang",), "折": ("she",), "柏": ("bai",),
    "薄": ("bo",), "过": ("guo",), "沈": ("shen",), "石": ("shi",), "华": ("hua",), "任": ("ren",),
    "纪": ("ji",), "燕": ("yan",), "都": ("du",), "朝": ("chao",), "车": ("che",), "厍": ("she",),
    "冼": ("xian",), "睢": ("sui",), "恽": ("yun",), "牟": ("mou",), "宿": ("su",), "相": ("xiang",),
    "贲": ("ben",), "郇": ("huan",), "亓": ("qi",), "曲": ("qu",), "应": ("ying",), "乜": ("nie",),
    "便": ("pian",), "蕃": ("pi",),
    "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"), "长孙": ("zhang", "sun"), "令狐": ("ling", "hu"),
    "澹台": ("tan", "tai"), "乐正": ("yue", "zheng"), "亓官": ("qi", "guan"), "夹谷": ("jia", "gu"),
}

# Names that stand in for a name not yet given or not known: no name to compare (but see `newborn_parts`).
_NEWBORN_EXACT = frozenset({"婴儿", "新生儿", "男婴", "女婴", "之子", "之女", "宝宝", "男孩", "女孩"})
_UNKNOWN_EXACT = frozenset({"无名氏", "无名", "未知", "不详", "未知姓名", "姓名不详", "匿名", "无", "某某", "空", "暂无"})
_NEWBORN_WORD = r"(?:之[子女男婴孩]|[男女]婴|婴儿|新生儿)"
_BIRTH_ORDINAL = r"([一二三四五大小甲乙丙]|[0-9])?"
_NEWBORN_PATTERN = re.compile(f"{_NEWBORN_WORD}{_BIRTH_ORDINAL}$")
_UNKNOWN_PATTERN = re.compile(r"(无名氏|未知|不详)$|^.{0,2}某+$")
_LATIN_PLACEHOLDERS = frozenset({"BABY", "BABY BOY", "BABY GIRL", "NEWBORN", "UNKNOWN", "NONAME", "NO NAME",
                                 "ANONYMOUS", "NA", "N A", "NULL", "NONE"})
_PLACEHOLDER_CHARS = frozenset("之婴儿宝孩无未不某匿空")
# What a newborn's placeholder still tells: the parent it names (王芳之子 → 王芳) or the family name it gives
# (张之女 → 张), and the birth order twins are told apart by (之子一 / 之子二, 大 / 小, 甲 / 乙, digits).
_NEWBORN_PARTS = re.compile(f"^(.*?){_NEWBORN_WORD}{_BIRTH_ORDINAL}$")
_BIRTH_ORDER = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "大": "1", "小": "2",
                "甲": "1", "乙": "2", "丙": "3"}
# "无", "不详" in a name field say "no name" (a placeholder), not "no value": only ASCII nulls mean missing.
_NAME_NULLS = frozenset(token for token in NULL_TOKENS if token.isascii())
REASON_NEWBORN = "姓名为占位名（新生儿）"
REASON_UNKNOWN = "姓名为占位名（无名氏）"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
# Separators people type between the parts of a minority or transliterated name (after NFKC).
_SEPARATORS = re.compile(r"[·•‧・∙⋅.。\-—–_]+")
_NOT_HAN_OR_DOT = re.compile(f"[^{_HAN}{DOT}]+")
_PLAIN_HAN = re.compile(f"[{_HAN}]+")
_NOT_HAN = re.compile(f"[^{_HAN}]+")
_NOT_HAN_OR_DIGIT = re.compile(f"[^{_HAN}0-9]+")
_NOISE = re.compile(f"[^{_HAN}{DOT}\\s]")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕")
_NOT_LATIN = re.compile(r"[^A-Z'\- ]+")


class CleanName(NamedTuple):
    name: str  # cleaned simplified name, "" when missing or a placeholder
    surname: str
    given_name: str
    pinyin: tuple[str, ...]  # syllables, lower case, no tones
    surname_pinyin: str  # the surname's syllables joined: "ouyang"
    placeholder: bool
    problems: tuple[str, ...] = ()
    newborn_of: str = ""  # the parent a newborn's placeholder names: 王芳 for 王芳之子一
    newborn_surname: str = ""  # the family name a newborn's placeholder gives instead: 林 for 林之子
    birth_order: str = ""  # "1", "2" … from a newborn placeholder's ordinal (twins), else ""

    @property
    def pinyin_text(self) -> str:
        return " ".join(self.pinyin)

    @property
    def pinyin_key(self) -> str:
        return "".join(self.pinyin)


EMPTY_NAME = CleanName("", "", "", (), "", False)


def clean_name(raw) -> CleanName:
    """Standardise one name; any input (None, NaN, numbers) is accepted."""
    return _clean_name(as_text(raw))


@lru_cache(maxsize=1 << 16)
def _clean_name(text: str) -> CleanName:
    text = fold_width(text).strip()
    if not text or text.lower() in _NAME_NULLS:
        return EMPTY_NAME
    if _HAN_RE.search(text):
        return _clean_han(text)
    return _clean_latin(text)


def _clean_han(text: str) -> CleanName:
    simplified = to_simplified(text)
    if _PLAIN_HAN.fullmatch(simplified):
        name = simplified  # the common case: only Han characters, nothing to strip
        reason = placeholder_reason(name)
        problems = ()
    else:
        name, problems, reason = _strip_noise(simplified)
    if reason == REASON_NEWBORN:
        # read from the text before noise removal dropped the digits of 新生儿1, 王芳之女2
        parts = newborn_parts(_NOT_HAN_OR_DIGIT.sub("", _BRACKETED.sub("", simplified)))
        return CleanName("", "", "", (), "", True, (reason,), *parts)
    if reason:
        return CleanName("", "", "", (), "", True, (reason,))
    if not name:
        return EMPTY_NAME
    if DOT in name:
        # A transliterated name has no surname in the Han sense; the whole name is the given name.
        return CleanName(name, "", name, _pinyin_of_given(name.replace(DOT, "")), "", False, problems)
    surname, given = split_surname(name)
    surname_syllables = surname_pinyin(surname)
    syllables = surname_syllables + _pinyin_of_given(given)
    return CleanName(name, surname, given, syllables, "".join(surname_syllables), False, problems)


def _strip_noise(simplified: str) -> tuple[str, tuple[str, ...], str]:
    """(name, problems, placeholder reason) for a name with spaces, separators, brackets or other noise."""
    # "李四(住院)", "王芳【急诊】": a remark in brackets is not part of the name.
    unbracketed = _BRACKETED.sub("", simplified)
    unified = _SEPARATORS.sub(DOT, unbracketed)
    parts = [part for part in (_NOT_HAN_OR_DOT.sub("", p) for p in unified.split(DOT)) if part]
    if len(parts) > 1 and min(map(len, parts)) >= 2:
        name = DOT.join(parts)
    else:
        # "张·伟": a dot inside a short Han name is a typo, not a transliteration separator.
        name = "".join(parts)
    reason = placeholder_reason(name) or placeholder_reason(_NOT_HAN.sub("", simplified))
    # Letters, digits and stray symbols in a Chinese name are typing noise ("张三1"): dropped, but said so.
    problems = ("姓名含非汉字字符，已去除",) if _NOISE.search(unified) or unbracketed != simplified else ()
    return name, problems, reason


def _clean_latin(text: str) -> CleanName:
    # Passports and foreign patients: letters only, upper case, single spaces.
    name = " ".join(_NOT_LATIN.sub(" ", text.upper()).split())
    if not name:
        return EMPTY_NAME
    if name in _LATIN_PLACEHOLDERS:
        return CleanName("", "", "", (), "", True, (REASON_UNKNOWN,))
    syllables = tuple(re.sub(r"[^a-z]", "", token) for token in re.split(r"[ \-]", name.lower()))
    return CleanName(name, "", name, tuple(s for s in syllables if s), "", False)


def placeholder_reason(name: str) -> str:
    """The Chinese reason when `name` (cleaned, simplified) stands in for a name, else ""."""
    if _PLACEHOLDER_CHARS.isdisjoint(name):
        return ""  # every placeholder holds one of these: most names skip the patterns
    plain = name.replace(DOT, "")
    if plain in _NEWBORN_EXACT or _NEWBORN_PATTERN.search(plain):
        return REASON_NEWBORN
    if plain in _UNKNOWN_EXACT or _UNKNOWN_PATTERN.search(plain):
        return REASON_UNKNOWN
    return ""


def newborn_parts(placeholder: str) -> tuple[str, str, str]:
    """(parent named, surname given, birth order) of a newborn placeholder (cleaned, simplified):
    王芳之子二 → ("王芳", "", "2"), 张之女 → ("", "张", ""), 欧阳之子 → ("", "欧阳", ""), 男婴一 → ("", "", "1")."""
    match = _NEWBORN_PARTS.match(placeholder.replace(DOT, ""))
    if not match:
        return "", "", ""
    named, order = match.groups()
    order = _BIRTH_ORDER.get(order, order or "")
    if not _PLAIN_HAN.fullmatch(named):
        return "", "", order
    if len(named) == 1 or named in COMPOUND_SURNAMES:
        return "", named, order
    return named, "", order


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name): a 复姓 when the name starts with one and leaves a given name after it."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@lru_cache(maxsize=4096)
def surname_pinyin(surname: str) -> tuple[str, ...]:
    """Syllables of a surname read as a surname (单 → shan, 尉迟 → yu chi)."""
    if not surname:
        return ()
    if surname in SURNAME_PINYIN:
        return SURNAME_PINYIN[surname]
    return tuple(lazy_pinyin(surname))


@lru_cache(maxsize=1 << 17)
def _pinyin_of_given(given: str) -> tuple[str, ...]:
    # lazy_pinyin costs ~40 µs a call; outside its phrase dictionary it reads each character on its own,
    # so a per-character cache gives the same syllables at a fraction of the cost.
    if not given:
        return ()
    if len(given) > 2 or given in PHRASES_DICT:
        return tuple(lazy_pinyin(given))
    return tuple(_pinyin_of_char(char) for char in given)


@lru_cache(maxsize=1 << 16)
def _pinyin_of_char(char: str) -> str:
    return lazy_pinyin(char)[0]
