"""Open QA: answers to held-out questions scored against references (BLEU-4, ROUGE-1/2/L exactly
as LLaMA-Factory, answer length, refusal rate), optionally with retrieval and an LLM judge."""

from __future__ import annotations

import statistics
from typing import Any

from eval.client import EndpointError
from eval.datasets import QaItem, load_qa
from eval.extract import strip_thinking
from eval.judge import CRITERIA, judge_messages, parse_scores
from eval.metrics import (
    is_refusal,
    length_stats,
    mean_similarity,
    similarity,
    truncated_rate,
)
from eval.plan import Call, Outcome, Plan, chat_messages, outcome_fields
from eval.rag import BM25Retriever, format_rag_prompt, is_hit
from eval.taskspec import Task, require_data


class OpenQaKind:
    """``type: open_qa`` tasks."""

    def __init__(self, task: Task, retriever: BM25Retriever | None = None) -> None:
        self.task = task
        self.items: list[QaItem] = load_qa(require_data(task))
        self.retriever = retriever
        self.template = task.prompt.get("template") or "{question}"

    def plan(self, item: QaItem) -> Plan:
        question = self.template.format(question=item.question)
        info: dict[str, Any] = {}
        if self.retriever is not None:
            hits = self.retriever.search(item.question, self.task.rag["top_k"])
            info["retrieved"] = [h.id for h in hits]
            if item.gold_passages:
                info["rag_hit"] = any(is_hit(h, item.gold_passages) for h in hits)
            question = format_rag_prompt(question, hits)
        system = item.system or self.task.prompt.get("system")
        call = Call("chat", chat_messages(system, question), self.task.decoding_params())
        return Plan(item, [call], info)

    def score(self, plan: Plan, outcomes: list[Outcome]) -> dict[str, Any]:
        item: QaItem = plan.item
        outcome = outcomes[0]
        result = {"id": item.id, "subject": item.subject, **plan.info, **outcome_fields(outcome)}
        if isinstance(outcome, EndpointError):
            return result
        answer = (strip_thinking(outcome.text) or "").strip()
        result.update(
            answer=answer,
            scores=similarity(answer, item.reference),
            chars=len(answer),
            refusal=is_refusal(answer),
        )
        return result

    def judge_call(self, plan: Plan, result: dict[str, Any]) -> Call | None:
        """The judge's request for an answered item (None for failed ones)."""
        if "answer" not in result:
            return None
        item: QaItem = plan.item
        params = {k: v for k, v in self.task.judge.items() if v is not None}
        return Call("chat", judge_messages(item.question, item.reference, result["answer"]), params)

    @staticmethod
    def add_judgement(result: dict[str, Any], outcome: Outcome) -> None:
        if isinstance(outcome, EndpointError):
            result["judge_error"] = str(outcome)
        else:
            result["judge"] = parse_scores(outcome.text)

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        answered = [r for r in results if "answer" in r]
        summary: dict[str, Any] = {"n": len(results), "failed": len(results) - len(answered)}
        summary.update(mean_similarity(r["scores"] for r in answered))
        summary.update(length_stats([r["answer"] for r in answered]))
        summary["refusal_rate"] = _rate(sum(r["refusal"] for r in answered), len(answered))
        summary["empty_rate"] = _rate(sum(not r["answer"] for r in answered), len(answered))
        summary["truncated_rate"] = truncated_rate(answered)
        hits = [r["rag_hit"] for r in results if "rag_hit" in r]
        if hits:
            summary["retrieval_hit_rate"] = _rate(sum(hits), len(hits))
        judged = [r for r in results if "judge" in r or "judge_error" in r]
        if judged:
            scored = [r["judge"] for r in judged if r.get("judge")]
            summary["judge"] = {
                k: round(statistics.fmean(s[k] for s in scored), 3) if scored else None
                for k in CRITERIA
            }
            summary["judge"]["unparsed_rate"] = _rate(len(judged) - len(scored), len(judged))
        return summary


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
