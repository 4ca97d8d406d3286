"""Corrective actions: the register that closes the loop of ISO 10002 7.7, 8.2 and 8.7."""
