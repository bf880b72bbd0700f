"""Knowledge-base use cases (知识库): shift leaders publish article versions, agents search them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intake.domain.knowledge import Article, rank, tokens
from intake.ports import KnowledgeStore


async def publish_article(article: Article, *, store: KnowledgeStore) -> Article:
    """Store a new version: one above the current, so the history stays readable."""
    current = await store.get(article.tenant, article.article_id)
    version = current.version + 1 if current else 1
    saved = Article(**{**article.__dict__, "version": version})
    await store.save(saved)
    return saved


async def search(tenants: Sequence[str], query: str, now: datetime, *, store: KnowledgeStore, limit: int = 10) -> list[tuple[Article, float]]:
    """Effective articles of the caller's unit and its parents, best match first; one (latest) version each."""
    words = tokens(query)
    if not words:
        return []
    latest: dict[tuple[str, str], Article] = {}
    for article in await store.candidates(tenants, words):
        if not article.effective(now):
            continue
        key = (article.tenant, article.article_id)
        if key not in latest or latest[key].version < article.version:
            latest[key] = article
    return rank(latest.values(), query, now, limit)
