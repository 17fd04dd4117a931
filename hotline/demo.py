"""
The intake of the demo (cases.demo, through cases.hooks.register_demo_part): a collaborator's
report still waiting for triage, its clock running.
"""

from __future__ import annotations

from typing import Any

from hotline.models import CollaboratorReport, Urgency
from hotline.services import report_submit


def intake_demo(world: Any) -> None:
    collaborator = world.users["collaborator"]
    if CollaboratorReport.objects.filter(collaborator=collaborator).exists():
        return
    report_submit(
        actor=collaborator,
        child_name="Phương",
        child_age=6,
        place="Thôn 2, gần chợ",
        narrative="Hàng xóm nghe tiếng trẻ khóc nhiều đêm, thấy trẻ có vết bầm ở chân.",
        urgency=Urgency.HIGH,
    )
