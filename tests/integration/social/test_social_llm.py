"""One AI-account answer written by the real embedded model (SmolLM2-135M via node-llama-cpp):
the model is asked, its draft is checked, and whatever is posted stays on policy."""

from __future__ import annotations

from pathlib import Path

from aiweb3.chain import Chain, dev_account
from aiweb3.chain.contracts import Deployment
from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
from aiweb3.llm.runtime import RuntimeInfo
from aiweb3.provenance import registry_domain
from aiweb3.social import (
    AIAccount,
    Identity,
    NostrClient,
    Operator,
    Persona,
    Rules,
    check_ai_post,
    output_violations,
    reply_tags,
    save_account_files,
)


def test_the_embedded_model_drafts_an_answer_that_is_checked_before_posting(
    tmp_path: Path,
    nostr: NostrClient,
    llm_runtime: RuntimeInfo,
    aiweb3_home: Path,
    chain: Chain,
    deployments: dict[str, Deployment],
) -> None:
    model = load_model(LLMConfig(home=aiweb3_home, timeout=180), embedded=True)
    assert isinstance(model, OpenAICompatible)
    rules = Rules(topics=("zkml",), tone="concise")
    save_account_files(tmp_path / "helper", Persona("Helper", "explains zkml simply"), rules, "ops")
    domain = registry_domain(chain.chain_id, deployments["CreatorRegistry"].address)
    operator = Operator("ops", Identity.generate().pubkey, dev_account(5), domain)
    account = AIAccount(tmp_path / "helper", Identity.generate(), operator, nostr, model)

    asker = Identity.generate()
    root = asker.sign(1, "starting to learn zkml")
    question = asker.sign(1, "what does zkml let a model prove?", reply_tags(root))
    nostr.publish_many([root, question])
    action = account.answer(question)

    assert action.outcome == "posted", action
    # the model was really asked: either its draft was posted or it was dropped, with the reason
    assert action.source == "model" or action.reason.startswith("model draft dropped"), action
    post = nostr.fetch({"ids": [action.event_id]})[0]  # type: ignore[list-item]
    assert post.reply_to == question.id and check_ai_post(post, [domain]).ok
    problems = output_violations(post.content, topics=rules.topics, secrets=[], rules_text=rules.describe())
    assert problems == []
