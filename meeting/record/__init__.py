"""The official record of a meeting (《城乡社区协商活动记录表》) and the exports of its log.

- ``build_record(rows, meeting_id)`` (model.py): the record from the event log alone;
- ``export(rows, meeting_id, fmt)`` (export.py): docx, pdf, md, html, or the raw log as json;
- ``routes(service)`` (routes.py): GET /j/{token}/record.{fmt} for staff once the meeting ended.
"""
from .export import FORMATS, Export, export, load_log, log_json
from .model import Record, build_record, link_events

__all__ = ["FORMATS", "Export", "export", "load_log", "log_json", "Record", "build_record", "link_events"]
