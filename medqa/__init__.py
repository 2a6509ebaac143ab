"""medqa-factory: Chinese medical Q&A → fine-tuned, served and measured Qwen (LLaMA-Factory bundle)."""

__version__ = "0.1.0"
