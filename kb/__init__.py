"""panel-kb's library: settings, models, embedding, store, search.

Everything the `kb` command and the HTTP API do goes through `KnowledgeBase`.
"""

from kb.knowledge_base import KnowledgeBase
from kb.settings import Settings

__all__ = ["KnowledgeBase", "Settings"]
