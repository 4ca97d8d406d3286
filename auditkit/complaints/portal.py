"""The public complaint portal under /p/<slug>/, for complainants without an account: the complaint form,
the receipt with reference and tracking code, the status look-up and the satisfaction survey. Pages speak
the language of `?lang=`, else the visitor's language switch, else the organisation's; they work without
JavaScript. The rules are in portal_services; these views read the request, call one service, commit once.

Configuration (all optional): PORTAL_COMPLAINTS_PER_WINDOW (5), PORTAL_LOOKUPS_PER_WINDOW (20),
PORTAL_WINDOW_SECONDS (600), PORTAL_ATTACHMENT_MAX_BYTES (10 MB), PORTAL_ATTACHMENTS_MAX_BYTES (25 MB),
PORTAL_ATTACHMENTS_MAX_COUNT (10).

Every post of the complaint form counts towards its throttle, whatever becomes of it (recorded, refused, a
filled honeypot, an expired form, files too large): it is counted before its body is read, and a client over
the limit gets 429 without its body being read at all.

A filled honeypot field (invisible to people and to screen readers) is answered with a plain 400 page and
records nothing but the post's count: a bot learns nothing useful, and a person who somehow filled it is told
to try again rather than shown a receipt for a complaint that does not exist.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from auditkit.complaints import attachments, portal_services
from auditkit.complaints.intake import DIGITS, NewComplaint
from auditkit.core.audit_trail import act_as
from auditkit.core.errors import Conflict, NotFound, ValidationFailed
from auditkit.core.i18n import LOCALES
from auditkit.extensions import db
from auditkit.web.forms import choices, show_errors

bp = Blueprint("portal", __name__, url_prefix="/p/<slug>", template_folder="templates")

RECEIPT = "portal_receipt"
RECEIPT_SECONDS = 30 * 60  # how long the receipt page can be shown again in the same browser
FORM_ALLOWANCE = 1024 * 1024  # the request may exceed the attachments' total by the form's own fields
TEXT_FIELDS = ("complainant_name", "complainant_organisation", "email", "phone", "address", "postcode", "country",
               "representative", "product", "description", "remedy_wanted")


class _DateField(DateField):
    def process_formdata(self, valuelist):
        try:  # Persian, Arabic-Indic and full-width digits read as the date they write
            super().process_formdata([value.translate(DIGITS) for value in valuelist])
        except ValueError:
            raise ValueError(_("Enter the date as year, month and day, such as 2026-03-21.")) from None


def _limit(count: int) -> dict:
    return {"maxlength": count}


class ComplaintForm(FlaskForm):
    complainant_name = StringField(_l("Your name"), render_kw={**_limit(200), "autocomplete": "name"})
    complainant_organisation = StringField(_l("Your organisation, if you complain for one"),
                                           render_kw={**_limit(200), "autocomplete": "organization"})
    email = EmailField(_l("Email"), render_kw={**_limit(320), "autocomplete": "email", "dir": "ltr"})
    phone = StringField(_l("Phone"), render_kw={**_limit(50), "autocomplete": "tel", "type": "tel", "dir": "ltr"})
    address = TextAreaField(_l("Postal address"),
                            render_kw={**_limit(500), "rows": 3, "autocomplete": "street-address"})
    postcode = StringField(_l("Postcode"), render_kw={**_limit(20), "autocomplete": "postal-code"})
    country = StringField(_l("Country"), render_kw={**_limit(60), "autocomplete": "country-name"})
    representative = StringField(_l("Someone who complains for you, if any"), render_kw=_limit(200),
                                 description=_l("For example a relative, a friend or an adviser."))
    preferred_language = SelectField(_l("Language we should write to you in"), validate_choice=False,
                                     choices=lambda: choices(LOCALES.items()))
    product = StringField(_l("Product or service"), render_kw=_limit(200),
                          description=_l("What your complaint is about, with a contract or order number if you "
                                         "have one."))
    occurred_on = _DateField(_l("When the problem happened"), validators=[Optional()],
                             description=_l("Year, month and day, such as 2026-03-21. Leave it empty if you are "
                                            "not sure."))
    description = TextAreaField(_l("What went wrong"), render_kw={**_limit(20000), "rows": 8, "dir": "auto"},
                                description=_l("Tell us in your own words what happened."))
    remedy_wanted = TextAreaField(_l("What you would like us to do"),
                                  render_kw={**_limit(5000), "rows": 4, "dir": "auto"})
    attachments = MultipleFileField(_l("Documents or photos (optional)"),  # its hint, with the limits, in the page
                                    render_kw={"accept": ".pdf,.png,.jpg,.jpeg,.txt,.docx,.xlsx"})
    consent = BooleanField(_l("I agree that my details are used to handle this complaint"))
    website = StringField(_l("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"})


class TrackForm(FlaskForm):
    reference = StringField(_l("Reference"), render_kw={**_limit(40), "dir": "ltr", "autocomplete": "off"},
                            description=_l("Such as CMP-2026-000123."))
    code = StringField(_l("Tracking code"), render_kw={**_limit(40), "dir": "ltr", "autocomplete": "off"})


class SurveyForm(FlaskForm):
    rating = RadioField(_l("How satisfied are you with the way we handled your complaint?"), validate_choice=False,
                        choices=lambda: choices([("5", _l("5 – very satisfied")), ("4", _l("4 – satisfied")),
                                                 ("3", _l("3 – neither satisfied nor dissatisfied")),
                                                 ("2", _l("2 – dissatisfied")), ("1", _l("1 – very dissatisfied"))]))
    comment = TextAreaField(_l("Anything you would like to tell us (optional)"),
                            render_kw={**_limit(portal_services.COMMENT_MAX), "rows": 4, "dir": "auto"})


def _config(key: str, default):
    return current_app.config.get(key, default)


def _throttle() -> portal_services.Throttle:
    base = portal_services.Throttle()
    return portal_services.Throttle(
        complaints=_config("PORTAL_COMPLAINTS_PER_WINDOW", base.complaints),
        lookups=_config("PORTAL_LOOKUPS_PER_WINDOW", base.lookups),
        window=timedelta(seconds=_config("PORTAL_WINDOW_SECONDS", base.window.total_seconds())))


def _limits() -> attachments.Limits:
    base = attachments.Limits()
    return attachments.Limits(per_file=_config("PORTAL_ATTACHMENT_MAX_BYTES", base.per_file),
                              total=_config("PORTAL_ATTACHMENTS_MAX_BYTES", base.total),
                              count=_config("PORTAL_ATTACHMENTS_MAX_COUNT", base.count))


def _client() -> str:
    return portal_services.client_key(request.remote_addr, current_app.config["SECRET_KEY"])


class _Throttled(Exception):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


@bp.url_value_preprocessor
def _bind_portal(endpoint, values) -> None:
    organisation = portal_services.organisation_by_slug(values.pop("slug"))
    if organisation is None:
        raise NotFound()
    g.portal = organisation
    act_as(None, portal_services.PORTAL_LABEL)
    # Before anything reads the body (the CSRF check does): the attachments' total plus the form itself.
    request.max_content_length = _limits().total + FORM_ALLOWANCE
    if endpoint == "portal.complaint" and request.method == "POST":
        _count_complaint_post(organisation)


def _count_complaint_post(organisation) -> None:
    """Count this post of the complaint form, or refuse it (429) when the client is over its limit. Committed at
    once: the post counts whatever follows, and a refusal rolls back what the view writes."""
    if seconds := portal_services.admit(organisation, "complaint", _client(), _throttle()):
        raise _Throttled(seconds)
    db.session.commit()


@bp.url_defaults
def _fill_slug(_endpoint, values) -> None:
    if "slug" not in values and g.get("portal") is not None:
        values["slug"] = g.portal.slug


def _language() -> str:
    for chosen in (request.args.get("lang"), session.get("locale")):
        if chosen in LOCALES:
            return chosen
    return g.portal.locale


def _in_portal_language(function):
    @wraps(function)
    def wrapped(*args, **kwargs):
        with force_locale(_language()):
            return function(*args, **kwargs)

    return wrapped


@bp.context_processor
def _portal_context() -> dict:
    lang = request.args.get("lang")
    keep = {"lang": lang} if lang in LOCALES else {}
    organisation = g.get("portal")
    return {"organisation": organisation,
            "portal_url": lambda endpoint, **values: url_for(endpoint, **keep, **values),
            "local_time": lambda value, **kw: portal_services.local_time(value, organisation, **kw)}


def _page(template: str, status: int = 200, headers: dict | None = None, **context):
    return render_template(f"complaints/{template}", **context), status, headers or {}


def _message(title: str, text: str, status: int, *, back: str | None = None, headers: dict | None = None):
    return _page("portal_message.html", status, headers, title=title, text=text, back=back)


def _too_many(seconds: int, back: str):
    minutes = max(1, -(-seconds // 60))
    return _message(_("Please wait a little"),
                    ngettext("We have received several requests from your connection in a short time. Please try "
                             "again in %(num)d minute.",
                             "We have received several requests from your connection in a short time. Please try "
                             "again in %(num)d minutes.", minutes),
                    429, back=back, headers={"Retry-After": str(seconds)})


@bp.errorhandler(_Throttled)
def _throttled(error: _Throttled):
    with force_locale(_language()):
        return _too_many(error.seconds, url_for(".complaint"))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    limits = _limits()
    with force_locale(_language()):
        return _message(_("The files are too large"),
                        _("Nothing was sent. Each file may be at most %(file)d MB and all files together at most "
                          "%(total)d MB. Go back, leave out or shrink some files, and send the form again.",
                          file=limits.per_file // attachments.MB, total=limits.total // attachments.MB),
                        413, back=url_for(".complaint"))


@bp.errorhandler(CSRFError)
def _expired(_error):
    with force_locale(_language()):
        return _message(_("The form had expired"),
                        _("Nothing was sent. Go back, reload the page and send the form again."), 400,
                        back=url_for(".complaint"))


def _uploads() -> list[attachments.Upload]:
    uploads = []
    for upload in request.files.getlist("attachments"):
        content = upload.read()
        if upload.filename or content:  # a browser sends one empty part when no file was chosen
            uploads.append(attachments.Upload(upload.filename or "", content))
    return uploads


def _new_complaint(form: ComplaintForm) -> NewComplaint:
    text = {name: (form[name].data or "").strip() for name in TEXT_FIELDS}
    return NewComplaint(channel="web_form", consent=bool(form.consent.data), occurred_on=form.occurred_on.data,
                        preferred_language=form.preferred_language.data or str(get_locale()), **text)


@bp.route("/complaint", methods=["GET", "POST"])
@_in_portal_language
def complaint():
    organisation = g.portal
    form = ComplaintForm()
    if not form.is_submitted():
        form.preferred_language.data = str(get_locale())
        return _page("portal_complaint.html", form=form, limits=_limits())
    if (form.website.data or "").strip():  # counted already, like every post (_count_complaint_post)
        return _message(_("Your form could not be accepted"),
                        _("Please go back and send the form again."), 400, back=url_for(".complaint"))
    form.validate()  # reads what the service cannot (a date it cannot parse); the service decides the rest
    refused = {"occurred_on": list(form.occurred_on.errors)} if form.occurred_on.errors else None
    uploads = _uploads()
    try:
        with attachments.removed_on_error() as written:
            record, code, _files = portal_services.submit_complaint(
                organisation, _new_complaint(form), uploads, written=written, limits=_limits(), refused=refused)
            db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        for field in form:
            field.errors = []
        show_errors(form, error)
        return _page("portal_complaint.html", 422, form=form, limits=_limits(), files_dropped=bool(uploads))
    track_url = url_for(".track", reference=record.reference, _external=True)
    mailed = portal_services.send_acknowledgement(organisation, record, code, track_url, config=current_app.config)
    db.session.commit()  # the acknowledgement, when it was mailed
    session[RECEIPT] = {"organisation": organisation.id, "complaint": record.id, "code": code, "mailed": mailed,
                        "at": int(time.time())}
    return redirect(url_for(".received", **({"lang": request.args["lang"]} if "lang" in request.args else {})))


@bp.route("/complaint/received")
@_in_portal_language
def received():
    receipt = session.get(RECEIPT) or {}
    fresh = receipt.get("organisation") == g.portal.id and time.time() - receipt.get("at", 0) < RECEIPT_SECONDS
    found = portal_services.submitted_complaint(g.portal, receipt.get("complaint")) if fresh else None
    if found is None:
        return redirect(url_for(".complaint"))
    record, files = found
    return _page("portal_received.html", complaint=record, files=files, code=receipt["code"],
                 mailed=receipt.get("mailed"))


@bp.route("/track", methods=["GET", "POST"])
@_in_portal_language
def track():
    form = TrackForm()
    if not form.is_submitted():
        form.reference.data = request.args.get("reference", "")[:40]
        return _page("portal_track.html", form=form, result=None, not_found=False)
    client = _client()
    if seconds := portal_services.wait_seconds(g.portal, "track", client, _throttle()):
        return _too_many(seconds, url_for(".track"))
    errors = {}
    for field, message in ((form.reference, _("Enter the reference of your complaint.")),
                           (form.code, _("Enter the tracking code we gave you."))):
        if not (field.data or "").strip():
            errors[field.name] = [message]
    if errors:
        show_errors(form, ValidationFailed(errors))
        return _page("portal_track.html", 422, form=form, result=None, not_found=False)
    result = portal_services.track_complaint(g.portal, form.reference.data, form.code.data, client=client)
    db.session.commit()
    return _page("portal_track.html", 200 if result else 404, form=form, result=result, not_found=result is None)


@bp.route("/survey/<token>", methods=["GET", "POST"])
@_in_portal_language
def survey(token: str):
    form = SurveyForm()
    try:
        record = portal_services.survey_complaint(g.portal, token)
        if not form.is_submitted():
            if record.survey_answered_at is not None:
                return _message(_("Already answered"),
                                _("This survey has already been answered. Thank you for your answer."), 200)
            return _page("portal_survey.html", form=form, complaint=record)
        rating = int(form.rating.data) if form.rating.data in {"1", "2", "3", "4", "5"} else None
        portal_services.answer_survey(g.portal, token, rating=rating, comment=form.comment.data or "")
        db.session.commit()
    except NotFound as error:
        return _message(_("Survey not found"), error.message, 404)
    except Conflict as error:
        db.session.rollback()
        return _message(_("Already answered"), error.message, 409)
    except ValidationFailed as error:
        db.session.rollback()
        show_errors(form, error)
        return _page("portal_survey.html", 422, form=form, complaint=record)
    return _message(_("Thank you"), _("Your answer was recorded. It helps us handle complaints better."), 200)
