"""Knowledge-base use cases (知识库): shift leaders publish article versions, agents search them."""

from __future__ import annotations

from hotline_contracts.tenancy import ancestors_of
from intake.commands import PublishArticle, SearchArticles
from intake.deps import Deps
from intake.domain.knowledge import Article, rank, tokens


async def publish_article(tenant: str, cmd: PublishArticle, *, deps: Deps) -> Article:
    """Store a new version: one above the current, so the history stays readable."""
    current = await deps.knowledge.get(tenant, cmd.article_id)
    saved = Article(tenant=tenant, article_id=cmd.article_id, title=cmd.title, body=cmd.body, category=cmd.category,
                    version=current.version + 1 if current else 1, effective_from=cmd.effective_from,
                    effective_to=cmd.effective_to, author=cmd.author)
    await deps.knowledge.save(saved)
    return saved


async def search_articles(tenant: str, cmd: SearchArticles, *, deps: Deps, limit: int = 10) -> list[tuple[Article, float]]:
    """Effective articles of the tenant and its parents (hosted here), best match first; one (latest) version each."""
    words = tokens(cmd.text)
    if not words:
        return []
    tenants = [t for t in [tenant, *ancestors_of(tenant)] if t in deps.hosted]
    latest: dict[tuple[str, str], Article] = {}
    for article in await deps.knowledge.candidates(tenants, words):
        if not article.effective(cmd.at):
            continue
        key = (article.tenant, article.article_id)
        if key not in latest or latest[key].version < article.version:
            latest[key] = article
    return rank(latest.values(), cmd.text, cmd.at, limit)
