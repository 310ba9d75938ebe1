"""Admin → Other directories' feeds: how each feed's new services are published (at once,
or after approval), and the services waiting for approval. Staff pages: English only."""

from flask import abort, flash, redirect, render_template, request, url_for

from app.extensions import db
from app.models import Feed
from app.opendata import feeds
from app.web.admin import bp
from app.web.admin.views import LINKS
from app.web.auth import admin_required

LINKS.append(("admin.feeds", "Other directories' feeds"))


@bp.route("/feeds", endpoint="feeds")
@admin_required
def feeds_page():
    return render_template("admin/feeds.html", feeds=feeds.all_feeds(),
                           counts=feeds.counts_by_feed(), waiting=feeds.awaiting_approval())


@bp.route("/feeds/<int:feed_id>/publishing", methods=["POST"])
@admin_required
def feed_publishing(feed_id: int):
    feed = db.get_or_404(Feed, feed_id)
    choice = request.form.get("publishing")
    if choice not in ("at-once", "approval"):
        abort(400, "Choose whether new services are published at once or wait for approval.")
    feeds.set_publishing(feed, choice == "at-once")
    flash(f"New services from {feed.name} are now "
          + ("published at once." if feed.publish_at_once else "waiting for approval."))
    return redirect(url_for("admin.feeds"))


@bp.route("/feeds/listings/<service_id>", methods=["POST"])
@admin_required
def feed_listing_decision(service_id: str):
    listing = feeds.get_listing(service_id) or abort(404)
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400, "Choose approve or reject.")
    feeds.decide(listing, decision == "approve")
    flash(f"{listing.service.name} is " + ("published." if decision == "approve" else "kept out."))
    return redirect(url_for("admin.feeds"))
