"""THE gate. Which role may do what (PERMISSIONS) and which rows it may touch (scope rules).

Every page, export, API call, import and CLI command goes through these three functions:
- `require(actor, entity, action)`: raise PermissionDenied unless the role may do it at all;
- `scoped_queryset(actor, Model, action="view")`: the rows of Model the actor may see;
- `access_object(actor, Model, pk, action)`: one row, or NotFoundOrForbidden (same for missing
  and out-of-scope, so ids cannot be probed).
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q

from weijian.accounts.roles import Role, Scope
from weijian.core.errors import NotFoundOrForbidden

R = Role
BUSINESS_READERS = {R.COMMISSION_SCIENCE, R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION}
COMMISSION = {R.COMMISSION_SCIENCE, R.COMMISSION_INFO}

# entity -> action -> roles allowed. Actions: list, view, create, update, delete, export, import, reveal.
PERMISSIONS: dict[str, dict[str, set[Role]]] = {
    "division": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "create": {R.COMMISSION_INFO},
        "update": {R.COMMISSION_INFO},
        "delete": {R.COMMISSION_INFO},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_INFO},
    },
    "institution": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "create": {R.COMMISSION_INFO, R.DISTRICT},
        "update": {R.COMMISSION_INFO, R.DISTRICT},
        "delete": {R.COMMISSION_INFO, R.DISTRICT},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_INFO, R.DISTRICT},
    },
    "worker": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "update": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "delete": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        # Full ID number: the registry keepers in scope, and the worker for themself.
        "reveal": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION, R.HEALTH_WORKER},
    },
    "audit": {"list": {R.AUDIT_ADMIN}, "view": {R.AUDIT_ADMIN}, "export": {R.AUDIT_ADMIN}},
    # System admin: accounts and settings. Security admin: roles, lockouts, 2FA resets.
    "account": {
        "list": {R.SYSTEM_ADMIN, R.SECURITY_ADMIN},
        "view": {R.SYSTEM_ADMIN, R.SECURITY_ADMIN},
        "create": {R.SYSTEM_ADMIN},
        "update": {R.SYSTEM_ADMIN},
        "delete": {R.SYSTEM_ADMIN},
        "export": {R.SYSTEM_ADMIN, R.SECURITY_ADMIN},
        "assign-role": {R.SECURITY_ADMIN},
        "unlock": {R.SECURITY_ADMIN},
        "reset-totp": {R.SECURITY_ADMIN},
    },
    "import-job": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
    },
    # CME (继续医学教育). Institutions apply for municipal projects and endorse them; the commission's
    # science and education office approves. Credits are kept by the worker's institution and above.
    "cme-project": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "endorse": {R.INSTITUTION, R.DISTRICT},
        "approve": {R.COMMISSION_SCIENCE},
        "update": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_SCIENCE},  # national and provincial project lists
    },
    # A session's QR check-in: the host opens it, workers check themselves in.
    "cme-checkin": {
        "list": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "view": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "check-in": {R.HEALTH_WORKER},
    },
    "cme-activity-type": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_SCIENCE},
        "update": {R.COMMISSION_SCIENCE},
    },
    "cme-policy": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "update": {R.COMMISSION_SCIENCE},
    },
    "cme-spot-check": {
        "list": {R.COMMISSION_SCIENCE, R.DISTRICT},
        "view": {R.COMMISSION_SCIENCE, R.DISTRICT},
        "create": {R.COMMISSION_SCIENCE},  # draw a sample
        "update": {R.COMMISSION_SCIENCE, R.DISTRICT},  # record findings
        "export": {R.COMMISSION_SCIENCE, R.DISTRICT},
    },
    "cme-cycle": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "run": {R.COMMISSION_SCIENCE, R.DISTRICT},
        "export": BUSINESS_READERS,
    },
    "cme-attendance": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},  # sign-in sheets
    },
    "cme-credit": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        # A worker reports his own self-study, papers, lectures (pending until verified).
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION, R.HEALTH_WORKER},
        # The chain: department and institution steps by the institution, the last by the commission.
        "verify": {R.COMMISSION_SCIENCE, R.INSTITUTION},
        "export": BUSINESS_READERS,
        "import": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},  # e-learning platform files
    },
    "cme-requirement": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "update": {R.COMMISSION_SCIENCE},
    },
    "cme-exemption": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        # The institution (or the worker himself) applies; the district or the commission decides.
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION, R.HEALTH_WORKER},
        "approve": {R.COMMISSION_SCIENCE, R.DISTRICT},
    },
    # Data-quality control (数据质量控制): the information centre keeps the rules and runs the checks;
    # results and tickets follow the uploading source's institution; the institution acknowledges and
    # fixes its tickets, the information centre verifies them.
    "dq-rule": {"list": BUSINESS_READERS, "view": BUSINESS_READERS, "create": {R.COMMISSION_INFO},
                "update": {R.COMMISSION_INFO}},
    "dq-run": {"list": BUSINESS_READERS, "view": BUSINESS_READERS, "run": {R.COMMISSION_INFO}},
    "dq-result": {"list": BUSINESS_READERS, "view": BUSINESS_READERS, "export": BUSINESS_READERS},
    "dq-ticket": {"list": BUSINESS_READERS, "view": BUSINESS_READERS,
                  "acknowledge": {R.INSTITUTION, R.COMMISSION_INFO}, "fix": {R.INSTITUTION, R.COMMISSION_INFO},
                  "verify": {R.COMMISSION_INFO}},
    # Target assessment (工作要点与目标考核): the commission builds and freezes the year's work plan and
    # computes it; everyone in business reads the plan and the results of his own scope.
    "target-plan": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "create": COMMISSION,
        "update": COMMISSION,
        "freeze": COMMISSION,
    },
    "target-assessment": {
        "list": BUSINESS_READERS,
        "view": BUSINESS_READERS,
        "run": COMMISSION,
        "export": BUSINESS_READERS,
    },
    "cme-audit": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "run": {R.COMMISSION_SCIENCE, R.DISTRICT},
        "export": BUSINESS_READERS,
    },
    "cme-indicator": {"view": BUSINESS_READERS},
    # Research projects (科研项目). Calls are the commission's; anyone in business roles reads them.
    "research-call": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_SCIENCE},
        "update": {R.COMMISSION_SCIENCE},
        "export": BUSINESS_READERS,
    },
    # The PI writes and submits his own application; the institution's science & education department
    # endorses or returns it; the commission assigns experts and decides.
    "research-application": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.HEALTH_WORKER},
        "update": {R.HEALTH_WORKER},
        "endorse": {R.INSTITUTION},
        "decide": {R.COMMISSION_SCIENCE},
        "export": BUSINESS_READERS,
    },
    "research-expert": {
        "list": {R.COMMISSION_SCIENCE},
        "view": {R.COMMISSION_SCIENCE},
        "create": {R.COMMISSION_SCIENCE},
        "update": {R.COMMISSION_SCIENCE},
    },
    # Experts see and score only their own assignments; the commission assigns and sees them all.
    "research-review": {
        "list": {R.COMMISSION_SCIENCE, R.EXPERT},
        "view": {R.COMMISSION_SCIENCE, R.EXPERT},
        "assign": {R.COMMISSION_SCIENCE},
        "score": {R.EXPERT},
    },
    # Ethics approvals (批件) in force; the PI sees his own.
    "research-ethics": {
        "list": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "view": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "create": {R.ETHICS},
    },
    # Ethics committees (伦理委员会): the commission or the institution sets one up; its members and the
    # institution keep its membership. A committee's logins (role ETHICS) act only for their committees.
    "research-ethics-committee": {
        "list": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "view": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "create": {R.COMMISSION_SCIENCE, R.INSTITUTION},
        "update": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
        "export": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
    },
    # Submissions to a committee: the PI submits; the committee accepts, reviews and decides; the
    # commission and the institution read.
    "research-ethics-submission": {
        "list": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "view": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS, R.HEALTH_WORKER},
        "submit": {R.HEALTH_WORKER},
        "review": {R.ETHICS},
        "export": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
    },
    "research-ethics-meeting": {
        "list": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
        "view": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
        "create": {R.ETHICS},
        "update": {R.ETHICS},
        "export": {R.COMMISSION_SCIENCE, R.INSTITUTION, R.ETHICS},
    },
    "research-integrity": {
        "list": {R.COMMISSION_SCIENCE},
        "view": {R.COMMISSION_SCIENCE},
        "create": {R.COMMISSION_SCIENCE},
    },
    # Achievements are registered by their institution (or district); the commission appraises them,
    # records awards and publishes appropriate technologies; everyone in business roles may search
    # the appropriate-technology library (primary care is its audience).
    "research-achievement": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_SCIENCE, R.DISTRICT, R.INSTITUTION},
        "appraise": {R.COMMISSION_SCIENCE},
        "export": BUSINESS_READERS,
    },
    # Terminology (术语与字典) is reference data, not personal data: every business role and the health
    # workers read it; the commission's information centre keeps it. An institution also keeps the concept
    # maps of its own local codes (`concept_map_in_write_scope`).
    "terminology-code-system": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_INFO},
        "update": {R.COMMISSION_INFO},
        "import": {R.COMMISSION_INFO},
        "export": BUSINESS_READERS,
    },
    "terminology-value-set": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_INFO},
        "update": {R.COMMISSION_INFO},
        "import": {R.COMMISSION_INFO},
        "export": BUSINESS_READERS,
    },
    "terminology-concept-map": {
        "list": BUSINESS_READERS | {R.HEALTH_WORKER},
        "view": BUSINESS_READERS | {R.HEALTH_WORKER},
        "create": {R.COMMISSION_INFO, R.INSTITUTION},
        "update": {R.COMMISSION_INFO, R.INSTITUTION},
        "import": {R.COMMISSION_INFO, R.INSTITUTION},
        "export": BUSINESS_READERS,
    },
    # The health-record platform. Clinical content ("health-record") is further limited per resident by
    # `clinical_filter` below; sources and uploads are operational metadata.
    "health-record": {
        "view": {R.HEALTH_WORKER, R.DATA_SOURCE, R.COMMISSION_INFO},
        "create": {R.DATA_SOURCE},
        "update": {R.DATA_SOURCE},
        "delete": {R.DATA_SOURCE},
        "break-glass": {R.HEALTH_WORKER},
    },
    "record-source": {
        "list": {R.COMMISSION_INFO, R.DISTRICT},
        "view": {R.COMMISSION_INFO, R.DISTRICT},
        "create": {R.COMMISSION_INFO},
        "update": {R.COMMISSION_INFO},
    },
    "record-upload": {
        "list": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION, R.DATA_SOURCE},
        "view": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION, R.DATA_SOURCE},
        "create": {R.DATA_SOURCE},
        "export": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION, R.DATA_SOURCE},
    },
    "record-grant": {
        "list": {R.SECURITY_ADMIN},
        "create": {R.SECURITY_ADMIN},
        "update": {R.SECURITY_ADMIN},
        "revoke": {R.SECURITY_ADMIN},
    },
    # The master patient index: the information centre keeps it (merges, unmerges, review decisions).
    "mpi-person": {
        "list": {R.COMMISSION_INFO},
        "view": {R.COMMISSION_INFO},
        "export": {R.COMMISSION_INFO},
        "merge": {R.COMMISSION_INFO},
        "unmerge": {R.COMMISSION_INFO},
    },
    # Possible matches: the information centre decides them (a district bureau sees its own district's).
    "mpi-review": {
        "list": {R.COMMISSION_INFO, R.DISTRICT},
        "view": {R.COMMISSION_INFO, R.DISTRICT},
        "export": {R.COMMISSION_INFO, R.DISTRICT},
        "decide": {R.COMMISSION_INFO},
    },
    # The matching model: trained, compared and switched on by the information centre.
    "mpi-model": {
        "list": {R.COMMISSION_INFO},
        "view": {R.COMMISSION_INFO},
        "train": {R.COMMISSION_INFO},
        "activate": {R.COMMISSION_INFO},
    },
    # $match and PIX queries (the FHIR API): the information centre and the record sources.
    "mpi-query": {
        "match": {R.COMMISSION_INFO, R.DATA_SOURCE},
    },
    # Resident health cards (居民健康卡): institutions and their card readers (data-source accounts) issue and swipe
    # cards at their own institution (a swipe finds any card of the city, by its exact number, audited); a
    # district bureau reads its district's cards; the information centre everything, and the pilot scope.
    "health-card": {
        "list": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "view": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "export": {R.COMMISSION_INFO, R.DISTRICT, R.INSTITUTION},
        "issue": {R.COMMISSION_INFO, R.INSTITUTION, R.DATA_SOURCE},
        "update": {R.COMMISSION_INFO, R.INSTITUTION},
        "lookup": {R.COMMISSION_INFO, R.INSTITUTION, R.DATA_SOURCE},
        "use": {R.INSTITUTION, R.DATA_SOURCE},
        "settings": {R.COMMISSION_INFO},
    },
}

# Which entity name a model answers to, and how each scope narrows it.
# A rule is a function(actor) -> Q; absent scopes see nothing.

# Rows that belong to one health worker follow the worker's institution.
_by_worker = {
    Scope.CITY: lambda a: Q(),
    Scope.DISTRICT: lambda a: Q(worker__institution__district_id=a.district_id),
    Scope.INSTITUTION: lambda a: Q(worker__institution_id=a.institution_id),
    Scope.SELF: lambda a: Q(worker_id=a.worker_id),
}

# Reference data every reader sees whole, whatever the scope.
_everyone = {
    Scope.CITY: lambda a: Q(),
    Scope.DISTRICT: lambda a: Q(),
    Scope.INSTITUTION: lambda a: Q(),
    Scope.SELF: lambda a: Q(),
}

_business_wide = {
    Scope.CITY: lambda a: Q(),
    Scope.DISTRICT: lambda a: Q(),
    Scope.INSTITUTION: lambda a: Q(),
}
_results_scope = {
    Scope.CITY: lambda a: Q(),
    Scope.DISTRICT: lambda a: Q(district_code=a.district_id),
    Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
}


def _ethics_committees(user_id):
    """The committees a login is an active member of (a subquery of committee ids): where an ethics
    committee's account may look and act."""
    member = apps.get_model("research", "EthicsMember")
    return member.objects.filter(user_id=user_id, is_active=True).values("committee_id")


