"""The standard: clause libraries (ISO 10002:2018 and imported frameworks) and the checklists built on
them, loaded from checklists/, validated, versioned by content hash, browsed, copied and edited."""
