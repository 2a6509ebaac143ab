"""What is served under a model name: its ``/v1/models`` entry and a short probe completion.

LLaMA-Factory (and vLLM with ``--served-model-name``) serve any weights under any name, so the
name alone cannot key a response cache: after a retrain the same name answers differently. At the
start of each run the client fetches the model's ``/v1/models`` entry (only the fields that name
what is loaded: ``created`` and vLLM's per-request ``permission`` ids are left out) and asks one short fixed question at temperature 0 (greedy on LLaMA-Factory's
huggingface and vLLM backends). The digest of both goes into every cache key, so answers of one
model are never served for another; a run whose cache holds answers of another fingerprint under
the same name says so. An endpoint whose probe is not deterministic (two probes differ) is
fingerprinted by its ``/v1/models`` entry only, and the run says that too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from eval.client import ChatClient

PROBE = [{"role": "user", "content": "用一句话说明成人高血压的诊断标准。"}]
PROBE_PARAMS = {"temperature": 0.0, "max_tokens": 16, "seed": 0}
# The entry fields that name what is loaded (vLLM also sends ``created`` and a ``permission`` list
# with a fresh id on every request: those would change the fingerprint each time).
STABLE = ("id", "object", "owned_by", "root", "parent", "max_model_len")


@dataclass(frozen=True)
class Fingerprint:
    """A served model's digest (16 hex digits) and what it was computed from."""

    digest: str
    entry: dict
    probe: str | None  # None: the endpoint is not deterministic, the entry alone was used

    @property
    def deterministic(self) -> bool:
        return self.probe is not None


def _digest(entry: dict, probe: str | None) -> str:
    blob = orjson.dumps({"entry": entry, "probe": probe}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:16]


async def _entry(client: ChatClient, name: str) -> dict:
    if client.model_entry is None:  # --model given: find its entry
        listed = await client.list_models()
        client.model_entry = next((m for m in listed if m.get("id") == name), {"id": name})
    return {k: v for k, v in client.model_entry.items() if k in STABLE}


async def probe_text(client: ChatClient) -> str:
    """The probe's answer (thinking and text)."""
    completion = await client.complete(PROBE, **PROBE_PARAMS)
    return (completion.reasoning or "") + completion.text


async def fingerprint(client: ChatClient, check_determinism: bool = False) -> Fingerprint:
    """The fingerprint of what ``client``'s first endpoint serves under its model name; the probe
    goes through a separate client so the run's request statistics leave it out. With
    ``check_determinism`` the probe is asked twice and, if the answers differ, left out."""
    name = await client.model_name()
    entry = await _entry(client, name)
    prober = ChatClient(
        client.base_urls[0], name, client.api_key, timeout=client.timeout, retry=client.retry
    )
    try:
        probe: str | None = await probe_text(prober)
        if check_determinism and await probe_text(prober) != probe:
            probe = None
    finally:
        await prober.aclose()
    return Fingerprint(_digest(entry, probe), entry, probe)