def _on_team(worker_id) -> Exists:
    """EXISTS (a team row of this worker for the application): no join, so no duplicate rows."""
    team = apps.get_model("research", "TeamMember")
    return Exists(team.objects.filter(application_id=OuterRef("pk"), worker_id=worker_id))


SCOPE_RULES: dict[str, dict[Scope, callable]] = {
    "orgs.division": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(pk=a.district_id) | Q(parent_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(pk=a.institution.district_id) | Q(parent_id=a.institution.district_id),
    },
    "orgs.institution": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(pk=a.institution_id),
    },
    "workforce.worker": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(pk=a.worker_id),
    },
    "imports.importjob": {
        # Import jobs are private to the uploader whatever the scope.
        Scope.CITY: lambda a: Q(uploaded_by_id=a.pk),
        Scope.DISTRICT: lambda a: Q(uploaded_by_id=a.pk),
        Scope.INSTITUTION: lambda a: Q(uploaded_by_id=a.pk),
    },
    # CME: published projects are the city's catalogue; drafts stay with their host's district/institution.
    "cme.cmeproject": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(status__in=("approved", "held")) | Q(host__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(status__in=("approved", "held")) | Q(host_id=a.institution_id),
    },
    "cme.attendance": _by_worker,
    "cme.creditrecord": _by_worker,
    "cme.exemption": _by_worker,
    "cme.annualaudit": _by_worker,
    "cme.cyclecertification": _by_worker,
    "cme.creditevidence": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(record__worker__institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(record__worker__institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(record__worker_id=a.worker_id),
    },
    "cme.checkinwindow": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(project__host__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(project__host_id=a.institution_id),
    },
    # Draws are city-wide; a district sees the sampled projects it hosts and records their findings.
    "cme.spotcheckdraw": {Scope.CITY: lambda a: Q(), Scope.DISTRICT: lambda a: Q()},
    "cme.spotcheckitem": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(project__host__district_id=a.district_id),
    },
    "cme.activitytype": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(),
        Scope.SELF: lambda a: Q(is_active=True),
    },
    "cme.cmepolicy": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(),
    },
    # Requirements are city-wide rules: every business reader sees all of them.
    "cme.creditrequirement": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(),
    },
    "research.call": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: ~Q(status="draft"),
        Scope.INSTITUTION: lambda a: ~Q(status="draft"),
        Scope.SELF: lambda a: ~Q(status="draft"),
    },
    # An application follows its institution; a worker sees those he leads or is on the team of.
    "research.application": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(pi_id=a.worker_id) | Q(_on_team(a.worker_id)),
    },
    "research.expert": {Scope.CITY: lambda a: Q()},
    "research.reviewassignment": {
        Scope.CITY: lambda a: Q(),
        Scope.NONE: lambda a: Q(expert__user_id=a.pk),  # an expert: his own assignments only
    },
    "research.ethicsapproval": {
        Scope.CITY: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(application__institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(application__pi_id=a.worker_id),
        # an ethics committee: what it recorded, and what its decisions granted
        Scope.NONE: lambda a: Q(recorded_by_id=a.pk) | Q(submission__committee_id__in=_ethics_committees(a.pk)),
    },
    # Committees and their members are public to the city's researchers (they choose where to submit);
    # an institution sees its own; an ethics committee's account only the committees it sits on.
    "research.ethicscommittee": {
        Scope.CITY: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(is_active=True),
        Scope.NONE: lambda a: Q(pk__in=_ethics_committees(a.pk)),
    },
    "research.ethicsmember": {
        Scope.CITY: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(committee__institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(committee__is_active=True, is_active=True),
        Scope.NONE: lambda a: Q(committee_id__in=_ethics_committees(a.pk)),
    },
    # A submission is read by the institution of the application and the committee's institution, by the
    # PI, and by the committee it was made to.
    "research.ethicssubmission": {
        Scope.CITY: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(application__institution_id=a.institution_id)
        | Q(committee__institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(application__pi_id=a.worker_id),
        Scope.NONE: lambda a: Q(committee_id__in=_ethics_committees(a.pk)),
    },
    "research.ethicsmeeting": {
        Scope.CITY: lambda a: Q(),
        Scope.INSTITUTION: lambda a: Q(committee__institution_id=a.institution_id),
        Scope.NONE: lambda a: Q(committee_id__in=_ethics_committees(a.pk)),
    },
    "research.integritycase": {Scope.CITY: lambda a: Q()},
    "research.achievement": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
        Scope.SELF: lambda a: Q(lead_id=a.worker_id),
    },
    "terminology.codesystem": _everyone,
    "terminology.concept": _everyone,
    "terminology.valueset": _everyone,
    "terminology.valuesetinclude": _everyone,
    "terminology.conceptmap": _everyone,
    "terminology.conceptmapelement": _everyone,
    "records.source": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(institution__district_id=a.district_id),
    },
    "records.upload": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(source__institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(source__account_id=a.pk) if a.role == R.DATA_SOURCE
        else Q(source__institution_id=a.institution_id),
    },
    "records.clinicalgrant": {Scope.NONE: lambda a: Q()},
    # Cards by issuing institution; a card's events also where they happened (an institution sees its own swipes).
    "mpi.healthcard": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(institution_id=a.institution_id),
    },
    "mpi.cardevent": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(card__institution__district_id=a.district_id),
        Scope.INSTITUTION: lambda a: Q(card__institution_id=a.institution_id) | Q(institution_id=a.institution_id),
    },
    "mpi.cardpilotscope": {Scope.CITY: lambda a: Q()},
    # The index itself is the information centre's; a district bureau follows the review queue of the
    # patients its district's institutions sent.
    "mpi.person": {Scope.CITY: lambda a: Q()},
    "mpi.sourceidentity": {Scope.CITY: lambda a: Q()},
    "mpi.linkevent": {Scope.CITY: lambda a: Q()},
    "mpi.reviewitem": {
        Scope.CITY: lambda a: Q(),
        Scope.DISTRICT: lambda a: Q(identity__institution__district_id=a.district_id),
    },
    "mpi.linkagemodel": {Scope.CITY: lambda a: Q()},
    "mpi.mpijob": {Scope.CITY: lambda a: Q()},
    "dq.dqrule": _business_wide,
    "dq.dqruleversion": _business_wide,
    "dq.dqrun": _business_wide,
    "dq.dqweight": _business_wide,
    "dq.dqresult": _results_scope,
    "dq.dqticket": _results_scope,
    # A plan is the city's rules: every business reader sees all of it. Results follow the unit: a district
    # bureau sees its district and its institutions, an institution itself (the city's own row: the city).
    "targets.workplan": _business_wide,
    "targets.planitem": _business_wide,
    "targets.plantarget": _business_wide,
    "targets.assessment": _business_wide,
    "targets.assessmentvalue": _results_scope,
    "targets.assessmenttotal": _results_scope,
    "audit.auditevent": {Scope.NONE: lambda a: Q()},  # the audit admin (scope none) sees all of it
    "accounts.user": {Scope.NONE: lambda a: Q()},
}

