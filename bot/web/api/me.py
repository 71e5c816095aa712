"""The page's frame: who is asking and which views they may open (`/app/api/me`), and every
text the page shows, from the bot's gettext catalog (`/app/api/strings?lang=zh`), so that
the page and the chat share one catalog and one translation."""

from __future__ import annotations

from aiohttp import web

from bot.domain.access import ROLE_NAMES, visible_views
from bot.domain.capability import DIMS
from bot.domain.kinds import PartyKind
from bot.i18n import N_, Translator, normalize_language
from bot.renderers.analytics import person_name
from bot.renderers.reports import dimension_name, kind_name
from bot.web.api.base import JSON, Answer, ApiRequest, services_of, view

# The page's own texts, by the key its scripts use. Views add theirs here.
STRINGS = {
    "title": N_("Synergy dashboard"),
    "loading": N_("Loading…"),
    "unauthorized": N_(
        "Telegram's launch data is missing, too old or not signed for this bot: "
        "open the dashboard again from the bot's menu button or /dashboard."
    ),
    "forbidden": N_("This is not yours to see."),
    "failed": N_("Something went wrong; nothing was changed. Please try again."),
    "too_many": N_("Too many requests: please wait a minute."),
    "back": N_("Back"),
    "none_yet": N_("nothing yet"),
    "baseline": N_("Baseline"),
    "current": N_("Current"),
    "points": N_("Points"),
    "percent": N_("Percent"),
    "students": N_("Students"),
    "dimension": N_("Dimension"),
    "all": N_("All"),
    "filter": N_("Filter"),
    "per_party": N_("Per party"),
    "per_site": N_("Per placement site"),
    "per_model": N_("Per collaboration model"),
    "model_kinds": N_("{n} kinds of party"),
    "reliability": N_("Scoring reliability (Cronbach's alpha)"),
    "not_enough": N_("not enough data"),
    "participation": N_("Participation"),
    "reports_of": N_("{submitted} of {expected} weekly reports"),
    "flagged": N_("Scores on which the parties disagreed widely: {n}"),
    "student_list": N_("Students"),
    "search": N_("Search by name or id"),
    "week": N_("Week"),
    "weeks": N_("Weeks"),
    "party": N_("Party"),
    "comment": N_("Comment"),
    "reports": N_("Reports"),
    "state": N_("State"),
    "credits": N_("Credits"),
    "source": N_("Source"),
    "queue_empty": N_("No report is waiting for your scores."),
    "open": N_("Open"),
    "files": N_("Files"),
    "save": N_("Save"),
    "saved": N_("Saved: the student has been told."),
    "already": N_("These scores were saved before; nothing was changed."),
    "score_range": N_("Each score is a whole number from 0 to 100."),
    "submitted": N_("Submitted"),
    "late": N_("late"),
    "status.draft": N_("draft"),
    "status.submitted": N_("submitted"),
    "status.missing": N_("missing"),
    "credits.overseas": N_("Practice abroad"),
    "credits.training": N_("Enterprise training"),
    "credits.research": N_("Research report cycles"),
    "credits.total": N_("Total"),
    "planned": N_("{n} for the whole stay"),
    "waiting_since": N_("Waiting since"),
    "scores_so_far": N_("Your scores"),
    "self_scores": N_("The student's own scores"),
    # The manual's levels beside each score: "0-39 beginning: follows instructions ...".
    "rubric_of": N_("The assessment manual's levels for {dimension}"),
    "rubric_level": N_("{bounds} {name}: {descriptor}"),
    "activities": N_("Activities"),
    "hours": N_("Hours"),
    "episode": N_("A cross-cultural episode"),
    "problems": N_("Problems"),
    "compliance": N_("Rules"),
    "correcting": N_(
        "The student is correcting this report; you will receive the corrected version."
    ),
    "disagreement": N_("Note: for {dimension} the {kind} mentor gave {theirs}."),
    "pending": N_("Reports waiting for scores: {n}"),
    "download.export-xlsx": N_("Export: reports, scores and aggregates (XLSX)"),
    "download.export-csv": N_("Export: the same as CSV files (ZIP)"),
    "download.transcript-xlsx": N_("Credit transcript (XLSX)"),
    "download.transcript-html": N_("Credit transcript (HTML, printable)"),
    "student_id": N_("The student's Telegram id"),
    "checkins_none": N_("No check-in has closed yet."),
    "answered": N_("answered"),
    "not_answered": N_("did not answer"),
    "action_items": N_("Action items"),
    "item_open": N_("open"),
    "item_done": N_("done"),
    "oncall_now": N_("On call now"),
    "oncall_next": N_("Next on call"),
    "oncall_from": N_("{person} from {time} ({zone})"),
    "oncall_calendar": N_("The next four weeks"),
    "covering": N_("covering"),
    "nobody": N_("no one on call"),
    "day": N_("Day"),
    "open_questions": N_("Open questions"),
    "none_open": N_("None."),
    "age": N_("Age"),
    "question": N_("Question"),
    "urgent": N_("urgent"),
    "last_30_days": N_("Last 30 days"),
    "questions": N_("Questions"),
    "median_ack": N_("Median time to acknowledge"),
    "median_answer": N_("Median time to answer"),
    "escalated": N_("Escalated"),
    "more_questions": N_("Open questions not listed here: {n} (all are in /requests export)"),
    "topics": N_("Research topics"),
    "topics_none": N_("No research topic is open or running."),
    "apply_by": N_("apply by {date}"),
    "team": N_("Team"),
    "mentors": N_("Mentors"),
    "cycle": N_("Cycle {n}"),
    "achievements": N_("Achievements"),
    "achievements_none": N_("No achievement is recorded yet."),
    "topic_no": N_("Topic #{id}"),
    "revenue": N_("Revenue {amount} on {date}"),
    "share": N_("Share"),
    "amount": N_("Amount"),
}


def strings_for(t: Translator) -> dict[str, str]:
    texts = {key: t.gettext(message) for key, message in STRINGS.items()}
    texts.update({f"dim.{d}": dimension_name(d, t) for d in DIMS})
    texts.update({f"kind.{k.value}": kind_name(k, t) for k in PartyKind})
    return texts


async def strings(http: web.Request) -> web.Response:
    """Public: the texts carry nothing personal, and the page needs them before it can say
    that the launch data was refused."""
    language = normalize_language(http.query.get("lang")) or "en"
    t = services_of(http).translations.for_language(language)
    response = web.json_response(
        {"language": t.language, "strings": strings_for(t)},
        headers={"Cache-Control": "public, max-age=300"},
    )
    response.enable_compression()
    return response


async def me(request: ApiRequest) -> Answer:
    """The caller, their roles and views, and the page's texts in their language."""
    caller, t = request.caller, request.t
    views: list[JSON] = [
        {"name": spec.name, "title": t.gettext(spec.title)} for spec in visible_views(caller.roles)
    ]
    return Answer(
        {
            "person": {
                "telegram_id": request.person.telegram_id,
                "name": person_name(request.person),
            },
            "language": caller.language,
            "roles": [
                {"role": role.value, "name": t.gettext(ROLE_NAMES[role])}
                for role in sorted(caller.roles, key=lambda r: r.value)
            ],
            "views": views,
            "strings": strings_for(t),
        }
    )


def build_routes() -> list[web.RouteDef]:
    return [web.get("/app/api/strings", strings), view("me", me)]
