"""The tiny model's tokenizer can learn a data set's characters, so none is split into bytes."""

from __future__ import annotations

import json

from medqa.tiny_model import TinyModelSpec, build_tokenizer

TEXT = "患者：最近总是胸闷气短，夜间阵发性呼吸困难，双下肢水肿。医生：建议尽快到心内科就诊，查心脏彩超和BNP。"


def byte_split_characters(tokenizer, text: str) -> list[str]:
    """Characters that need more than one token of their own (byte-level fallback)."""
    return [
        c
        for c in dict.fromkeys(text)
        if len(tokenizer(c, add_special_tokens=False)["input_ids"]) > 1
    ]


def test_characters_of_the_given_files_become_whole_tokens(tmp_path):
    data = tmp_path / "crawl.jsonl"
    record = {"question": TEXT[:30], "answers": [{"text": TEXT[30:]}]}
    line = json.dumps(record, ensure_ascii=False) + "\n"
    data.write_text(line * 5, encoding="utf-8")  # a crawl repeats its characters
    plain = build_tokenizer(TinyModelSpec())
    taught = build_tokenizer(TinyModelSpec(vocab_size=4096, tokenizer_files=(str(data),)))
    assert byte_split_characters(plain, TEXT)  # the bundled corpus alone lacks some of them
    assert byte_split_characters(taught, TEXT) == []
    ids = taught(TEXT, add_special_tokens=False)["input_ids"]
    assert taught.decode(ids) == TEXT and len(ids) < len(plain(TEXT)["input_ids"])