MODEL_ENTITY = {
    "orgs.division": "division",
    "orgs.institution": "institution",
    "workforce.worker": "worker",
    "imports.importjob": "import-job",
    "audit.auditevent": "audit",
    "accounts.user": "account",
    "cme.cmeproject": "cme-project",
    "cme.attendance": "cme-attendance",
    "cme.creditrecord": "cme-credit",
    "cme.creditrequirement": "cme-requirement",
    "cme.exemption": "cme-exemption",
    "cme.annualaudit": "cme-audit",
    "cme.cyclecertification": "cme-cycle",
    "cme.creditevidence": "cme-credit",
    "cme.checkinwindow": "cme-checkin",
    "cme.spotcheckdraw": "cme-spot-check",
    "cme.spotcheckitem": "cme-spot-check",
    "cme.activitytype": "cme-activity-type",
    "cme.cmepolicy": "cme-policy",
    "research.call": "research-call",
    "research.application": "research-application",
    "research.teammember": "research-application",
    "research.applicationevent": "research-application",
    "research.applicationattachment": "research-application",
    "research.expert": "research-expert",
    "research.expertconflict": "research-expert",
    "research.reviewassignment": "research-review",
    "research.ethicsapproval": "research-ethics",
    # The main model of an entity last: the audit pages name an entity's fields after it.
    "research.ethicsmember": "research-ethics-committee",
    "research.ethicscommittee": "research-ethics-committee",
    "research.ethicsrecusal": "research-ethics-submission",
    "research.ethicsvote": "research-ethics-submission",
    "research.ethicssubmission": "research-ethics-submission",
    "research.ethicsmeetingattendance": "research-ethics-meeting",
    "research.ethicsmeeting": "research-ethics-meeting",
    "research.integritycase": "research-integrity",
    "research.achievement": "research-achievement",
    "research.award": "research-achievement",
    "research.techtransfer": "research-achievement",
    "research.appropriatetech": "research-achievement",
    "research.promotion": "research-achievement",
    "records.source": "record-source",
    "records.upload": "record-upload",
    "records.uploadissue": "record-upload",
    "records.clinicalgrant": "record-grant",
    "records.breakglass": "health-record",
    "records.resource": "health-record",
    "terminology.concept": "terminology-code-system",
    "terminology.codesystem": "terminology-code-system",
    "terminology.valuesetinclude": "terminology-value-set",
    "terminology.valueset": "terminology-value-set",
    "terminology.conceptmapelement": "terminology-concept-map",
    "terminology.conceptmap": "terminology-concept-map",
    "dq.dqrule": "dq-rule",
    "dq.dqruleversion": "dq-rule",
    "dq.dqweight": "dq-rule",
    "dq.dqrun": "dq-run",
    "dq.dqresult": "dq-result",
    "dq.dqticket": "dq-ticket",
    "targets.workplan": "target-plan",
    "targets.planitem": "target-plan",
    "targets.plantarget": "target-plan",
    "targets.assessment": "target-assessment",
    "targets.assessmentvalue": "target-assessment",
    "targets.assessmenttotal": "target-assessment",
    "mpi.cardevent": "health-card",
    "mpi.cardpilotscope": "health-card",
    "mpi.healthcard": "health-card",
    "mpi.sourceidentity": "mpi-person",
    "mpi.linkevent": "mpi-person",
    "mpi.person": "mpi-person",
    "mpi.reviewitem": "mpi-review",
    "mpi.mpijob": "mpi-model",
    "mpi.linkagemodel": "mpi-model",
}


