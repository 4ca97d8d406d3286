"""The live complaint register: records, the clause-7 lifecycle, targets and clocks, references."""
