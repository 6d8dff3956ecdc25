"""Every model of ``docs_library``, fields and small methods about the row itself.

Behaviour (services, tasks, mail, views) imports these; they import no
behaviour. ``from docs_library.models import X`` names any of them.
"""

from .approval import ApprovalDecision, ApprovalRoute, ParallelApprovalTask
from .assignments import (
    OPEN_STATES,
    Assignment,
    AssignmentReminder,
    DigestEntry,
    Execution,
    ExecutionState,
    ReminderKind,
)
from .circulation import (
    Acknowledgement,
    CircularAddressee,
    Distribution,
    MailPreference,
    Status,
    distribution_status,
    is_overdue_date,
)
from .files import (
    DocumentVersion,
    ExtractionFailure,
    ExtractionStatus,
    LibraryDocument,
    document_upload_to,
    preview_upload_to,
    private_storage,
    version_upload_to,
)
from .journals import JOURNAL_CODES, EntrySource, JournalCounter, JournalEntry, JournalKind
from .lifecycle import CountedFrom, OrganisationReviewTask, RequestChangesForm, RetentionRule
from .records import (
    ADDRESSABLE_LEVELS,
    DOCUMENT_TYPE_CODES,
    AccessLevel,
    Addressing,
    DocumentAccess,
    DocumentAttachment,
    DocumentLanguage,
    DocumentLibraryPage,
    DocumentPage,
    DocumentPageForm,
    DocumentPageQuerySet,
    DocumentPageTag,
    DocumentType,
    RegistrationSequence,
)

__all__ = [
    "ADDRESSABLE_LEVELS",
    "DOCUMENT_TYPE_CODES",
    "OPEN_STATES",
    "AccessLevel",
    "Acknowledgement",
    "Addressing",
    "ApprovalDecision",
    "ApprovalRoute",
    "Assignment",
    "AssignmentReminder",
    "CircularAddressee",
    "CountedFrom",
    "Distribution",
    "DigestEntry",
    "DocumentAccess",
    "DocumentAttachment",
    "DocumentLanguage",
    "DocumentLibraryPage",
    "DocumentPage",
    "DocumentPageForm",
    "DocumentPageQuerySet",
    "DocumentPageTag",
    "DocumentType",
    "DocumentVersion",
    "EntrySource",
    "Execution",
    "ExecutionState",
    "ExtractionFailure",
    "ExtractionStatus",
    "JOURNAL_CODES",
    "JournalCounter",
    "JournalEntry",
    "JournalKind",
    "LibraryDocument",
    "MailPreference",
    "OrganisationReviewTask",
    "ParallelApprovalTask",
    "RegistrationSequence",
    "ReminderKind",
    "RequestChangesForm",
    "RetentionRule",
    "Status",
    "distribution_status",
    "document_upload_to",
    "is_overdue_date",
    "preview_upload_to",
    "private_storage",
    "version_upload_to",
]
