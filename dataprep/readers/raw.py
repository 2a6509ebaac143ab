"""The crawler's raw JSONL (DESIGN.md §3 "Raw crawl record") → QA records.

Of several doctor answers the accepted one comes first, then the best by a quality score
(content length, likes, doctor title); ``answers: all`` emits every answer with enough content
instead, all sharing ``meta.group`` so the split keeps them together. ``candidates`` (set by a
recipe's ``pairs`` step) keeps the usable answers of a question with two or more in
``meta.candidates``, for preference pairs.

A consultation with follow-ups (``turns``: patient/doctor texts in page order) becomes one
multi-turn record (user/assistant turns, consecutive same-role turns merged, a trailing
unanswered patient turn dropped) whatever ``answers`` says; the first user turn is the
question with its title. Turns that leave a single exchange add nothing: the answers decide.
"""

from __future__ import annotations

from typing import Any

from dataprep.readers.base import JsonReader, Parsed
from dataprep.records import Reject, Skip, join_title, qa_record
from dataprep.steps.quality import content_chars

_TITLE_RANK = {"主任医师": 4, "副主任医师": 3, "主治医师": 2, "住院医师": 1, "医师": 1}
_PATIENT_KEYS = ("gender", "age_group")  # nothing else about the asker is ever kept


class RawCrawlReader(JsonReader):
    """``answers``: "best" (one record per question) or "all" (every answer with at least
    ``min_answer_chars`` content characters); ``keep_doctor``: keep ``doctor_name`` if the
    crawler stored it (off: names are not needed for training)."""

    format = "raw"
    OPTIONS = {"answers": "best", "min_answer_chars": 10, "keep_doctor": False, "candidates": False}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        if self.options["answers"] not in ("best", "all"):
            raise ValueError(f"input {self.path}: option 'answers' must be best or all")

    def default_source(self) -> str:
        return ""

    def convert(self, obj: dict, line_no: int) -> Parsed:
        head = _question_fields(obj)
        if isinstance(head, Reject):
            return [head]
        source, qid, question = head
        dialogue = _dialogue(obj.get("turns"), question)
        if isinstance(dialogue, Reject):
            return [dialogue]
        answers = obj.get("answers")
        if answers is None:
            answers = []
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            return [Reject("field 'answers' must be a list of objects")]
        usable = [a for a in answers if isinstance(a.get("text"), str) and a["text"].strip()]
        group = f"{source}-{qid}"
        if dialogue:
            return [_dialogue_record(obj, source, group, dialogue, len(usable))]
        if not usable:
            return [Skip("no_answer")]
        if self.options["answers"] == "all":
            ranked = sorted(usable, key=_answer_rank, reverse=True)
            minimum = self.options["min_answer_chars"]
            ranked = [a for a in ranked if content_chars(a["text"]) >= minimum] or ranked[:1]
        else:
            ranked = [_best_answer(usable)]
        meta = _question_meta(obj, group, len(usable))
        position: dict[int, int] = {}
        if self.options["candidates"] and len(usable) > 1:  # for preference pairs
            meta["candidates"] = [
                {
                    "text": a["text"],
                    "accepted": bool(a.get("accepted")),
                    "likes": _int(a.get("likes")),
                }
                for a in usable
            ]
            position = {id(a): k for k, a in enumerate(usable)}
        return [
            qa_record(
                group if self.options["answers"] == "best" else f"{group}-a{k}",
                source,
                question,
                answer["text"],
                _labels(obj.get("department")),
                {**meta, **self._answer_meta(answer, position.get(id(answer)))},
            )
            for k, answer in enumerate(ranked)
        ]

    def _answer_meta(self, answer: dict, candidate: int | None = None) -> dict[str, Any]:
        """The answer's own meta; ``candidate``: its index in ``meta.candidates``, if any
        (the pairs step then reuses what the per-record steps made of it)."""
        meta = {
            "doctor_title": answer.get("doctor_title"),
            "accepted": bool(answer.get("accepted")),
            "likes": _int(answer.get("likes")),
            "answer_time": answer.get("time"),
        }
        if candidate is not None:
            meta["answer_candidate"] = candidate
        if self.options["keep_doctor"] and answer.get("doctor_name"):
            meta["doctor_name"] = answer["doctor_name"]
        return meta


