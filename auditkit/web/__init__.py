"""The base layout, shared macros, our own static assets, error pages, and the pages that belong to no
feature: home, language switch, health check."""