def _anchored(actor) -> bool:
    """A scope without its anchor (a district user with no district) sees nothing."""
    scope = actor.scope
    return {
        Scope.DISTRICT: actor.district_id is not None,
        Scope.INSTITUTION: actor.institution_id is not None,
        Scope.SELF: actor.worker_id is not None,
    }.get(scope, True)


def can(actor, entity: str, action: str) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    return actor.role in PERMISSIONS.get(entity, {}).get(action, set())


def require(actor, entity: str, action: str) -> None:
    if not can(actor, entity, action):
        raise PermissionDenied


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def scope_filter(actor, model: type[models.Model]) -> Q | None:
    """The Q that limits `model` to the actor's scope, or None when the actor sees none of it."""
    rule = SCOPE_RULES.get(_label(model), {}).get(actor.scope)
    if rule is None or not _anchored(actor):
        return None
    return rule(actor)


def scoped_queryset(actor, model: type[models.Model], action: str = "list") -> models.QuerySet:
    entity = MODEL_ENTITY[_label(model)]
    if not can(actor, entity, action):
        return model.objects.none()
    condition = scope_filter(actor, model)
    if condition is None:
        return model.objects.none()
    return model.objects.filter(condition)


def access_object(actor, model: type[models.Model], pk, action: str = "view"):
    """One row in scope, for `action`; missing and forbidden both raise NotFoundOrForbidden."""
    queryset = scoped_queryset(actor, model, action)
    try:
        return queryset.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden from None


