"""AI post tags: label, operator, manifest over the exact text, and the inference reference."""

from __future__ import annotations

from aiweb3.chain import dev_account
from aiweb3.provenance import registry_domain
from aiweb3.social import AI_LABEL, AI_LABEL_NAMESPACE, Identity, Operator, ai_post_tags, check_ai_post

DOMAIN = registry_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def test_ai_post_carries_label_operator_manifest_and_inference_reference() -> None:
    operator = Operator("acme", Identity.generate().pubkey, dev_account(4), DOMAIN)
    model_id, inference_tx = "0x" + "ab" * 32, "0x" + "cd" * 32
    text = "Approved: the model scored this request low-risk."
    tags = ai_post_tags(text, operator, model_id=model_id, inference_tx=inference_tx)
    post = Identity.generate().sign(1, text, tags)
    assert post.ai_labelled and post.labels(AI_LABEL_NAMESPACE) == [AI_LABEL]
    check = check_ai_post(post, [DOMAIN])
    assert check.ok, check.reason
    assert (check.model_id, check.inference_tx) == (model_id, inference_tx)
    assert check.operator == operator.pubkey and check.wallet == dev_account(4).address
    assert "acme" in repr(operator) and dev_account(4).key.hex() not in repr(operator)

    # the claim is signed: pointing the post at another inference breaks the manifest
    swapped = [list(t) for t in post.tags]
    for tag in swapped:
        if tag[0] == "manifest":
            tag[1] = tag[1].replace("cd" * 32, "ef" * 32)
    forged = Identity.generate().sign(1, text, swapped)
    assert not check_ai_post(forged).ok
