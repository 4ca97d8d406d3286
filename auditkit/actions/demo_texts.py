"""What the demo corrective actions say, in the language of their organisation: Simplified Chinese for
demo-telecom, Persian for demo-insurance. Data for auditkit.actions.demo, whose PLOTS say when each step
happened and who took it; both are keyed by the same names.

A story names the complaint category it follows by code (a trend's subject, or where its source complaint
is looked for), the words its source complaint's description contains, its product, and the clauses of
ISO 10002:2018 it answers by number. Rounds are the plans made for it, in order: their tasks, how
effectiveness will be judged, what was said on implementing them and the verifier's comment. "~" is the
Persian half-space (ZWNJ), as in complaints.demo_profiles."""

from __future__ import annotations

from auditkit.actions.demo_texts_fa import INSURANCE
from auditkit.actions.demo_texts_zh import TELECOM
from auditkit.core.i18n import half_spaces

STORIES = {"demo-telecom": TELECOM, "demo-insurance": half_spaces(INSURANCE)}