def institution_in_scope(actor, institution) -> bool:
    """Whether a target institution lies in the actor's write scope (used when creating rows under it)."""
    scope = actor.scope
    if scope == Scope.CITY:
        return True
    if scope == Scope.DISTRICT:
        return institution.district_id == actor.district_id
    if scope == Scope.INSTITUTION:
        return institution.pk == actor.institution_id
    return False


def concept_map_in_write_scope(actor, source_institution) -> bool:
    """Whether the actor may keep a concept map of `source_institution` (None: a city-wide map).
    The information centre keeps every map; an institution only the maps of its own local codes."""
    if actor.scope == Scope.CITY:
        return True
    return source_institution is not None and actor.scope == Scope.INSTITUTION \
        and institution_in_scope(actor, source_institution)


def division_in_scope(actor, division) -> bool:
    scope = actor.scope
    if scope == Scope.CITY:
        return True
    if scope == Scope.DISTRICT:
        return actor.district_id in {division.pk, division.parent_id}
    return False


# ---- the health-record platform ------------------------------------------------------------------------

def record_source_of(actor):
    """The registered data source whose account `actor` is, or None."""
    if actor is None or not actor.is_authenticated or actor.role != R.DATA_SOURCE:
        return None
    source = apps.get_model("records", "Source")
    return source.objects.filter(account_id=actor.pk).select_related("institution").first()


