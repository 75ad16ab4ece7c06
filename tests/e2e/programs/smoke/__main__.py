"""One dynamic resource whose provider derives an output from its input."""

import hashlib

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider


class DigestProvider(ResourceProvider):
    def create(self, props):
        digest = hashlib.sha256(props["text"].encode()).hexdigest()
        return CreateResult(id_=digest[:12], outs={"text": props["text"], "digest": digest})

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("text") != news.get("text"), replaces=["text"])


class Digest(Resource, module="smoke", name="Digest"):
    digest: pulumi.Output[str]

    def __init__(self, name, text, opts=None):
        super().__init__(DigestProvider(), name, {"text": text, "digest": None}, opts)


config = pulumi.Config()
d = Digest("greeting", config.get("text") or "hello")
pulumi.export("digest", d.digest)
