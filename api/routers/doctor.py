"""POST /v1/doctor: the store's consistency check (and repair), for writers.

`kb doctor` goes through it when a `kb serve` owns the store: the server is then
the only process that may open the store's files.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.dependencies import get_kb, get_settings
from api.responses import error_responses
from kb import KnowledgeBase, Settings
from kb.models import DoctorReport

router = APIRouter(prefix="/v1", tags=["maintenance"])


class DoctorRequest(BaseModel):
    repair: bool = Field(False, strict=True, description="Fix what is found (takes the store's write lock).")


@router.post("/doctor", response_model=DoctorReport, responses=error_responses(409))
def doctor(body: DoctorRequest, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> DoctorReport:
    """Do Chroma's passages, the document records and the keyword index agree? With `repair`, make them."""
    return kb.doctor(body.repair, settings.write_wait)
