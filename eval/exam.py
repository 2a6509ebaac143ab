"""Multiple-choice exams: prompts (zero/few-shot, optional retrieval), answer extraction, scoring."""

from __future__ import annotations

from collections import Counter
from typing import Any

from eval.client import EndpointError
from eval.datasets import McqItem, load_mcq
from eval.extract import read_choice
from eval.loglik import best_option, continuation_logprob, option_calls
from eval.metrics import mcq_summary, partial_credit
from eval.plan import Call, Outcome, Plan, chat_messages, outcome_fields
from eval.prompts import DEFAULT_EXAMPLE, DEFAULT_TEMPLATE, FewShotPool, loglik_context, mcq_prompt
from eval.rag import BM25Retriever, format_rag_prompt, is_hit
from eval.taskspec import Task, require_data
from medqa.mcq import McqError


def answer_count_mismatch(items: list[McqItem], task: Task) -> int:
    """How many gold answers disagree with the task's single/multi-answer setting: multi-letter
    gold in a single-answer task, or (reverse) a multi-answer task whose gold is all single.
    With ``mismatch: stop`` (the default) any such item stops the run with advice."""
    if task.multi_answer:
        multi = [i for i in items if len(i.answer) > 1]
        count = len(items) if items and not multi else 0
        example, what = (items[0] if items else None), "has a single correct answer"
        advice = "use a single-answer task (multi_answer: false)"
    else:
        wrong = [i for i in items if len(i.answer) > 1]
        count, example = len(wrong), (wrong[0] if wrong else None)
        what = "has more than one correct answer"
        advice = "use a multi-answer task (multi_answer: true, e.g. --task mcq_multi)"
    if count and task.mismatch == "stop":
        kind = "multi-answer" if task.multi_answer else "single-answer"
        raise ValueError(
            f"{task.data['path']}: {count} of {len(items)} questions do not fit task "
            f"{task.name!r}, which is {kind} (e.g. {example.id} {what}: {example.answer!r}). "
            f"Either {advice}, or pass --mismatch score to score them as they are (the summary "
            "counts them as answer_count_mismatch)."
        )
    return count


class ExamKind:
    """``type: mcq`` tasks."""

    def __init__(self, task: Task, retriever: BM25Retriever | None = None) -> None:
        self.task = task
        self.skipped: list[McqError] = []
        self.items: list[McqItem] = load_mcq(
            require_data(task),
            task.data["split"],
            task.fields,
            self.skipped if task.data["skip_invalid"] else None,
        )
        if task.data.get("subjects"):
            keep = set(task.data["subjects"])
            self.items = [item for item in self.items if item.subject in keep]
            if not self.items:
                raise ValueError(f"{task.data['path']}: no questions of subjects {sorted(keep)}")
        self.mismatched = answer_count_mismatch(self.items, task)
        shots = task.fewshot["shots"]
        dev: list[McqItem] = []
        if shots:
            if not task.fewshot.get("path"):
                raise ValueError(f"{task.source}: fewshot.shots={shots} needs fewshot.path")
            dev = load_mcq(require_data(task, "fewshot"), task.fewshot["split"], task.fields)
        self.pool = FewShotPool(dev, shots)
        self.retriever = retriever
        self.template = task.prompt.get("template") or DEFAULT_TEMPLATE
        self.example = task.prompt.get("example") or DEFAULT_EXAMPLE
        self.generate = task.scoring in ("generate", "both")
        self.loglik = task.scoring in ("loglik", "both")
        if self.loglik and task.multi_answer:
            raise ValueError(f"{task.source}: loglik scoring needs single-answer questions")

    def plan(self, item: McqItem) -> Plan:
        examples = self.pool.examples(item)
        calls: list[Call] = []
        info: dict[str, Any] = {}
        if self.generate:
            prompt = mcq_prompt(
                item,
                examples,
                self.task.multi_answer,
                self.template,
                self.example,
                self.task.prompt.get("instruction"),
            )
            if self.retriever is not None:
                query = item.question + " " + " ".join(item.options.values())
                hits = self.retriever.search(query, self.task.rag["top_k"])
                info["retrieved"] = [h.id for h in hits]
                if item.gold_passages:
                    info["rag_hit"] = any(is_hit(h, item.gold_passages) for h in hits)
                prompt = format_rag_prompt(prompt, hits)
            messages = chat_messages(self.task.prompt.get("system"), prompt)
            calls.append(Call("chat", messages, self.task.decoding_params()))
        if self.loglik:
            context = loglik_context(item, examples, self.example)
            info["loglik_context_chars"] = len(context)
            calls.extend(option_calls(context, list(item.options)))
        return Plan(item, calls, info)

    def score(self, plan: Plan, outcomes: list[Outcome]) -> dict[str, Any]:
        item: McqItem = plan.item
        result: dict[str, Any] = {
            "id": item.id,
            "subject": item.subject,
            "gold": item.answer,
            **plan.info,
        }
        errors = [o for o in outcomes if isinstance(o, EndpointError)]
        if errors:
            return {
                **result,
                "pred": None,
                "correct": False,
                "partial": 0.0,
                "error": str(errors[0]),
            }
        rest = list(outcomes)
        if self.generate:
            first = rest.pop(0)
            reading = read_choice(first.text, item.options, self.task.multi_answer)
            pred = reading.letters
            result.update(
                outcome_fields(first),
                pred=pred,
                answer_form=reading.form,
                correct=pred == item.answer,
                partial=partial_credit(pred, item.answer),
            )
        if self.loglik:
            context_len = plan.info["loglik_context_chars"]
            try:
                scores = {
                    k: continuation_logprob(o.logprobs or {}, context_len, context_len + len(k))
                    for k, o in zip(item.options, rest, strict=True)
                }
            except ValueError as exc:
                return {
                    **result,
                    "pred": result.get("pred"),
                    "correct": False,
                    "partial": 0.0,
                    "error": f"log-likelihood scoring: {exc}",
                }
            choice = best_option(scores)
            result.update(
                loglik={k: round(v, 4) for k, v in scores.items()},
                loglik_pred=choice,
                loglik_correct=choice == item.answer,
            )
            if not self.generate:
                result.update(
                    pred=choice,
                    correct=choice == item.answer,
                    partial=partial_credit(choice, item.answer),
                )
        return result

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        summary = mcq_summary(results)
        forms = Counter(r["answer_form"] for r in results if "answer_form" in r)
        if forms:
            summary["answer_forms"] = dict(forms.most_common())
        if self.mismatched:
            summary["answer_count_mismatch"] = self.mismatched
        if self.skipped:
            summary["skipped_records"] = len(self.skipped)
            summary["skipped_examples"] = [str(e) for e in self.skipped[:5]]
        hits = [r["rag_hit"] for r in results if "rag_hit" in r]
        if hits:
            summary["retrieval_hit_rate"] = round(sum(hits) / len(hits), 4)
        return summary
