"""The per-browser-session conversation: questions, each endpoint's reply, sources and red flags.

The page shows a rendering of this state; the prompt sent to an endpoint is built from it too, so a
failed or empty reply never becomes an assistant turn the model is asked to continue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.extract import split_thinking
from eval.rag import Hit
from eval.safety import RedFlag


@dataclass
class Reply:
    """One endpoint's answer to one question, filled in while it streams."""

    text: str = ""
    error: str | None = None  # a human message shown in the page instead of an answer
    stopped: bool = False  # the user pressed stop before the answer ended
    done: bool = False

    @property
    def thinking(self) -> str:
        """What a reasoning model (Qwen3 with thinking on) wrote inside ``<think>``."""
        return split_thinking(self.text)[0]

    @property
    def answer(self) -> str:
        """The reply without its thinking: what is shown as the answer and sent back as history
        (Qwen3's chat template keeps no earlier thinking either)."""
        return split_thinking(self.text)[1]

    @property
    def usable(self) -> bool:
        """Fit to be sent back as history: finished (or stopped) with an answer and no error."""
        return (self.done or self.stopped) and not self.error and bool(self.answer)


@dataclass
class Turn:
    """A user question and the replies of the endpoints it was sent to (by endpoint index)."""

    question: str
    replies: dict[int, Reply] = field(default_factory=dict)
    sources: list[Hit] = field(default_factory=list)  # passages given to the model
    red_flags: list[RedFlag] = field(default_factory=list)  # emergencies the question describes
    stop_requested: bool = False

    @property
    def finished(self) -> bool:
        return all(r.done or r.stopped for r in self.replies.values())

    def stop(self) -> None:
        """Mark every unfinished reply as stopped (the stream loop sees it and ends)."""
        self.stop_requested = True
        for reply in self.replies.values():
            if not reply.done:
                reply.stopped = True


@dataclass
class Conversation:
    """All turns of one chat session, oldest first."""

    turns: list[Turn] = field(default_factory=list)

    def start_turn(self, question: str, slots: list[int]) -> Turn:
        turn = Turn(question, {slot: Reply() for slot in slots})
        self.turns.append(turn)
        return turn

    @property
    def last_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def stop(self) -> None:
        """Stop every answer still streaming."""
        for turn in self.turns:
            if not turn.finished:
                turn.stop()

    def clear(self) -> None:
        """Stop what is streaming and forget every turn (in place: running handlers see it)."""
        self.stop()
        self.turns.clear()
