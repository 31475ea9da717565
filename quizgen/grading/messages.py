"""Every sentence grading shows a student, in English and Chinese.

Reading errors are raised as :class:`AnswerError` carrying a message id, the position of the
offending text (0-based, in the text the student typed) and the fields of the sentence; they are
rendered in the quiz's language only when the verdict is built.
"""

from __future__ import annotations

LANGS = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    # verdicts
    "correct": {"en": "Correct.", "zh": "正确。"},
    "incorrect": {"en": "Incorrect.", "zh": "不正确。"},
    "incorrect_number": {
        "en": "Incorrect: {got} is not within the tolerance of the expected value.",
        "zh": "不正确：{got} 不在期望值的允许误差范围内。",
    },
    "incorrect_sigfigs": {
        "en": "Incorrect: {got} does not match the expected value to {n} significant figures.",
        "zh": "不正确：{got} 与期望值在 {n} 位有效数字上不一致。",
    },
    "incorrect_expression": {
        "en": "Incorrect: not equivalent to the expected expression (they differ at {point}).",
        "zh": "不正确：与期望的表达式不等价（在 {point} 处取值不同）。",
    },
    "incorrect_expression_symbolic": {
        "en": "Incorrect: not equivalent to the expected expression.",
        "zh": "不正确：与期望的表达式不等价。",
    },
    "shape": {
        "en": "Incorrect: expected {want}, got {got}.",
        "zh": "不正确：应为{want}，实际为{got}。",
    },
    "entries": {
        "en": "{right} of {total} entries are correct; wrong: {wrong}.",
        "zh": "{total} 个分量中 {right} 个正确；错误的分量：{wrong}。",
    },
    "choice_partial": {
        "en": "Partly correct: {right} of {total} correct options chosen, {extra} wrong option(s).",
        "zh": "部分正确：选对 {right}/{total} 个正确选项，选了 {extra} 个错误选项。",
    },
    # reading errors (status "invalid")
    "empty": {"en": "The answer is empty.", "zh": "答案为空。"},
    "too_long": {
        "en": "The answer is too long ({n} characters; the limit is {limit}).",
        "zh": "答案过长（{n} 个字符，上限为 {limit}）。",
    },
    "bad_char": {
        "en": "Unsupported character {char} at position {pos}.",
        "zh": "第 {pos} 个字符 {char} 不受支持。",
    },
    "unknown_name": {
        "en": "Unknown name '{name}' at position {pos}; {allowed}.",
        "zh": "第 {pos} 个字符处的名称“{name}”未知；{allowed}。",
    },
    "allowed_vars": {"en": "the variables are {names}", "zh": "可用的变量为 {names}"},
    "allowed_none": {
        "en": "this answer takes no variables",
        "zh": "此题答案不含变量",
    },
    "unknown_command": {
        "en": "Unsupported LaTeX command '{name}' at position {pos}.",
        "zh": "第 {pos} 个字符处的 LaTeX 命令“{name}”不受支持。",
    },
    "unexpected": {
        "en": "Unexpected '{tok}' at position {pos}.",
        "zh": "第 {pos} 个字符处出现了意外的“{tok}”。",
    },
    "unexpected_end": {
        "en": "The answer ends too early: {what} is missing.",
        "zh": "答案不完整：缺少{what}。",
    },
    "missing_operand": {"en": "a value", "zh": "一个数值或表达式"},
    "unclosed": {
        "en": "The '{open}' at position {pos} is never closed.",
        "zh": "第 {pos} 个字符处的“{open}”没有闭合。",
    },
    "two_numbers": {
        "en": "Two numbers in a row at position {pos}: is an operator missing?",
        "zh": "第 {pos} 个字符处连续出现两个数：是否漏了运算符？",
    },
    "bad_number": {
        "en": "The number at position {pos} is too long or malformed.",
        "zh": "第 {pos} 个字符处的数字过长或格式错误。",
    },
    "too_deep": {
        "en": "The answer is nested too deeply (limit {limit} levels).",
        "zh": "答案嵌套层数过多（上限 {limit} 层）。",
    },
    "too_big_exponent": {
        "en": "The exponent at position {pos} is too large (|exponent| must be at most {limit}).",
        "zh": "第 {pos} 个字符处的指数过大（绝对值不能超过 {limit}）。",
    },
    "factorial": {
        "en": "The factorial at position {pos} is only allowed for whole numbers 0 to {limit}.",
        "zh": "第 {pos} 个字符处的阶乘只允许用于 0 到 {limit} 的整数。",
    },
    "equation": {
        "en": "Write only the value, not an equation ('=' at position {pos}).",
        "zh": "请只写出数值或表达式，不要写等式（第 {pos} 个字符处有“=”）。",
    },
    "vector_in_arithmetic": {
        "en": "A list cannot be used inside arithmetic (position {pos}).",
        "zh": "列表不能参与运算（第 {pos} 个字符处）。",
    },
    "not_scalar": {
        "en": "Expected a single value, got a list of {n} values.",
        "zh": "应为单个值，实际为含 {n} 个值的列表。",
    },
    "ragged": {
        "en": "The rows of the matrix have different lengths.",
        "zh": "矩阵各行的长度不一致。",
    },
    "bad_root_index": {
        "en": "The root index at position {pos} must be a whole number from 2 to 100.",
        "zh": "第 {pos} 个字符处的根指数必须是 2 到 100 的整数。",
    },
    "bad_function_power": {
        "en": "Only a positive whole power of a function, like sin^2(x), is allowed "
        "(position {pos}).",
        "zh": "函数只能取正整数次幂，例如 sin^2(x)（第 {pos} 个字符处）。",
    },
    "arguments": {
        "en": "{fn} needs its arguments in parentheses, like {fn}(0, x) (position {pos}).",
        "zh": "{fn} 的参数要写在括号里，例如 {fn}(0, x)（第 {pos} 个字符处）。",
    },
    "one_argument": {
        "en": "{fn} takes one argument (position {pos}).",
        "zh": "{fn} 只接受一个参数（第 {pos} 个字符处）。",
    },
    "div_zero": {
        "en": "Division by zero at position {pos}.",
        "zh": "第 {pos} 个字符处除数为零。",
    },
    "not_finite": {
        "en": "The value is too large or undefined.",
        "zh": "数值过大或无定义。",
    },
    "not_real": {"en": "The value is not a real number.", "zh": "数值不是实数。"},
    "domain": {
        "en": "{fn} is undefined at this value.",
        "zh": "{fn} 在该值处无定义。",
    },
    "timeout": {
        "en": "The answer could not be checked in time.",
        "zh": "无法在限定时间内检查该答案。",
    },
    "bad_input": {
        "en": "The input could not be read: {why}.",
        "zh": "无法读取输入：{why}。",
    },
    "undecided": {
        "en": "The answer could not be checked automatically.",
        "zh": "无法自动判定该答案。",
    },
    "internal": {
        "en": "The answer could not be read.",
        "zh": "无法读取该答案。",
    },
    "not_an_option": {
        "en": "'{unknown}' is not one of the options ({options}).",
        "zh": "“{unknown}”不是选项之一（可选：{options}）。",
    },
    "no_choice": {
        "en": "No option was recognised in the answer; the options look like {example}.",
        "zh": "答案中没有可识别的选项；选项形如 {example}。",
    },
}


class AnswerError(Exception):
    """The student's text cannot be read or evaluated; becomes an ``invalid`` verdict."""

    def __init__(self, code: str, pos: int | None = None, *, method: str = "parse",
                 **fields: object) -> None:
        super().__init__(code)
        self.code = code
        self.pos = pos
        self.method = method  # what gave up: the reader ("parse") or the CAS ("sympy")
        self.fields = fields

    def render(self, lang: str) -> str:
        fields = dict(self.fields)
        if self.pos is not None:
            fields.setdefault("pos", self.pos + 1)  # people count characters from 1
        for key, value in fields.items():
            if isinstance(value, AnswerError):
                fields[key] = value.render(lang)
        return message(self.code, lang, **fields)


def message(code: str, lang: str, **fields: object) -> str:
    table = MESSAGES[code]
    return table.get(lang, table["en"]).format(**fields)
