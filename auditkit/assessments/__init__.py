"""Gap analysis: assessing an organisation clause by clause against a checklist version, on a maturity scale
stored with each assessment, with live figures from the complaint register, scores, charts and reports."""
