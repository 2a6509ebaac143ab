"""Evaluation of served models (``medqa eval``): exams, open QA, RAG, safety probes, reports.

Library APIs other stages reuse:

* ``eval.client.ChatClient`` — async OpenAI-compatible client: ``await complete(messages,
  **params)`` → ``Completion``; ``async for delta in stream(messages, **params)``; replicas,
  bounded concurrency, retries with backoff; failures raise ``eval.client.EndpointError``.
* ``eval.rag.BM25Retriever`` — ``from_folder(path)``, ``search(query, k)`` → hits with ``id``,
  ``source``, ``text``, ``score``; ``eval.rag.format_rag_prompt(question, hits)``.
* ``eval.safety`` — ``detect_red_flags(text)`` → ``RedFlag``s (``name``, ``advice`` in Chinese),
  ``advises_urgent_care(answer)``, ``has_disclaimer(answer)``, ``DISCLAIMER``.
* ``eval.extract.extract_choice(text, options)`` — robust exam answer extraction.
* ``eval.metrics.similarity(pred, label)`` — BLEU-4/ROUGE exactly as LLaMA-Factory computes them.

Benchmarks are YAML task files (``eval/tasks/*.yaml``, see ``eval.taskspec``).
"""
