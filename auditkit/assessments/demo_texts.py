"""What the demo gap assessments say, in the language of their organisation: Simplified Chinese for
demo-telecom, Persian for demo-insurance. Data for auditkit.assessments.demo, which decides the ratings and
puts these phrases together, as a consultant would write them, into each answer's notes, gap and
recommendation.

A note is what was observed at the answer's level (`observed`, by rating), what was looked at (`sighted`:
two of the question's own typical evidence items from the checklist, {a} and {b}) and, when the register
had complaints, the live figure beside the question (`figures`, by metric key). Gaps and recommendations
come from banks by topic: each question's tags lead to one (`TOPICS`); a gap is worded for a practice that
is missing (ratings 0 and 1) or partly in place (rating 2). `{clause}` is the clause's number and title
(`clause`). The recommendations that became corrective actions have their own words (`actions`, by question
key): the first line of the recommendation is the action's title, and the action's analysis, tasks, criteria
and verdict follow it. A follow-up's notes open by comparing with the baseline (`compared`). "~" is the
Persian half-space (ZWNJ), as in complaints.demo_profiles."""

from __future__ import annotations

from auditkit.assessments.demo_texts_fa import INSURANCE
from auditkit.assessments.demo_texts_zh import TELECOM
from auditkit.core.i18n import half_spaces

WORDS = {"demo-telecom": TELECOM, "demo-insurance": half_spaces(INSURANCE)}