def clinical_grant_active_q(now=None) -> Q:
    """The grants that open clinical content at `now` (default: this moment): not revoked, not yet expired.
    The one definition of an active grant; a revoke takes effect on the next request, nothing is cached."""
    from django.utils import timezone

    return Q(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


def _clinical_grant_active(actor) -> bool:
    grant = apps.get_model("records", "ClinicalGrant")
    return grant.objects.filter(clinical_grant_active_q(), user_id=actor.pk).exists()


def clinician_institution_id(actor):
    """The institution a clinician works at (through their worker record), or None."""
    if actor.role != R.HEALTH_WORKER or actor.worker_id is None:
        return None
    return actor.worker.institution_id


def clinical_filter(actor) -> Q | None:
    """Which stored resources `actor` may read, as a filter on records.Resource; None: none at all.

    - a data source reads what it uploaded;
    - a clinician reads the whole record of residents with an encounter at their institution, of residents
      opened by an unexpired break-glass access, and resources outside any resident (organisations,
      practitioners);
    - the information centre reads clinical content only under an unexpired, unrevoked grant from the
      security administrator; otherwise it sees uploads and sources (operational metadata) only.
    """
    if not can(actor, "health-record", "view"):
        return None
    if actor.role == R.DATA_SOURCE:
        source = record_source_of(actor)
        return Q(source_id=source.pk) if source is not None else None
    if actor.role == R.COMMISSION_INFO:
        return Q() if _clinical_grant_active(actor) else None
    institution_id = clinician_institution_id(actor)
    if institution_id is None:
        return None
    from django.utils import timezone

    resource, break_glass = apps.get_model("records", "Resource"), apps.get_model("records", "BreakGlass")
    treated = resource.objects.filter(type="Encounter", institution_id=institution_id, deleted=False).values("patient")
    opened = break_glass.objects.filter(user_id=actor.pk, expires_at__gt=timezone.now()).values("patient")
    return Q(patient="") | Q(patient__in=treated) | Q(patient__in=opened)


def clinical_patient_allowed(actor, patient_id: str) -> bool:
    """Whether `actor` may read the record of resident `patient_id` (the whole compartment)."""
    condition = clinical_filter(actor)
    if condition is None or not patient_id:
        return False
    resource = apps.get_model("records", "Resource")
    return resource.objects.filter(condition, type="Patient", fhir_id=patient_id).exists()
