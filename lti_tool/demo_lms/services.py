"""LTI Advantage services with Moodle's behaviour: token endpoint, AGS line items/scores/results, NRPS."""
from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from .claims import AGS_SCOPES, LTI, LTI_BO, NRPS_SCOPE, RESOURCE_LINK_REQUEST, basic_outcome
from .course import COURSE, MEMBERSHIP, User
from .extension import DemoLms
from .grades import ScoreRejected, apply_score
from .state import AccessToken, LineItem, ScoreRecord
from .tool_keys import ToolJwtError
from .web import current_lms, json_error

log = logging.getLogger(__name__)

bp = Blueprint("demo_lms_services", __name__)

SCOPE_LINEITEM, SCOPE_LINEITEM_READ, SCOPE_RESULT_READ, SCOPE_SCORE = AGS_SCOPES
SUPPORTED_SCOPES = (*AGS_SCOPES, NRPS_SCOPE)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

CT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
CT_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
CT_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
CT_SCORE = "application/vnd.ims.lis.v1.score+json"
CT_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

F = TypeVar("F", bound=Callable[..., Any])


# -- token endpoint -------------------------------------------------------------------------------


def _token_error(status: int, error: str, description: str) -> Response:
    log.warning("token request refused: %s (%s)", error, description)
    resp = jsonify({"error": error, "error_description": description})
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/token")
def token() -> Response:
    """OAuth 2 client_credentials with a private_key_jwt assertion (fixture 09)."""
    lms = current_lms()
    lms.count("token_requests")
    _slow(lms)
    if lms.switches.token_fail:
        return _token_error(500, "server_error", "the token endpoint is switched off (demo failure switch)")
    form = request.form
    if form.get("grant_type") != "client_credentials":
        return _token_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return _token_error(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion", "")
    if not assertion:
        return _token_error(400, "invalid_request", "client_assertion is required")
    try:
        claims = lms.tool_keys.decode(
            assertion, issuer=lms.cfg.client_id, audience=lms.urls.token, leeway=lms.cfg.clock_leeway
        )
    except ToolJwtError as exc:
        return _token_error(401, "invalid_client", str(exc))
    if claims.get("sub") != lms.cfg.client_id:
        return _token_error(401, "invalid_client", "the assertion's sub must be the client_id")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        return _token_error(401, "invalid_client", "the assertion needs a jti")
    if not lms.state.use_jwt_id(f"jti:{jti}", float(claims["exp"]) + lms.cfg.clock_leeway):
        return _token_error(401, "invalid_client", "this assertion was already used (jti replay)")
    requested = form.get("scope", "").split()
    granted = [s for s in dict.fromkeys(requested) if s in SUPPORTED_SCOPES]
    if not granted:
        return _token_error(400, "invalid_scope", "none of the requested scopes is offered by this platform")
    access_token = secrets.token_hex(16)
    now = time.time()
    with lms.state.lock:
        tokens = lms.state.tokens
        for key in [k for k, t in tokens.items() if t.expires_at < now]:
            del tokens[key]
        tokens[access_token] = AccessToken(lms.cfg.client_id, frozenset(granted), now + lms.cfg.token_lifetime)
    lms.count("tokens_issued")
    log.info("issued an access token for %d scope(s)", len(granted))
    resp = jsonify(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lms.cfg.token_lifetime,
            "scope": " ".join(granted),
        }
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- guard shared by every service call ----------------------------------------------------------


def _slow(lms: DemoLms) -> None:
    """The slow_ms switch: an LMS under load keeps the caller waiting (the request is served after)."""
    delay = lms.switches.slow_ms
    if delay > 0:
        time.sleep(delay / 1000)


def _refusal(lms: DemoLms, any_of: Sequence[str]) -> Response | None:
    """The answer to send instead of serving: a failure switch, or a missing/weak bearer token."""
    switches = lms.switches
    if switches.ags_down:
        return json_error(
            503, "the LMS services are down (demo failure switch)",
            headers={"Retry-After": str(switches.ags_retry_after)},
        )
    if switches.rate_limit_retry_after > 0:
        return json_error(
            429, "too many requests (demo failure switch)",
            headers={"Retry-After": str(switches.rate_limit_retry_after)},
        )
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    with lms.state.lock:
        grant = lms.state.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    if grant is None or grant.expires_at < time.time():
        return json_error(
            401, "a valid bearer access token is required",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if not grant.scopes.intersection(any_of):
        return json_error(
            403, f"the access token lacks the scope for this call (one of: {', '.join(any_of)})",
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    return None


def service(*any_of: str, counter: str | None = None) -> Callable[[F], F]:
    """Guard a service view: count it, apply failure switches, require a token with one of the scopes."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(context_id: str, **kwargs: Any) -> Any:
            lms = current_lms()
            lms.count("service_requests")
            if counter:
                lms.count(counter)
            _slow(lms)
            refusal = _refusal(lms, any_of)
            if refusal is not None:
                return refusal
            if context_id != COURSE.id:
                return json_error(404, f"there is no context {context_id!r}")
            return view(lms, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# -- helpers --------------------------------------------------------------------------------------


def _number(value: float) -> float | int:
    """85.0 -> 85, as Moodle prints grades in JSON."""
    return int(value) if float(value).is_integer() else value


def _json(body: Any, content_type: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = content_type
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def _paged(rows: list[Any], path: str) -> tuple[list[Any], dict[str, str]]:
    """Apply `limit`/`from`, and point at the next page with a Link rel="next" header."""
    limit_arg = request.args.get("limit")
    if limit_arg is None:
        return rows, {}
    try:
        limit = int(limit_arg)
        start = int(request.args.get("from", "0"))
    except ValueError:
        raise ServiceBadRequest("limit and from must be whole numbers") from None
    if limit <= 0 or start < 0:
        raise ServiceBadRequest("limit must be above 0 and from at least 0")
    page = rows[start:start + limit]
    if start + limit >= len(rows):
        return page, {}
    query = request.args.to_dict(flat=False)
    query["from"] = [str(start + limit)]
    return page, {"Link": f'<{path}?{urlencode(query, doseq=True)}>; rel="next"'}


class ServiceBadRequest(ValueError):
    """A query parameter we cannot use; answered with 400."""


@bp.errorhandler(ServiceBadRequest)
def _bad_query(exc: ServiceBadRequest) -> Response:
    return json_error(400, str(exc))


def _body() -> Any:
    """The JSON body whatever its vnd.ims content type; None when it is not JSON."""
    return request.get_json(force=True, silent=True)


# -- AGS: line items ------------------------------------------------------------------------------


def lineitem_json(lms: DemoLms, item: LineItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": lms.urls.lineitem(item.id),
        "label": item.label,
        "scoreMaximum": _number(item.score_maximum),
        "resourceId": item.resource_id,
        "tag": item.tag,
    }
    if item.resource_link_id:
        body["resourceLinkId"] = item.resource_link_id
        body["ltiLinkId"] = item.resource_link_id
    if item.start_date_time:
        body["startDateTime"] = item.start_date_time
    if item.end_date_time:
        body["endDateTime"] = item.end_date_time
    return body


def parse_lineitem(lms: DemoLms, body: Any) -> dict[str, Any]:
    """Check a line item body from the tool; return LineItem fields, or raise ServiceBadRequest."""
    if not isinstance(body, dict):
        raise ServiceBadRequest("the body must be a JSON line item")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ServiceBadRequest("label is required")
    maximum = body.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
        raise ServiceBadRequest("scoreMaximum must be a number above 0")
    fields: dict[str, Any] = {"label": label, "score_maximum": float(maximum)}
    for key, attr in (("resourceId", "resource_id"), ("tag", "tag")):
        value = body.get(key, "")
        if not isinstance(value, str):
            raise ServiceBadRequest(f"{key} must be a string")
        fields[attr] = value
    for key, attr in (("startDateTime", "start_date_time"), ("endDateTime", "end_date_time")):
        if body.get(key) is not None:
            fields[attr] = str(body[key])
    link = body.get("resourceLinkId")
    if link is not None:
        if str(link) not in lms.state.placements:
            raise ServiceBadRequest(f"resourceLinkId {link!r} is not a resource link of this course")
        fields["resource_link_id"] = str(link)
    return fields


@bp.get("/ags/<context_id>/lineitems")
@service(SCOPE_LINEITEM, SCOPE_LINEITEM_READ)
def list_lineitems(lms: DemoLms) -> Response:
    args = request.args
    with lms.state.lock:
        items = list(lms.state.line_items.values())
    if "tag" in args:
        items = [i for i in items if i.tag == args["tag"]]
    if "resource_id" in args:
        items = [i for i in items if i.resource_id == args["resource_id"]]
    if "resource_link_id" in args:
        items = [i for i in items if i.resource_link_id == args["resource_link_id"]]
    page, headers = _paged(items, lms.urls.lineitems_path)
    return _json([lineitem_json(lms, i) for i in page], CT_LINEITEMS, headers=headers)


@bp.post("/ags/<context_id>/lineitems")
@service(SCOPE_LINEITEM)
def create_lineitem(lms: DemoLms) -> Response:
    fields = parse_lineitem(lms, _body())
    with lms.state.lock:
        item = LineItem(id=lms.state.new_id("line_item"), **fields)
        lms.state.line_items[item.id] = item
    log.info("tool created line item %s (%s)", item.id, item.label)
    return _json(lineitem_json(lms, item), CT_LINEITEM, status=201)


def _lineitem(lms: DemoLms, item_id: str) -> LineItem | None:
    with lms.state.lock:
        return lms.state.line_items.get(item_id)


@bp.get("/ags/<context_id>/lineitems/<item_id>/lineitem")
@service(SCOPE_LINEITEM, SCOPE_LINEITEM_READ)
def get_lineitem(lms: DemoLms, item_id: str) -> Response:
    item = _lineitem(lms, item_id)
    if item is None:
        return json_error(404, f"there is no line item {item_id!r}")
    return _json(lineitem_json(lms, item), CT_LINEITEM)


@bp.put("/ags/<context_id>/lineitems/<item_id>/lineitem")
@service(SCOPE_LINEITEM)
def update_lineitem(lms: DemoLms, item_id: str) -> Response:
    fields = parse_lineitem(lms, _body())
    with lms.state.lock:
        item = lms.state.line_items.get(item_id)
        if item is None:
            return json_error(404, f"there is no line item {item_id!r}")
        for name, value in fields.items():
            setattr(item, name, value)
    return _json(lineitem_json(lms, item), CT_LINEITEM)


@bp.delete("/ags/<context_id>/lineitems/<item_id>/lineitem")
@service(SCOPE_LINEITEM)
def delete_lineitem(lms: DemoLms, item_id: str) -> Response:
    with lms.state.lock:
        item = lms.state.line_items.pop(item_id, None)
        if item is None:
            return json_error(404, f"there is no line item {item_id!r}")
        for key in [k for k in lms.state.scores if k[0] == item_id]:
            del lms.state.scores[key]
        for placement in lms.state.placements.values():
            if placement.line_item_id == item_id:
                placement.line_item_id = None
    log.info("tool deleted line item %s", item_id)
    return Response(status=204)


# -- AGS: scores and results ----------------------------------------------------------------------


def _should_fail(lms: DemoLms) -> bool:
    """Spread score_fail_percent evenly over posts, so a test knows which posts fail."""
    with lms.state.lock:
        percent = lms.state.switches.score_fail_percent
        if percent <= 0:
            return False
        lms.state.fail_accumulator += percent
        if lms.state.fail_accumulator >= 100:
            lms.state.fail_accumulator -= 100
            return True
        return False


@bp.post("/ags/<context_id>/lineitems/<item_id>/lineitem/scores")
@service(SCOPE_SCORE, counter="score_posts")
def post_score(lms: DemoLms, item_id: str) -> Response:
    item = _lineitem(lms, item_id)
    if item is None:
        return json_error(404, f"there is no line item {item_id!r}")
    fail = _should_fail(lms)
    if fail and not lms.switches.score_fail_after_store:
        lms.count("score_failures")
        return json_error(500, "internal error (demo failure switch: score not stored)")
    body = _body()
    with lms.state.lock:
        user_id = body.get("userId") if isinstance(body, dict) else None
        user = lms.state.users.get(user_id) if isinstance(user_id, str) else None
        previous = lms.state.scores.get((item_id, user_id or ""))
        try:
            record = apply_score(item, body, previous, is_learner=user is not None and user.is_learner)
        except ScoreRejected as exc:
            lms.count("score_conflicts" if exc.status == 409 else "score_rejections")
            log.info("score on line item %s refused (%s): %s", item_id, exc.status, exc.message)
            if exc.status == 400:
                return moodle_refusal()
            return json_error(exc.status, exc.message)
        lms.state.scores[(item_id, record.user_id)] = record
    lms.count("scores_stored")
    log.info("score stored on line item %s for user %s: %s", item_id, record.user_id, record.grading_progress)
    if fail:
        lms.count("score_failures")
        return json_error(500, "internal error (demo failure switch: score stored anyway)")
    return Response(b"", status=200, mimetype=CT_SCORE)


def moodle_refusal() -> Response:
    """A refused score as Moodle 4.5 answers it: the reason in the HTTP status line, a body of `[]`
    (mod/lti/service/gradebookservices throws `Incorrect score received` as the status text)."""
    response = Response(b"[]", mimetype="application/json")
    response.status = "400 Incorrect score received"
    return response


def result_json(lms: DemoLms, item_id: str, record: ScoreRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"id": lms.urls.result(item_id, record.user_id), "userId": record.user_id}
    if record.result_score is not None:
        body["resultScore"] = _number(record.result_score)
    body["resultMaximum"] = _number(record.result_maximum)
    if record.comment is not None:
        body["comment"] = record.comment
    body["scoreOf"] = lms.urls.lineitem(item_id)
    body["timestamp"] = record.timestamp.replace(microsecond=0).isoformat()
    return body


@bp.get("/ags/<context_id>/lineitems/<item_id>/lineitem/results")
@service(SCOPE_RESULT_READ)
def get_results(lms: DemoLms, item_id: str) -> Response:
    with lms.state.lock:
        if item_id not in lms.state.line_items:
            return json_error(404, f"there is no line item {item_id!r}")
        records = [r for (li, _), r in lms.state.scores.items() if li == item_id]
    # A grade cleared by a score without scoreGiven and comment leaves no result, as in Moodle.
    records = [r for r in records if r.result_score is not None or r.comment is not None]
    if "user_id" in request.args:
        records = [r for r in records if r.user_id == request.args["user_id"]]
    records.sort(key=lambda r: int(r.user_id) if r.user_id.isdigit() else r.user_id)
    page, headers = _paged(records, f"{lms.urls.lineitem_path(item_id)}/results")
    return _json([result_json(lms, item_id, r) for r in page], CT_RESULTS, headers=headers)


# -- NRPS -----------------------------------------------------------------------------------------


def member_json(lms: DemoLms, user: User, rlid: str | None) -> dict[str, Any]:
    member: dict[str, Any] = {"status": "Active", "roles": user.nrps_roles}
    if rlid is not None:
        placement = lms.state.placements[rlid]
        member["message"] = [
            {
                LTI + "message_type": RESOURCE_LINK_REQUEST,
                LTI_BO: basic_outcome(lms.urls, placement, user),
            }
        ]
    member.update(
        {
            "user_id": user.sub,
            "lis_person_sourcedid": user.sourcedid,
            "name": user.name,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "email": user.email,
            "ext_user_username": user.username,
        }
    )
    return member


@bp.get("/nrps/<context_id>/memberships")
@service(NRPS_SCOPE)
def memberships(lms: DemoLms) -> Response:
    """Enrolled members (not the site admin), with `role`, `rlid` and `limit`/`from` (fixture 13)."""
    members = [u for u in lms.state.users.values() if u.enrolled]
    role = request.args.get("role")
    if role:
        short = role.removeprefix(MEMBERSHIP)
        members = [u for u in members if short in u.nrps_roles]
    rlid = request.args.get("rlid")
    if rlid is not None and rlid not in lms.state.placements:
        return json_error(400, f"rlid {rlid!r} is not a resource link of this course")
    page, headers = _paged(members, lms.urls.memberships)
    body = {
        "id": lms.urls.memberships,
        "context": {"id": COURSE.id, "label": COURSE.label, "title": COURSE.title},
        "members": [member_json(lms, u, rlid) for u in page],
    }
    return _json(body, CT_MEMBERSHIPS, headers=headers)
