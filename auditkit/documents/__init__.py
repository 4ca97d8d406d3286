"""Generated documents, for every feature: `rendering.render()` fills a Word template from a plain context
(templates looked up per organisation, then per deployment, then as shipped; Persian right to left, Chinese
fonts), `services.register()` keeps the file with its sha256, source record, author and the data snapshot it
was built from, and the pages under /o/<slug>/documents list, download and verify them. This package imports
no feature: features call it."""
