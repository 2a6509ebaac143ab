"""Per-record steps (normalize, deidentify, quality, department) and the global ones' helpers
(dedup, split, decontaminate): plain callables over records that count what they drop."""
