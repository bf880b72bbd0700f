"""Knowledge base (知识库): articles with categories, versions and effective dates; Chinese word search."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import jieba

jieba.setLogLevel(logging.WARNING)
_STOP = set("的 了 是 在 和 与 或 及 我 你 他 吗 呢 吧 啊 怎么 什么 如何 为什么 哪里 可以 需要 请问".split())


def tokens(text: str) -> list[str]:
    """Search words of `text` (jieba search mode): lower-cased, no punctuation or stop words, unique."""
    out: list[str] = []
    for word in jieba.cut_for_search(text):
        word = word.strip().lower()
        if word and word not in _STOP and any(ch.isalnum() for ch in word) and word not in out:
            out.append(word)
    return out


@dataclass(frozen=True)
class Article:
    """知识条目: one version of an article; the highest effective version is the one shown."""

    tenant: str
    article_id: str
    title: str
    body: str
    category: str
    version: int
    effective_from: datetime
    effective_to: datetime | None = None
    author: str = ""

    def effective(self, now: datetime) -> bool:
        return self.effective_from <= now and (self.effective_to is None or now < self.effective_to)

    def words(self) -> list[str]:
        return tokens(f"{self.title} {self.title} {self.category} {self.body}")


def rank(articles: Iterable[Article], query: str, now: datetime, limit: int = 10) -> list[tuple[Article, float]]:
    """Effective articles scored by shared words; a title hit counts double."""
    wanted = tokens(query)
    if not wanted:
        return []
    scored = []
    for article in articles:
        if not article.effective(now):
            continue
        title = set(tokens(article.title))
        body = set(article.words())
        score = sum(2.0 if w in title else 1.0 for w in wanted if w in body)
        if score:
            scored.append((article, score / len(wanted)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].article_id))
    return scored[:limit]