def _question_fields(obj: dict) -> tuple[str, str, str] | Reject:
    ids = []
    for key in ("source", "qid"):
        value = obj.get(key)
        text = str(value) if isinstance(value, (str, int)) else ""
        if text.strip() == "":
            return Reject(f"missing or invalid field {key!r}")
        ids.append(text)
    title, body = obj.get("title") or "", obj.get("question") or ""
    if not isinstance(title, str) or not isinstance(body, str):
        return Reject("fields 'title' and 'question' must be strings")
    question = join_title(title, body)
    if not question:
        return Reject("record has neither 'title' nor 'question' text")
    return ids[0], ids[1], question


_TURN_ROLES = {"patient": "user", "doctor": "assistant"}


def _dialogue(turns: Any, question: str) -> list[dict[str, str]] | Reject | None:
    """``turns`` as alternating user/assistant turns ending with an answer, or ``None`` when
    absent or when they hold no more than one exchange."""
    if turns is None:
        return None
    if not isinstance(turns, list):
        return Reject("field 'turns' must be a list of objects")
    dialogue: list[dict[str, str]] = []
    for k, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in _TURN_ROLES:
            return Reject(f"turns[{k}]: expected an object with role 'patient' or 'doctor'")
        text = turn.get("text")
        if not isinstance(text, str):
            return Reject(f"turns[{k}]: field 'text' must be a string")
        role = _TURN_ROLES[turn["role"]]
        if not text.strip():
            continue
        if not dialogue and role == "user" and text.strip() in question:
            text = question  # the question repeated: keep its title as well
        if dialogue and dialogue[-1]["role"] == role:
            dialogue[-1]["content"] += "\n" + text
        else:
            dialogue.append({"role": role, "content": text})
    if not dialogue or dialogue[0]["role"] != "user":
        dialogue.insert(0, {"role": "user", "content": question})
    if dialogue[-1]["role"] == "user":
        dialogue.pop()  # a follow-up nobody answered
    return dialogue if len(dialogue) >= 4 else None


def _dialogue_record(
    obj: dict, source: str, group: str, dialogue: list[dict[str, str]], n_answers: int
) -> dict[str, Any]:
    meta = {**_question_meta(obj, group, n_answers), "n_turns": len(dialogue)}
    last_q, last_a = dialogue[-2]["content"], dialogue[-1]["content"]
    return qa_record(group, source, last_q, last_a, _labels(obj.get("department")), meta, dialogue)


def _question_meta(obj: dict, group: str, n_answers: int) -> dict[str, Any]:
    patient = obj.get("patient") if isinstance(obj.get("patient"), dict) else {}
    return {
        "group": group,
        "url": obj.get("url"),
        "crawled_at": obj.get("crawled_at"),
        "patient": {k: patient[k] for k in _PATIENT_KEYS if patient.get(k)},
        "n_answers": n_answers,
    }


def _labels(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _best_answer(answers: list[dict]) -> dict:
    """The first answer of ``sorted(answers, key=_answer_rank, reverse=True)``: the accepted
    one if only one is, else the best scored (the earliest on a tie) of the accepted ones,
    or of all when none is."""
    if len(answers) == 1:
        return answers[0]
    accepted = [a for a in answers if a.get("accepted")]
    if len(accepted) == 1:
        return accepted[0]
    return max(accepted or answers, key=_answer_rank)


def _answer_rank(answer: dict) -> tuple:
    content = min(content_chars(answer["text"]), 400)
    title = _TITLE_RANK.get(str(answer.get("doctor_title") or "").strip(), 0)
    score = content / 400 + min(_int(answer.get("likes")), 20) / 40 + title / 16
    return (bool(answer.get("accepted")), score)
