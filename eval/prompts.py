"""Chinese prompts for exams (zero-/few-shot, single/multi answer) built from a task's templates.

Templates are ``str.format`` strings; the fields available are ``{question}``, ``{options}``
(one "A. …" line per option), ``{subject}``, ``{answer}`` (few-shot examples only) and
``{examples}`` (the rendered few-shot block, empty at zero-shot).
"""

from __future__ import annotations

import string
from collections import defaultdict

from eval.datasets import McqItem

SINGLE_INSTRUCTION = (
    "以下是中国医学考试的单项选择题，请选出唯一正确的答案。"
    "请先给出答案，格式为“答案：X”（X为选项字母），然后可以简要说明理由。"
)
MULTI_INSTRUCTION = (
    "以下是中国医学考试的多项选择题，可能有一个或多个正确答案，请选出全部正确答案。"
    "请先给出答案，格式为“答案：AC”（按字母顺序写出所有正确选项），然后可以简要说明理由。"
)
DEFAULT_TEMPLATE = "{instruction}\n\n{examples}{question}\n{options}"
DEFAULT_EXAMPLE = "{question}\n{options}\n答案：{answer}\n\n"
FIELDS = {"instruction", "question", "options", "subject", "answer", "examples"}


def check_template(template: str, where: str, fields: set[str] | None = None) -> None:
    """Fail on unknown ``{fields}`` (a typo would otherwise surface mid-run); ``fields`` are the
    names the task type fills in (default: the exam fields)."""
    fields = FIELDS if fields is None else fields
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ValueError(f"{where}: bad template ({exc})") from None
    unknown = sorted(names - fields)
    if unknown:
        raise ValueError(
            f"{where}: unknown template field {{{unknown[0]}}} (known: {', '.join(sorted(fields))})"
        )


def format_options(options: dict[str, str]) -> str:
    return "\n".join(f"{k}. {v}" for k, v in options.items())


def _fields(item: McqItem, **extra: str) -> dict[str, str]:
    return {
        "question": item.question,
        "options": format_options(item.options),
        "subject": item.subject or "",
        "answer": item.answer,
        **extra,
    }


class FewShotPool:
    """Few-shot examples from a dev split: the first ``shots`` of the item's subject, else the
    first ``shots`` overall (deterministic; the item itself is never its own example)."""

    def __init__(self, dev: list[McqItem], shots: int) -> None:
        self.shots = shots
        self.dev = dev
        self.by_subject: dict[str | None, list[McqItem]] = defaultdict(list)
        for item in dev:
            self.by_subject[item.subject].append(item)

    def examples(self, item: McqItem) -> list[McqItem]:
        if self.shots <= 0:
            return []

        def other(d: McqItem) -> bool:
            return d.question != item.question

        pool = [d for d in self.by_subject.get(item.subject, []) if other(d)]
        if len(pool) < self.shots:
            pool += [d for d in self.dev if other(d) and d.subject != item.subject]
        return pool[: self.shots]


def mcq_prompt(
    item: McqItem,
    examples: list[McqItem],
    multi: bool,
    template: str = DEFAULT_TEMPLATE,
    example_template: str = DEFAULT_EXAMPLE,
    instruction: str | None = None,
) -> str:
    """The user message for one exam question."""
    block = "".join(example_template.format(**_fields(e)) for e in examples)
    if block:
        block = "示例：\n\n" + block + "请回答下面的题目：\n"
    instruction = instruction or (MULTI_INSTRUCTION if multi else SINGLE_INSTRUCTION)
    return template.format(**_fields(item, instruction=instruction, examples=block)).strip()


def loglik_context(item: McqItem, examples: list[McqItem], example_template: str) -> str:
    """Plain-text context for log-likelihood scoring; the continuation is the option letter."""
    block = "".join(example_template.format(**_fields(e)) for e in examples)
    head = "以下是中国医学考试的单项选择题，请选出正确答案。\n\n"
    return f"{head}{block}{item.question}\n{format_options(item.options)}\n答案："
