"""The words of the demo gap assessments' answers (auditkit.assessments.demo seeds them), in the organisation's
language (demo_texts): each answer's notes (what was observed, the evidence sighted, the live figure
when the register has complaints), and a weak answer's gap, recommendation and priority; the not applicable
ones get their reason. A follow-up's notes open with the comparison and, where an action was raised, what
became of it by then; a finding unchanged since the baseline keeps the baseline's gap and recommendation.
Choices are deterministic (random.Random seeded by the organisation and the assessment)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from auditkit.actions.models import CorrectiveAction
from auditkit.assessments import evidence
from auditkit.assessments.answering import AnswerData
from auditkit.assessments.demo_plans import Programme, number_of, priority
from auditkit.assessments.demo_words import QUESTION_TOPICS, TOPICS, ActionWords, Words
from auditkit.assessments.models import Answer, Assessment
from auditkit.standard.models import Question

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Sitting:
    """One assessment being answered: what its notes need besides the question."""

    kind: str
    rng: random.Random
    figures: dict[int, evidence.Figure]
    days: int
    quote: bool  # whether the register had complaints to quote
    compare: Callable[[Question, int], list[str]] | None = None
    previous: dict[str, Answer] = field(default_factory=dict)  # the baseline's answers, by question key
    used: set[tuple[str, ...]] = field(default_factory=set)


def _evidence_items(text: str | None, skip_words: tuple[str, ...]) -> list[str]:
    """The documents and records a question names as typical evidence, in its order (figures of the register,
    which the note quotes itself, conditional items and items written with Latin letters left out)."""
    items = [item.strip().rstrip("。.").strip() for item in re.split(r"[；;؛]", text or "")]
    return [item for item in items
            if item and not _LATIN.search(item) and not any(word in item for word in skip_words)]


class Writer:
    """What one organisation's demo answers say."""

    def __init__(self, programme: Programme, words: Words, titles: dict[str, dict[str, str]]):
        self.programme, self.words, self.titles = programme, words, titles
        self.acted = programme.acted

    def digits(self, text: str) -> str:
        return text.translate(_PERSIAN_DIGITS) if self.words.language == "fa" else text

    def number(self, value: float) -> str:
        """A figure as the organisation writes it (Persian: its digits, its decimal and thousands separators)."""
        if self.words.language != "fa":
            return str(int(value)) if float(value).is_integer() else str(value)
        text = f"{int(value):,}" if float(value).is_integer() else str(value)
        return self.digits(text).replace(",", "٬").replace(".", "٫")

    def level(self, value: int) -> str:
        return self.words.level.format(n=self.number(value))

    def clause(self, question: Question) -> str:
        """The clause's number and title; a clause titled "General" goes by its section's title."""
        title = self.titles.get(question.clause_key, {})
        if title.get("en") == "General":
            title = self.titles.get(question.clause_key.rsplit(".", 1)[0], title)
        return self.words.clause.format(number=self.digits(number_of(question)),
                                        title=title.get(self.words.language) or title.get("en", ""))

    def pick(self, sitting: Sitting, scope: tuple[str, ...], options: tuple[str, ...]) -> str:
        """One of the options, not one already used in the same scope (a clause) when there is another."""
        fresh = [option for option in options if (*scope, option) not in sitting.used] or list(options)
        chosen = sitting.rng.choice(fresh)
        sitting.used.add((*scope, chosen))
        return chosen

    def topic(self, sitting: Sitting, question: Question) -> str:
        """The topic of the question's gap and recommendation: its own when it has one, else its tags' in order,
        the first with a recommendation not yet made in its clause when there is one."""
        if question.key in QUESTION_TOPICS:
            return QUESTION_TOPICS[question.key]
        topics = list(dict.fromkeys(TOPICS[tag] for tag in question.tags or [] if tag in TOPICS)) or ["improvement"]
        scope = (question.clause_key, "recommendation")
        return next((topic for topic in topics if any(
            (*scope, text) not in sitting.used for text in self.words.recommendations[topic])), topics[0])

    def notes(self, sitting: Sitting, question: Question, rating: int) -> str:
        words, clause = self.words, self.clause(question)
        parts = sitting.compare(question, rating) if sitting.compare else []
        observed = self.pick(sitting, (question.clause_key, "observed"), words.observed[rating])
        parts.append(observed.format(clause=clause))
        items = _evidence_items((question.evidence or {}).get(words.language), words.skip_words)
        if len(items) >= 2:
            a, b = (items[i] for i in sorted(sitting.rng.sample(range(len(items)), 2)))
            parts.append(self.pick(sitting, (question.clause_key, "sighted"), words.sighted[rating]).format(a=a, b=b))
        figure = sitting.figures.get(question.id)
        template = words.figures.get(figure.key) if figure else None
        if sitting.quote and template and isinstance(figure.value, int | float) and figure.value is not None:
            parts.append(template.format(value=self.number(figure.value), days=self.number(sitting.days)))
        return words.separator.join(parts)

    def answer(self, sitting: Sitting, question: Question, rating: int | None, justification: str) -> AnswerData:
        if rating is None:
            return AnswerData(not_applicable=True, justification=justification)
        data = AnswerData(rating=rating, notes=self.notes(sitting, question, rating))
        if rating <= 2:
            course = self.programme.courses.get(question.key) if sitting.kind == "baseline" else None
            acted: ActionWords | None = self.words.actions.get(question.key) if course else None
            previous = sitting.previous.get(question.key)
            clause = self.clause(question)
            if acted is not None:
                data.gap, data.recommendation, data.priority = acted.gap, acted.recommendation, course.priority
            elif previous is not None and previous.rating == rating and previous.recommendation:
                data.gap, data.recommendation, data.priority = previous.gap, previous.recommendation, previous.priority
            else:
                if sitting.kind == "follow_up" and number_of(question) in self.acted and self.words.settling[0]:
                    gaps, recommendations = self.words.settling
                else:
                    topic = self.topic(sitting, question)
                    gaps = (self.words.gaps[topic][0 if rating <= 1 else 1],)
                    recommendations = self.words.recommendations[topic]
                data.gap = self.pick(sitting, (question.clause_key, "gap"), gaps).format(clause=clause)
                data.recommendation = self.pick(sitting, (question.clause_key, "recommendation"),
                                                recommendations).format(clause=clause)
                data.priority = priority(rating, question.weight)
        return data

    def comparison(self, baseline: Assessment, before: dict[str, int | None], raised: dict[str, CorrectiveAction],
                   seed: str) -> Callable[[Question, int], list[str]]:
        """The opening of a follow-up's notes: how the question stands against the baseline, and what became of
        the action raised from its recommendation."""
        words, rng = self.words, random.Random(f"{seed}:compare")
        explained: set[str] = set()
        on = self.programme.follow_up.ends

        def compare(question: Question, rating: int) -> list[str]:
            was, number = before.get(question.key), number_of(question)
            values = {"reference": baseline.label, "before": self.level(was) if was is not None else "",
                      "after": self.level(rating)}
            parts = []
            action = raised.get(question.key)
            if action is not None:
                course = self.programme.courses[question.key]
                parts.append(words.compared["action"][0].format(
                    action=action.reference, status=words.statuses[course.status_on(on)]))
                parts.append(words.actions[question.key].after)
            if was is None:
                parts.append(rng.choice(words.compared["new"]))
            elif rating > was:
                parts.append(rng.choice(words.compared["better"]).format(**values))
            elif rating == was:
                parts.append(rng.choice(words.compared["pending" if rating <= 2 else "same"]).format(**values))
            else:
                parts.append(rng.choice(words.compared["worse"]).format(**values))
                if number in words.worse and number not in explained:
                    explained.add(number)
                    parts.append(words.worse[number])
            return parts

        return compare
