"""medqa-factory data preparation: readers → steps → writers, driven by a recipe YAML.

Raw crawl records and public Chinese medical datasets become clean, de-identified, de-duplicated,
leakage-safe LLaMA-Factory datasets (alpaca + sharegpt JSONL, ``dataset_info.json`` entries) with
``stats.json``, PNG charts and one HTML report. Entry point: ``medqa prep run``.
"""
